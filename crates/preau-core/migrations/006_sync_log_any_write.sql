-- Préau local store, schema 6: the change log takes any number of edits of a field.
--
-- Schemas 4 and 5 logged a field with `INSERT OR IGNORE INTO sync_log`. SQLite lets the
-- statement that fires a trigger override the conflict clause of the statements inside
-- it: under an upsert (`INSERT … ON CONFLICT DO UPDATE`, which is how most saves are
-- written) the trigger's insert ran as ABORT, so the second edit of a field between two
-- syncs failed on `sync_log`'s key and the save was refused (issue 9).
--
-- Every log insert below is guarded by `NOT EXISTS` instead: it never meets the key, so no
-- conflict clause (the trigger's or the outer statement's: ABORT, FAIL, IGNORE, REPLACE,
-- ROLLBACK, upsert) is ever consulted. A record renamed onto a key deleted since the last
-- sync (a visit import deletes the visit, then gives a new one its id) also loses that
-- key's tombstone, as an insert does. Otherwise these are the triggers of 004 and 005,
-- dropped and recreated (generated once from them; a shipped migration is never edited).

DROP TRIGGER sync_schools_insert;

CREATE TRIGGER sync_schools_insert AFTER INSERT ON schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'schools' AND record_id = NEW.id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_schools_update;

CREATE TRIGGER sync_schools_update AFTER UPDATE ON schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'schools' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    DELETE FROM sync_log WHERE tbl = 'schools' AND record_id = NEW.id AND field = '-'
        AND OLD.id IS NOT NEW.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = OLD.id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'uai', last + 1 FROM sync_log_seq
        WHERE OLD.uai IS NOT NEW.uai
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'uai');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'name', last + 1 FROM sync_log_seq
        WHERE OLD.name IS NOT NEW.name
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'name');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'kind', last + 1 FROM sync_log_seq
        WHERE OLD.kind IS NOT NEW.kind
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'kind');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'public', last + 1 FROM sync_log_seq
        WHERE OLD.public IS NOT NEW.public
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'public');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'commune_insee', last + 1 FROM sync_log_seq
        WHERE OLD.commune_insee IS NOT NEW.commune_insee
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'commune_insee');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'classes', last + 1 FROM sync_log_seq
        WHERE OLD.classes IS NOT NEW.classes
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'classes');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'pupils', last + 1 FROM sync_log_seq
        WHERE OLD.pupils IS NOT NEW.pupils
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'pupils');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'source', last + 1 FROM sync_log_seq
        WHERE OLD.source IS NOT NEW.source
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'source');
END;

DROP TRIGGER sync_schools_delete;

CREATE TRIGGER sync_schools_delete AFTER DELETE ON schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'schools' AND record_id = OLD.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = OLD.id AND field = '-');
END;

DROP TRIGGER sync_visits_insert;

CREATE TRIGGER sync_visits_insert AFTER INSERT ON visits WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visits' AND record_id = NEW.id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visits' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_visits_update;

CREATE TRIGGER sync_visits_update AFTER UPDATE ON visits WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'visits' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    DELETE FROM sync_log WHERE tbl = 'visits' AND record_id = NEW.id AND field = '-'
        AND OLD.id IS NOT NEW.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visits' AND record_id = OLD.id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visits' AND record_id = NEW.id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, 'commune_insee', last + 1 FROM sync_log_seq
        WHERE OLD.commune_insee IS NOT NEW.commune_insee
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visits' AND record_id = NEW.id AND field = 'commune_insee');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, 'scheduled_at', last + 1 FROM sync_log_seq
        WHERE OLD.scheduled_at IS NOT NEW.scheduled_at
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visits' AND record_id = NEW.id AND field = 'scheduled_at');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', NEW.id, 'notes', last + 1 FROM sync_log_seq
        WHERE OLD.notes IS NOT NEW.notes
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visits' AND record_id = NEW.id AND field = 'notes');
END;

DROP TRIGGER sync_visits_delete;

