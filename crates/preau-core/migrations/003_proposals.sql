-- Préau local store, schema 3: printed proposals, their numbering and the letterhead.

-- Settings of this laptop shown on documents (letterhead, adviser, place), one JSON
-- value per key.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Last sequence number used per year by this laptop. It only ever grows, so a number is
-- never reused, even if the proposal that used it is gone.
CREATE TABLE proposal_counters (
    year     INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL CHECK (last_seq > 0)
) STRICT;

-- A proposal is a draft (one per visit at most) until it is issued; then its snapshot,
-- PDF and hash are frozen. A change after issue is a new revision of the same number.
CREATE TABLE proposals (
    id            TEXT PRIMARY KEY,
    visit_id      TEXT NOT NULL REFERENCES visits(id),
    number        TEXT,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    replaces_id   TEXT REFERENCES proposals(id),
    status        TEXT NOT NULL
                  CHECK (status IN ('brouillon', 'emise', 'acceptee', 'refusee')),
    scenario_ids  TEXT NOT NULL DEFAULT '[]',
    civility      TEXT NOT NULL DEFAULT ''
                  CHECK (civility IN ('', 'madame', 'monsieur')),
    validity_days INTEGER NOT NULL DEFAULT 90 CHECK (validity_days BETWEEN 1 AND 365),
    created_at    TEXT NOT NULL,
    issued_on     TEXT,
    valid_until   TEXT,
    decided_on    TEXT,
    snapshot      TEXT,
    pdf           BLOB,
    pdf_sha256    TEXT,
    UNIQUE (number, revision),
    CHECK ((status = 'brouillon') = (issued_on IS NULL)),
    CHECK (status = 'brouillon' OR (number IS NOT NULL AND snapshot IS NOT NULL
                                     AND pdf IS NOT NULL AND pdf_sha256 IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX proposals_one_draft_per_visit ON proposals (visit_id)
    WHERE status = 'brouillon';
CREATE INDEX proposals_by_visit ON proposals (visit_id, revision);

-- Issued proposals are immutable whatever code runs: only their status may still move
-- (accepted, refused). Writing a frozen column with the value it already has is not a
-- change (sync re-applies whole records).
CREATE TRIGGER proposals_issued_frozen
BEFORE UPDATE ON proposals
WHEN OLD.status <> 'brouillon' AND (
       OLD.id IS NOT NEW.id OR OLD.visit_id IS NOT NEW.visit_id
    OR OLD.number IS NOT NEW.number OR OLD.revision IS NOT NEW.revision
    OR OLD.replaces_id IS NOT NEW.replaces_id OR OLD.scenario_ids IS NOT NEW.scenario_ids
    OR OLD.civility IS NOT NEW.civility OR OLD.validity_days IS NOT NEW.validity_days
    OR OLD.created_at IS NOT NEW.created_at OR OLD.issued_on IS NOT NEW.issued_on
    OR OLD.valid_until IS NOT NEW.valid_until OR OLD.snapshot IS NOT NEW.snapshot
    OR OLD.pdf IS NOT NEW.pdf OR OLD.pdf_sha256 IS NOT NEW.pdf_sha256)
BEGIN
    SELECT RAISE(ABORT, 'issued proposal is immutable');
END;

CREATE TRIGGER proposals_issued_kept
BEFORE DELETE ON proposals
WHEN OLD.status <> 'brouillon'
BEGIN
    SELECT RAISE(ABORT, 'issued proposal is immutable');
END;
