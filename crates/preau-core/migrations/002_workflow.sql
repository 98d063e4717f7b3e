-- Préau local store, schema 2: the visit workflow (pedagogical project, situation,
-- scenarios and equipment lines).

-- The pedagogical project of one school for one visit.
CREATE TABLE pedagogy (
    visit_id       TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    school_id      TEXT NOT NULL REFERENCES schools(id),
    cycles         TEXT NOT NULL DEFAULT '[]',   -- JSON array of 1, 2, 3
    uses           TEXT NOT NULL DEFAULT '[]',   -- JSON array of use keys
    crcn           TEXT NOT NULL DEFAULT '[]',   -- JSON array of CRCN area keys
    training_needs TEXT NOT NULL DEFAULT '',
    ien_status     TEXT NOT NULL DEFAULT 'a_soumettre'
        CHECK (ien_status IN ('a_soumettre', 'soumis', 'valide', 'a_retravailler')),
    ien_date       TEXT,
    ien_comment    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (visit_id, school_id)
) STRICT;

CREATE TABLE objectives (
    id        TEXT PRIMARY KEY,
    visit_id  TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    school_id TEXT NOT NULL REFERENCES schools(id),
    position  INTEGER NOT NULL,
    label     TEXT NOT NULL CHECK (length(label) > 0)
) STRICT;
CREATE INDEX objectives_by_visit ON objectives(visit_id, school_id, position);

CREATE TABLE class_situations (
    id               TEXT PRIMARY KEY,
    visit_id         TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    school_id        TEXT NOT NULL REFERENCES schools(id),
    position         INTEGER NOT NULL,
    name             TEXT NOT NULL CHECK (length(name) > 0),
    pupils           INTEGER CHECK (pupils >= 0),
    display          TEXT NOT NULL,
    teacher_computer INTEGER NOT NULL
) STRICT;
CREATE INDEX class_situations_by_visit ON class_situations(visit_id, school_id, position);

CREATE TABLE school_situations (
    visit_id        TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    school_id       TEXT NOT NULL REFERENCES schools(id),
    mobile_devices  INTEGER NOT NULL CHECK (mobile_devices >= 0),
    mobile_charging INTEGER NOT NULL,
    wifi            TEXT NOT NULL,
    wifi_switchable INTEGER NOT NULL,
    internet        TEXT NOT NULL,
    ent             TEXT,
    PRIMARY KEY (visit_id, school_id)
) STRICT;

CREATE TABLE scenarios (
    id       TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    label    TEXT NOT NULL,
    title    TEXT NOT NULL DEFAULT '',
    UNIQUE (visit_id, label)
) STRICT;

-- A line keeps the catalogue version and the price it was chosen at.
CREATE TABLE equipment_lines (
    id                TEXT PRIMARY KEY,
    scenario_id       TEXT NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    school_id         TEXT NOT NULL REFERENCES schools(id),
    class_id          TEXT REFERENCES class_situations(id) ON DELETE SET NULL,
    catalogue_version TEXT NOT NULL,
    reference         TEXT NOT NULL,
    designation       TEXT NOT NULL,
    category          TEXT NOT NULL,
    unit              TEXT NOT NULL,
    unit_price_cents  INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    vat_rate_bp       INTEGER NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    budget_section    TEXT NOT NULL CHECK (budget_section IN ('investissement', 'fonctionnement')),
    socle_strand      TEXT,
    quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 100000)
) STRICT;
CREATE INDEX equipment_lines_by_scenario ON equipment_lines(scenario_id, position);

CREATE TABLE line_objectives (
    line_id      TEXT NOT NULL REFERENCES equipment_lines(id) ON DELETE CASCADE,
    objective_id TEXT NOT NULL REFERENCES objectives(id) ON DELETE CASCADE,
    PRIMARY KEY (line_id, objective_id)
) STRICT;