CREATE TRIGGER sync_visits_delete AFTER DELETE ON visits WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visits' AND record_id = OLD.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visits', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visits' AND record_id = OLD.id AND field = '-');
END;

DROP TRIGGER sync_visit_schools_insert;

CREATE TRIGGER sync_visit_schools_insert AFTER INSERT ON visit_schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visit_schools' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visit_schools' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '*');
END;

DROP TRIGGER sync_visit_schools_update;

CREATE TRIGGER sync_visit_schools_update AFTER UPDATE ON visit_schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'visit_schools' AND record_id = OLD.visit_id || '/' || OLD.school_id
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    DELETE FROM sync_log WHERE tbl = 'visit_schools' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-'
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visit_schools' AND record_id = OLD.visit_id || '/' || OLD.school_id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visit_schools' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '*');
END;

DROP TRIGGER sync_visit_schools_delete;

CREATE TRIGGER sync_visit_schools_delete AFTER DELETE ON visit_schools WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'visit_schools' AND record_id = OLD.visit_id || '/' || OLD.school_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'visit_schools', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'visit_schools' AND record_id = OLD.visit_id || '/' || OLD.school_id AND field = '-');
END;

DROP TRIGGER sync_participants_insert;

CREATE TRIGGER sync_participants_insert AFTER INSERT ON participants WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'participants' AND record_id = NEW.id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_participants_update;

CREATE TRIGGER sync_participants_update AFTER UPDATE ON participants WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'participants' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    DELETE FROM sync_log WHERE tbl = 'participants' AND record_id = NEW.id AND field = '-'
        AND OLD.id IS NOT NEW.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = OLD.id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = 'visit_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = 'position');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'name', last + 1 FROM sync_log_seq
        WHERE OLD.name IS NOT NEW.name
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = 'name');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'role', last + 1 FROM sync_log_seq
        WHERE OLD.role IS NOT NEW.role
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = 'role');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'phone', last + 1 FROM sync_log_seq
        WHERE OLD.phone IS NOT NEW.phone
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = 'phone');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', NEW.id, 'email', last + 1 FROM sync_log_seq
        WHERE OLD.email IS NOT NEW.email
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = NEW.id AND field = 'email');
END;

DROP TRIGGER sync_participants_delete;

CREATE TRIGGER sync_participants_delete AFTER DELETE ON participants WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'participants' AND record_id = OLD.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'participants', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'participants' AND record_id = OLD.id AND field = '-');
END;

DROP TRIGGER sync_pedagogy_insert;

CREATE TRIGGER sync_pedagogy_insert AFTER INSERT ON pedagogy WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '*');
END;

DROP TRIGGER sync_pedagogy_update;

CREATE TRIGGER sync_pedagogy_update AFTER UPDATE ON pedagogy WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'pedagogy' AND record_id = OLD.visit_id || '/' || OLD.school_id
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    DELETE FROM sync_log WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-'
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = OLD.visit_id || '/' || OLD.school_id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'cycles', last + 1 FROM sync_log_seq
        WHERE OLD.cycles IS NOT NEW.cycles
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'cycles');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'uses', last + 1 FROM sync_log_seq
        WHERE OLD.uses IS NOT NEW.uses
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'uses');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'crcn', last + 1 FROM sync_log_seq
        WHERE OLD.crcn IS NOT NEW.crcn
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'crcn');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'training_needs', last + 1 FROM sync_log_seq
        WHERE OLD.training_needs IS NOT NEW.training_needs
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'training_needs');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'ien_status', last + 1 FROM sync_log_seq
        WHERE OLD.ien_status IS NOT NEW.ien_status
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'ien_status');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'ien_date', last + 1 FROM sync_log_seq
        WHERE OLD.ien_date IS NOT NEW.ien_date
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'ien_date');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', NEW.visit_id || '/' || NEW.school_id, 'ien_comment', last + 1 FROM sync_log_seq
        WHERE OLD.ien_comment IS NOT NEW.ien_comment
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'ien_comment');
END;

DROP TRIGGER sync_pedagogy_delete;

