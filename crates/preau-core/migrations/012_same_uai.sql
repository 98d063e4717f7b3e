-- Préau local store, schema 12: one school per UAI across laptops (issue 11).
--
-- Two advisers may type the same school (same UAI) on two laptops, offline: two
-- records with two ids. Every laptop keeps the same one (`sync/same_uai.rs`: the
-- directory's id, else a directory school, else the smallest id) and remembers the
-- other here. The duplicate's UAI is left empty locally (UNIQUE(uai)); the laptop points
-- what its adviser owns at the kept school, and deletes the duplicate when it is its
-- adviser's. Local: never logged, never sent.
CREATE TABLE sync_school_aliases (
    school_id TEXT PRIMARY KEY,
    kept_id   TEXT NOT NULL
) STRICT;

-- Who typed each pulled school (the server says; directory schools have no owner): only
-- the owner's devices may delete a duplicate. Local: never logged, never sent.
CREATE TABLE sync_school_owners (
    school_id TEXT PRIMARY KEY,
    adviser   TEXT NOT NULL
) STRICT;

-- A staged record keeps the owner the server named (a colleague's visit staged until its
-- parent arrives was applied later as if it were this adviser's: no read-only banner).
ALTER TABLE sync_inbox ADD COLUMN owner TEXT;
