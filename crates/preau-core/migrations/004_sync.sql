-- Préau local store, schema 4: sync with the syndicate's server (issue 5).
--
-- Triggers record which fields of which records changed locally (`sync_log`); a sync
-- turns them into changes with client-made ids (`sync_outgoing`, kept until the server
-- acknowledges them, so a resent change has the same id). Pulled records are staged in
-- `sync_inbox` and applied parents first; a record that cannot be applied yet stays
-- there. Remote writes run with a row in `sync_guard`, which silences the triggers.
-- `created_at` and `updated_at` are bookkeeping: sent with a new record, never as an
-- edit (else every concurrent edit of one record would clash on them).

CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Fields changed locally since the last push: '*' = the whole record (new), '-' = deleted.
CREATE TABLE sync_log (
    tbl       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    seq       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tbl, record_id, field)
) STRICT;
CREATE INDEX sync_log_by_seq ON sync_log (seq, tbl, record_id);
CREATE TABLE sync_log_seq (
    last INTEGER NOT NULL
) STRICT;
INSERT INTO sync_log_seq (last) VALUES (0);

-- Changes made from the log and not yet acknowledged by the server.
CREATE TABLE sync_outgoing (
    change_id     TEXT PRIMARY KEY,
    position      INTEGER NOT NULL,
    tbl           TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    base_revision INTEGER NOT NULL,
    fields        TEXT NOT NULL,
    deleted       INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_outgoing_by_record ON sync_outgoing (tbl, record_id);

-- The server revision of each record as last pulled (the base of the next change).
CREATE TABLE sync_records (
    tbl       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    PRIMARY KEY (tbl, record_id)
) STRICT;

-- Pulled records waiting to be applied.
CREATE TABLE sync_inbox (
    tbl        TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    fields     TEXT NOT NULL,
    conflicts  TEXT NOT NULL,
    last_error TEXT,
    PRIMARY KEY (tbl, record_id)
) STRICT;

-- Fields two laptops changed concurrently: the other value, for the user to choose.
CREATE TABLE sync_conflicts (
    tbl       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    value     TEXT NOT NULL,
    device_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    PRIMARY KEY (tbl, record_id, field, revision)
) STRICT;

-- Reference data published by the server, as last received.
CREATE TABLE sync_reference (
    kind        TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    content     TEXT NOT NULL,
    received_at TEXT NOT NULL
) STRICT;

-- A row here while remote changes are applied: the triggers below stay silent.
CREATE TABLE sync_guard (
    on_ INTEGER NOT NULL
) STRICT;


-- schools
CREATE TRIGGER sync_schools_insert AFTER INSERT ON schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'schools' AND record_id = NEW.id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_schools_update AFTER UPDATE ON schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'schools' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'uai', last + 1 FROM sync_log_seq
        WHERE OLD.uai IS NOT NEW.uai;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'name', last + 1 FROM sync_log_seq
        WHERE OLD.name IS NOT NEW.name;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'kind', last + 1 FROM sync_log_seq
        WHERE OLD.kind IS NOT NEW.kind;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'public', last + 1 FROM sync_log_seq
        WHERE OLD.public IS NOT NEW.public;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'commune_insee', last + 1 FROM sync_log_seq
        WHERE OLD.commune_insee IS NOT NEW.commune_insee;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'classes', last + 1 FROM sync_log_seq
        WHERE OLD.classes IS NOT NEW.classes;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'pupils', last + 1 FROM sync_log_seq
        WHERE OLD.pupils IS NOT NEW.pupils;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'source', last + 1 FROM sync_log_seq
        WHERE OLD.source IS NOT NEW.source;
END;
CREATE TRIGGER sync_schools_delete AFTER DELETE ON schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'schools' AND record_id = OLD.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', OLD.id, '-', last + 1 FROM sync_log_seq;
END;

-- visits
CREATE TRIGGER sync_visits_insert AFTER INSERT ON visits WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visits' AND record_id = NEW.id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_visits_update AFTER UPDATE ON visits WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'visits' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, 'commune_insee', last + 1 FROM sync_log_seq
        WHERE OLD.commune_insee IS NOT NEW.commune_insee;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, 'scheduled_at', last + 1 FROM sync_log_seq
        WHERE OLD.scheduled_at IS NOT NEW.scheduled_at;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, 'notes', last + 1 FROM sync_log_seq
        WHERE OLD.notes IS NOT NEW.notes;
END;
CREATE TRIGGER sync_visits_delete AFTER DELETE ON visits WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visits' AND record_id = OLD.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', OLD.id, '-', last + 1 FROM sync_log_seq;
END;

-- visit_schools
CREATE TRIGGER sync_visit_schools_insert AFTER INSERT ON visit_schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visit_schools' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_visit_schools_update AFTER UPDATE ON visit_schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'visit_schools' AND record_id = OLD.visit_id || '/' || OLD.school_id
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
END;
CREATE TRIGGER sync_visit_schools_delete AFTER DELETE ON visit_schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visit_schools' AND record_id = OLD.visit_id || '/' || OLD.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq;
END;

-- participants
CREATE TRIGGER sync_participants_insert AFTER INSERT ON participants WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'participants' AND record_id = NEW.id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_participants_update AFTER UPDATE ON participants WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'participants' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'name', last + 1 FROM sync_log_seq
        WHERE OLD.name IS NOT NEW.name;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'role', last + 1 FROM sync_log_seq
        WHERE OLD.role IS NOT NEW.role;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'phone', last + 1 FROM sync_log_seq
        WHERE OLD.phone IS NOT NEW.phone;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'email', last + 1 FROM sync_log_seq
        WHERE OLD.email IS NOT NEW.email;
END;
CREATE TRIGGER sync_participants_delete AFTER DELETE ON participants WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'participants' AND record_id = OLD.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', OLD.id, '-', last + 1 FROM sync_log_seq;
END;

-- pedagogy
CREATE TRIGGER sync_pedagogy_insert AFTER INSERT ON pedagogy WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_pedagogy_update AFTER UPDATE ON pedagogy WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'pedagogy' AND record_id = OLD.visit_id || '/' || OLD.school_id
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'cycles', last + 1 FROM sync_log_seq
        WHERE OLD.cycles IS NOT NEW.cycles;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'uses', last + 1 FROM sync_log_seq
        WHERE OLD.uses IS NOT NEW.uses;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'crcn', last + 1 FROM sync_log_seq
        WHERE OLD.crcn IS NOT NEW.crcn;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'training_needs', last + 1 FROM sync_log_seq
        WHERE OLD.training_needs IS NOT NEW.training_needs;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'ien_status', last + 1 FROM sync_log_seq
        WHERE OLD.ien_status IS NOT NEW.ien_status;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'ien_date', last + 1 FROM sync_log_seq
        WHERE OLD.ien_date IS NOT NEW.ien_date;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'ien_comment', last + 1 FROM sync_log_seq
        WHERE OLD.ien_comment IS NOT NEW.ien_comment;
END;
CREATE TRIGGER sync_pedagogy_delete AFTER DELETE ON pedagogy WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'pedagogy' AND record_id = OLD.visit_id || '/' || OLD.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq;
END;

-- objectives
CREATE TRIGGER sync_objectives_insert AFTER INSERT ON objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'objectives' AND record_id = NEW.id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_objectives_update AFTER UPDATE ON objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'objectives' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'school_id', last + 1 FROM sync_log_seq
        WHERE OLD.school_id IS NOT NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'label', last + 1 FROM sync_log_seq
        WHERE OLD.label IS NOT NEW.label;
END;
CREATE TRIGGER sync_objectives_delete AFTER DELETE ON objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'objectives' AND record_id = OLD.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', OLD.id, '-', last + 1 FROM sync_log_seq;
END;

-- class_situations
CREATE TRIGGER sync_class_situations_insert AFTER INSERT ON class_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_class_situations_update AFTER UPDATE ON class_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'class_situations' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'school_id', last + 1 FROM sync_log_seq
        WHERE OLD.school_id IS NOT NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'name', last + 1 FROM sync_log_seq
        WHERE OLD.name IS NOT NEW.name;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'pupils', last + 1 FROM sync_log_seq
        WHERE OLD.pupils IS NOT NEW.pupils;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'display', last + 1 FROM sync_log_seq
        WHERE OLD.display IS NOT NEW.display;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'teacher_computer', last + 1 FROM sync_log_seq
        WHERE OLD.teacher_computer IS NOT NEW.teacher_computer;
END;
CREATE TRIGGER sync_class_situations_delete AFTER DELETE ON class_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'class_situations' AND record_id = OLD.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', OLD.id, '-', last + 1 FROM sync_log_seq;
END;

-- school_situations
CREATE TRIGGER sync_school_situations_insert AFTER INSERT ON school_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_school_situations_update AFTER UPDATE ON school_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'school_situations' AND record_id = OLD.visit_id || '/' || OLD.school_id
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'mobile_devices', last + 1 FROM sync_log_seq
        WHERE OLD.mobile_devices IS NOT NEW.mobile_devices;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'mobile_charging', last + 1 FROM sync_log_seq
        WHERE OLD.mobile_charging IS NOT NEW.mobile_charging;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'wifi', last + 1 FROM sync_log_seq
        WHERE OLD.wifi IS NOT NEW.wifi;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'wifi_switchable', last + 1 FROM sync_log_seq
        WHERE OLD.wifi_switchable IS NOT NEW.wifi_switchable;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'internet', last + 1 FROM sync_log_seq
        WHERE OLD.internet IS NOT NEW.internet;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'ent', last + 1 FROM sync_log_seq
        WHERE OLD.ent IS NOT NEW.ent;
END;
CREATE TRIGGER sync_school_situations_delete AFTER DELETE ON school_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'school_situations' AND record_id = OLD.visit_id || '/' || OLD.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq;
END;

-- scenarios
CREATE TRIGGER sync_scenarios_insert AFTER INSERT ON scenarios WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_scenarios_update AFTER UPDATE ON scenarios WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'scenarios' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, 'label', last + 1 FROM sync_log_seq
        WHERE OLD.label IS NOT NEW.label;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, 'title', last + 1 FROM sync_log_seq
        WHERE OLD.title IS NOT NEW.title;
END;
CREATE TRIGGER sync_scenarios_delete AFTER DELETE ON scenarios WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'scenarios' AND record_id = OLD.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', OLD.id, '-', last + 1 FROM sync_log_seq;
END;

-- equipment_lines
CREATE TRIGGER sync_equipment_lines_insert AFTER INSERT ON equipment_lines WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_equipment_lines_update AFTER UPDATE ON equipment_lines WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'equipment_lines' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'scenario_id', last + 1 FROM sync_log_seq
        WHERE OLD.scenario_id IS NOT NEW.scenario_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'school_id', last + 1 FROM sync_log_seq
        WHERE OLD.school_id IS NOT NEW.school_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'class_id', last + 1 FROM sync_log_seq
        WHERE OLD.class_id IS NOT NEW.class_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'catalogue_version', last + 1 FROM sync_log_seq
        WHERE OLD.catalogue_version IS NOT NEW.catalogue_version;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'reference', last + 1 FROM sync_log_seq
        WHERE OLD.reference IS NOT NEW.reference;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'designation', last + 1 FROM sync_log_seq
        WHERE OLD.designation IS NOT NEW.designation;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'category', last + 1 FROM sync_log_seq
        WHERE OLD.category IS NOT NEW.category;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'unit', last + 1 FROM sync_log_seq
        WHERE OLD.unit IS NOT NEW.unit;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'unit_price_cents', last + 1 FROM sync_log_seq
        WHERE OLD.unit_price_cents IS NOT NEW.unit_price_cents;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'vat_rate_bp', last + 1 FROM sync_log_seq
        WHERE OLD.vat_rate_bp IS NOT NEW.vat_rate_bp;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'budget_section', last + 1 FROM sync_log_seq
        WHERE OLD.budget_section IS NOT NEW.budget_section;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'socle_strand', last + 1 FROM sync_log_seq
        WHERE OLD.socle_strand IS NOT NEW.socle_strand;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'quantity', last + 1 FROM sync_log_seq
        WHERE OLD.quantity IS NOT NEW.quantity;
END;
CREATE TRIGGER sync_equipment_lines_delete AFTER DELETE ON equipment_lines WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'equipment_lines' AND record_id = OLD.id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', OLD.id, '-', last + 1 FROM sync_log_seq;
END;

-- line_objectives
CREATE TRIGGER sync_line_objectives_insert AFTER INSERT ON line_objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'line_objectives' AND record_id = NEW.line_id || '/' || NEW.objective_id AND field = '-';
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', NEW.line_id || '/' || NEW.objective_id, '*', last + 1 FROM sync_log_seq;
END;
CREATE TRIGGER sync_line_objectives_update AFTER UPDATE ON line_objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'line_objectives' AND record_id = OLD.line_id || '/' || OLD.objective_id
        AND OLD.line_id || '/' || OLD.objective_id IS NOT NEW.line_id || '/' || NEW.objective_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', OLD.line_id || '/' || OLD.objective_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.line_id || '/' || OLD.objective_id IS NOT NEW.line_id || '/' || NEW.objective_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', NEW.line_id || '/' || NEW.objective_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.line_id || '/' || OLD.objective_id IS NOT NEW.line_id || '/' || NEW.objective_id;
END;
CREATE TRIGGER sync_line_objectives_delete AFTER DELETE ON line_objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'line_objectives' AND record_id = OLD.line_id || '/' || OLD.objective_id;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', OLD.line_id || '/' || OLD.objective_id, '-', last + 1 FROM sync_log_seq;
END;

-- Records made before this migration are new to the server.
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'schools', schools.id, '*', 0 FROM schools;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'visits', visits.id, '*', 0 FROM visits;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'visit_schools', visit_schools.visit_id || '/' || visit_schools.school_id, '*', 0 FROM visit_schools;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'participants', participants.id, '*', 0 FROM participants;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'pedagogy', pedagogy.visit_id || '/' || pedagogy.school_id, '*', 0 FROM pedagogy;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'objectives', objectives.id, '*', 0 FROM objectives;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'class_situations', class_situations.id, '*', 0 FROM class_situations;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'school_situations', school_situations.visit_id || '/' || school_situations.school_id, '*', 0 FROM school_situations;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'scenarios', scenarios.id, '*', 0 FROM scenarios;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'equipment_lines', equipment_lines.id, '*', 0 FROM equipment_lines;
INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
    SELECT 'line_objectives', line_objectives.line_id || '/' || line_objectives.objective_id, '*', 0 FROM line_objectives;