CREATE TRIGGER sync_pedagogy_delete AFTER DELETE ON pedagogy WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'pedagogy' AND record_id = OLD.visit_id || '/' || OLD.school_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'pedagogy', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'pedagogy' AND record_id = OLD.visit_id || '/' || OLD.school_id AND field = '-');
END;

DROP TRIGGER sync_objectives_insert;

CREATE TRIGGER sync_objectives_insert AFTER INSERT ON objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'objectives' AND record_id = NEW.id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_objectives_update;

CREATE TRIGGER sync_objectives_update AFTER UPDATE ON objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'objectives' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    DELETE FROM sync_log WHERE tbl = 'objectives' AND record_id = NEW.id AND field = '-'
        AND OLD.id IS NOT NEW.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = OLD.id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = NEW.id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = NEW.id AND field = 'visit_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'school_id', last + 1 FROM sync_log_seq
        WHERE OLD.school_id IS NOT NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = NEW.id AND field = 'school_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = NEW.id AND field = 'position');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', NEW.id, 'label', last + 1 FROM sync_log_seq
        WHERE OLD.label IS NOT NEW.label
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = NEW.id AND field = 'label');
END;

DROP TRIGGER sync_objectives_delete;

CREATE TRIGGER sync_objectives_delete AFTER DELETE ON objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'objectives' AND record_id = OLD.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'objectives', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'objectives' AND record_id = OLD.id AND field = '-');
END;

DROP TRIGGER sync_class_situations_insert;

CREATE TRIGGER sync_class_situations_insert AFTER INSERT ON class_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_class_situations_update;

CREATE TRIGGER sync_class_situations_update AFTER UPDATE ON class_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'class_situations' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    DELETE FROM sync_log WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = '-'
        AND OLD.id IS NOT NEW.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = OLD.id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = 'visit_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'school_id', last + 1 FROM sync_log_seq
        WHERE OLD.school_id IS NOT NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = 'school_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = 'position');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'name', last + 1 FROM sync_log_seq
        WHERE OLD.name IS NOT NEW.name
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = 'name');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'pupils', last + 1 FROM sync_log_seq
        WHERE OLD.pupils IS NOT NEW.pupils
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = 'pupils');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'display', last + 1 FROM sync_log_seq
        WHERE OLD.display IS NOT NEW.display
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = 'display');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', NEW.id, 'teacher_computer', last + 1 FROM sync_log_seq
        WHERE OLD.teacher_computer IS NOT NEW.teacher_computer
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = NEW.id AND field = 'teacher_computer');
END;

DROP TRIGGER sync_class_situations_delete;

CREATE TRIGGER sync_class_situations_delete AFTER DELETE ON class_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'class_situations' AND record_id = OLD.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'class_situations', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'class_situations' AND record_id = OLD.id AND field = '-');
END;

DROP TRIGGER sync_school_situations_insert;

CREATE TRIGGER sync_school_situations_insert AFTER INSERT ON school_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '*');
END;

DROP TRIGGER sync_school_situations_update;

CREATE TRIGGER sync_school_situations_update AFTER UPDATE ON school_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'school_situations' AND record_id = OLD.visit_id || '/' || OLD.school_id
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    DELETE FROM sync_log WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '-'
        AND OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = OLD.visit_id || '/' || OLD.school_id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id || '/' || OLD.school_id IS NOT NEW.visit_id || '/' || NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'mobile_devices', last + 1 FROM sync_log_seq
        WHERE OLD.mobile_devices IS NOT NEW.mobile_devices
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'mobile_devices');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'mobile_charging', last + 1 FROM sync_log_seq
        WHERE OLD.mobile_charging IS NOT NEW.mobile_charging
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'mobile_charging');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'wifi', last + 1 FROM sync_log_seq
        WHERE OLD.wifi IS NOT NEW.wifi
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'wifi');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'wifi_switchable', last + 1 FROM sync_log_seq
        WHERE OLD.wifi_switchable IS NOT NEW.wifi_switchable
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'wifi_switchable');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'internet', last + 1 FROM sync_log_seq
        WHERE OLD.internet IS NOT NEW.internet
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'internet');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', NEW.visit_id || '/' || NEW.school_id, 'ent', last + 1 FROM sync_log_seq
        WHERE OLD.ent IS NOT NEW.ent
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = NEW.visit_id || '/' || NEW.school_id AND field = 'ent');
END;

