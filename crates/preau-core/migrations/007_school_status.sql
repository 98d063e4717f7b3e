-- Schema 7 (issue 10): a school's state in the national directory (`etat`: OUVERT,
-- A FERMER, ...). A school to close, or closed, is shown as such and is not offered for a
-- new visit; the visits it is already part of keep it.

ALTER TABLE schools ADD COLUMN status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'closing', 'closed'));

-- The column is synced like the others (the triggers of schema 6 name theirs one by one):
-- its own trigger, guarded by NOT EXISTS rather than a conflict clause, as in schema 6.
CREATE TRIGGER sync_schools_update_status AFTER UPDATE OF status ON schools
    WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'schools', NEW.id, 'status', last + 1 FROM sync_log_seq
        WHERE OLD.status IS NOT NEW.status
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'schools' AND record_id = NEW.id AND field = 'status');
END;
