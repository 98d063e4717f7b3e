-- Préau local store, schema 1. Shipped migrations are never edited: add a new file instead.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- One row per reference data set (communes, catalogue, funding) with the version loaded.
CREATE TABLE reference_versions (
    kind       TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    label      TEXT NOT NULL,
    source     TEXT NOT NULL,
    indicative INTEGER NOT NULL DEFAULT 0,
    content    TEXT,
    loaded_at  TEXT NOT NULL
) STRICT;

CREATE TABLE epci (
    siren  TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    member INTEGER NOT NULL
) STRICT;

CREATE TABLE communes (
    insee          TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    population     INTEGER NOT NULL,
    postal_codes   TEXT NOT NULL,
    epci_siren     TEXT REFERENCES epci(siren),
    mairie_address TEXT,
    mairie_phone   TEXT,
    mairie_email   TEXT,
    latitude       REAL,
    longitude      REAL
) STRICT;

CREATE TABLE catalogue_items (
    version          TEXT NOT NULL,
    reference        TEXT NOT NULL,
    category         TEXT NOT NULL,
    designation      TEXT NOT NULL,
    unit             TEXT NOT NULL,
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    price_min_cents  INTEGER NOT NULL,
    price_max_cents  INTEGER NOT NULL,
    vat_rate_bp      INTEGER NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    lifetime_years   TEXT,
    budget_section   TEXT NOT NULL CHECK (budget_section IN ('investissement', 'fonctionnement')),
    socle_strand     TEXT,
    price_status     TEXT NOT NULL,
    PRIMARY KEY (version, reference)
) STRICT;

CREATE TABLE schools (
    id            TEXT PRIMARY KEY,
    uai           TEXT UNIQUE,
    name          TEXT NOT NULL CHECK (length(name) > 0),
    kind          TEXT NOT NULL CHECK (kind IN ('maternelle', 'elementaire', 'primaire')),
    public        INTEGER NOT NULL,
    commune_insee TEXT NOT NULL REFERENCES communes(insee),
    classes       INTEGER CHECK (classes >= 0),
    pupils        INTEGER CHECK (pupils >= 0),
    source        TEXT NOT NULL CHECK (source IN ('directory', 'adviser')),
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX schools_by_commune ON schools(commune_insee);

CREATE TABLE visits (
    id            TEXT PRIMARY KEY,
    commune_insee TEXT NOT NULL REFERENCES communes(insee),
    scheduled_at  TEXT NOT NULL,
    notes         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX visits_by_commune ON visits(commune_insee);
CREATE INDEX visits_by_date ON visits(scheduled_at);

CREATE TABLE visit_schools (
    visit_id  TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    school_id TEXT NOT NULL REFERENCES schools(id),
    PRIMARY KEY (visit_id, school_id)
) STRICT;

CREATE TABLE participants (
    id       TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL CHECK (length(name) > 0),
    role     TEXT NOT NULL,
    phone    TEXT,
    email    TEXT
) STRICT;
CREATE INDEX participants_by_visit ON participants(visit_id, position);

-- Records changed locally and not yet sent to the syndicate's server.
CREATE TABLE outbox (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
) STRICT;