DROP TRIGGER sync_school_situations_delete;

CREATE TRIGGER sync_school_situations_delete AFTER DELETE ON school_situations WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'school_situations' AND record_id = OLD.visit_id || '/' || OLD.school_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'school_situations', OLD.visit_id || '/' || OLD.school_id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'school_situations' AND record_id = OLD.visit_id || '/' || OLD.school_id AND field = '-');
END;

DROP TRIGGER sync_scenarios_insert;

CREATE TRIGGER sync_scenarios_insert AFTER INSERT ON scenarios WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_scenarios_update;

CREATE TRIGGER sync_scenarios_update AFTER UPDATE ON scenarios WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'scenarios' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    DELETE FROM sync_log WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = '-'
        AND OLD.id IS NOT NEW.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'scenarios' AND record_id = OLD.id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, 'visit_id', last + 1 FROM sync_log_seq
        WHERE OLD.visit_id IS NOT NEW.visit_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = 'visit_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, 'label', last + 1 FROM sync_log_seq
        WHERE OLD.label IS NOT NEW.label
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = 'label');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', NEW.id, 'title', last + 1 FROM sync_log_seq
        WHERE OLD.title IS NOT NEW.title
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'scenarios' AND record_id = NEW.id AND field = 'title');
END;

DROP TRIGGER sync_scenarios_delete;

CREATE TRIGGER sync_scenarios_delete AFTER DELETE ON scenarios WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'scenarios' AND record_id = OLD.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'scenarios', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'scenarios' AND record_id = OLD.id AND field = '-');
END;

DROP TRIGGER sync_equipment_lines_insert;

CREATE TRIGGER sync_equipment_lines_insert AFTER INSERT ON equipment_lines WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_equipment_lines_update;

CREATE TRIGGER sync_equipment_lines_update AFTER UPDATE ON equipment_lines WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'equipment_lines' AND record_id = OLD.id
        AND OLD.id IS NOT NEW.id;
    DELETE FROM sync_log WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = '-'
        AND OLD.id IS NOT NEW.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = OLD.id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.id IS NOT NEW.id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = '*');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'scenario_id', last + 1 FROM sync_log_seq
        WHERE OLD.scenario_id IS NOT NEW.scenario_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'scenario_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'position', last + 1 FROM sync_log_seq
        WHERE OLD.position IS NOT NEW.position
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'position');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'school_id', last + 1 FROM sync_log_seq
        WHERE OLD.school_id IS NOT NEW.school_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'school_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'class_id', last + 1 FROM sync_log_seq
        WHERE OLD.class_id IS NOT NEW.class_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'class_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'catalogue_version', last + 1 FROM sync_log_seq
        WHERE OLD.catalogue_version IS NOT NEW.catalogue_version
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'catalogue_version');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'reference', last + 1 FROM sync_log_seq
        WHERE OLD.reference IS NOT NEW.reference
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'reference');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'designation', last + 1 FROM sync_log_seq
        WHERE OLD.designation IS NOT NEW.designation
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'designation');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'category', last + 1 FROM sync_log_seq
        WHERE OLD.category IS NOT NEW.category
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'category');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'unit', last + 1 FROM sync_log_seq
        WHERE OLD.unit IS NOT NEW.unit
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'unit');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'unit_price_cents', last + 1 FROM sync_log_seq
        WHERE OLD.unit_price_cents IS NOT NEW.unit_price_cents
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'unit_price_cents');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'vat_rate_bp', last + 1 FROM sync_log_seq
        WHERE OLD.vat_rate_bp IS NOT NEW.vat_rate_bp
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'vat_rate_bp');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'budget_section', last + 1 FROM sync_log_seq
        WHERE OLD.budget_section IS NOT NEW.budget_section
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'budget_section');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'socle_strand', last + 1 FROM sync_log_seq
        WHERE OLD.socle_strand IS NOT NEW.socle_strand
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'socle_strand');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', NEW.id, 'quantity', last + 1 FROM sync_log_seq
        WHERE OLD.quantity IS NOT NEW.quantity
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = NEW.id AND field = 'quantity');
END;

