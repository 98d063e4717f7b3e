-- Préau local store, schema 14: the sync's bookkeeping tables keyed by their key alone.
--
-- These tables are looked up, written and deleted by their primary key, a few short
-- texts, row by row during every sync (and `sync_log` on every edit). As rowid tables
-- each row lived twice: in the table (by rowid) and in the key's index, so every write
-- touched one B-tree more, and every lookup read two. `WITHOUT ROWID` stores each row once,
-- in its key's B-tree (issue 11's speed: the push of 1,000 visits made and forgot 50,000
-- log rows and outgoing changes).
--
-- Each table is copied aside, dropped, made again and filled back; nothing is renamed, so
-- the triggers that write `sync_log` (their bodies name it) are untouched and find the new
-- table.

CREATE TEMP TABLE keep_sync_log AS SELECT tbl, record_id, field, seq FROM sync_log;
DROP TABLE sync_log;
CREATE TABLE sync_log (
    tbl       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    seq       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tbl, record_id, field)
) STRICT, WITHOUT ROWID;
CREATE INDEX sync_log_by_seq ON sync_log (seq, tbl, record_id);
INSERT INTO sync_log (tbl, record_id, field, seq)
    SELECT tbl, record_id, field, seq FROM keep_sync_log;
DROP TABLE keep_sync_log;

CREATE TEMP TABLE keep_sync_outgoing AS
    SELECT change_id, position, tbl, record_id, base_revision, fields, deleted FROM sync_outgoing;
DROP TABLE sync_outgoing;
CREATE TABLE sync_outgoing (
    change_id     TEXT PRIMARY KEY,
    position      INTEGER NOT NULL,
    tbl           TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    base_revision INTEGER NOT NULL,
    fields        TEXT NOT NULL,
    deleted       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sync_outgoing_by_record ON sync_outgoing (tbl, record_id);
-- No index on `position`: the table holds a batch or two while a push runs, and is read
-- in order once, at the start of one; an index would be one more B-tree per change.
INSERT INTO sync_outgoing (change_id, position, tbl, record_id, base_revision, fields, deleted)
    SELECT change_id, position, tbl, record_id, base_revision, fields, deleted
    FROM keep_sync_outgoing;
DROP TABLE keep_sync_outgoing;

CREATE TEMP TABLE keep_sync_records AS SELECT tbl, record_id, revision FROM sync_records;
DROP TABLE sync_records;
CREATE TABLE sync_records (
    tbl       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    PRIMARY KEY (tbl, record_id)
) STRICT, WITHOUT ROWID;
INSERT INTO sync_records (tbl, record_id, revision)
    SELECT tbl, record_id, revision FROM keep_sync_records;
DROP TABLE keep_sync_records;

CREATE TEMP TABLE keep_sync_owners AS SELECT visit_id, adviser FROM sync_owners;
DROP TABLE sync_owners;
CREATE TABLE sync_owners (
    visit_id TEXT PRIMARY KEY,
    adviser  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO sync_owners (visit_id, adviser) SELECT visit_id, adviser FROM keep_sync_owners;
DROP TABLE keep_sync_owners;

CREATE TEMP TABLE keep_sync_school_owners AS SELECT school_id, adviser FROM sync_school_owners;
DROP TABLE sync_school_owners;
CREATE TABLE sync_school_owners (
    school_id TEXT PRIMARY KEY,
    adviser   TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO sync_school_owners (school_id, adviser)
    SELECT school_id, adviser FROM keep_sync_school_owners;
DROP TABLE keep_sync_school_owners;