DROP TRIGGER sync_equipment_lines_delete;

CREATE TRIGGER sync_equipment_lines_delete AFTER DELETE ON equipment_lines WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'equipment_lines' AND record_id = OLD.id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'equipment_lines', OLD.id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'equipment_lines' AND record_id = OLD.id AND field = '-');
END;

DROP TRIGGER sync_line_objectives_insert;

CREATE TRIGGER sync_line_objectives_insert AFTER INSERT ON line_objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'line_objectives' AND record_id = NEW.line_id || '/' || NEW.objective_id AND field = '-';
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', NEW.line_id || '/' || NEW.objective_id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'line_objectives' AND record_id = NEW.line_id || '/' || NEW.objective_id AND field = '*');
END;

DROP TRIGGER sync_line_objectives_update;

CREATE TRIGGER sync_line_objectives_update AFTER UPDATE ON line_objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    -- A record given a new key: the old one is gone, the new one is new.
    DELETE FROM sync_log WHERE tbl = 'line_objectives' AND record_id = OLD.line_id || '/' || OLD.objective_id
        AND OLD.line_id || '/' || OLD.objective_id IS NOT NEW.line_id || '/' || NEW.objective_id;
    DELETE FROM sync_log WHERE tbl = 'line_objectives' AND record_id = NEW.line_id || '/' || NEW.objective_id AND field = '-'
        AND OLD.line_id || '/' || OLD.objective_id IS NOT NEW.line_id || '/' || NEW.objective_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', OLD.line_id || '/' || OLD.objective_id, '-', last + 1 FROM sync_log_seq
        WHERE OLD.line_id || '/' || OLD.objective_id IS NOT NEW.line_id || '/' || NEW.objective_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'line_objectives' AND record_id = OLD.line_id || '/' || OLD.objective_id AND field = '-');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', NEW.line_id || '/' || NEW.objective_id, '*', last + 1 FROM sync_log_seq
        WHERE OLD.line_id || '/' || OLD.objective_id IS NOT NEW.line_id || '/' || NEW.objective_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'line_objectives' AND record_id = NEW.line_id || '/' || NEW.objective_id AND field = '*');
END;

DROP TRIGGER sync_line_objectives_delete;

CREATE TRIGGER sync_line_objectives_delete AFTER DELETE ON line_objectives WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    DELETE FROM sync_log WHERE tbl = 'line_objectives' AND record_id = OLD.line_id || '/' || OLD.objective_id;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'line_objectives', OLD.line_id || '/' || OLD.objective_id, '-', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'line_objectives' AND record_id = OLD.line_id || '/' || OLD.objective_id AND field = '-');
END;

DROP TRIGGER sync_proposals_issue;

CREATE TRIGGER sync_proposals_issue AFTER UPDATE ON proposals
WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
     AND OLD.status = 'brouillon' AND NEW.status <> 'brouillon'
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, '*', last + 1 FROM sync_log_seq
        WHERE NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'proposals' AND record_id = NEW.id AND field = '*');
END;

DROP TRIGGER sync_proposals_answer;

CREATE TRIGGER sync_proposals_answer AFTER UPDATE ON proposals
WHEN NOT EXISTS (SELECT 1 FROM sync_guard) AND OLD.status <> 'brouillon'
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, 'status', last + 1 FROM sync_log_seq
        WHERE OLD.status IS NOT NEW.status
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'proposals' AND record_id = NEW.id AND field = 'status');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, 'decided_on', last + 1 FROM sync_log_seq
        WHERE OLD.decided_on IS NOT NEW.decided_on
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'proposals' AND record_id = NEW.id AND field = 'decided_on');
END;
