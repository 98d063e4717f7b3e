-- Préau local store, schema 5: issued proposals travel with the sync.
--
-- Only issued proposals are sent: a draft stays on the laptop it was made on (two
-- laptops may each draft the visit's proposal). Issuing sends the whole frozen record
-- once; afterwards only the mayor's answer (status, decided_on) can change. Issued rows
-- are never edited elsewhere (003's triggers), so they never conflict; numbers carry the
-- laptop's device code, so two laptops never issue the same number.

CREATE TRIGGER sync_proposals_issue AFTER UPDATE ON proposals
WHEN NOT EXISTS (SELECT 1 FROM sync_guard)
     AND OLD.status = 'brouillon' AND NEW.status <> 'brouillon'
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, '*', last + 1 FROM sync_log_seq;
END;

CREATE TRIGGER sync_proposals_answer AFTER UPDATE ON proposals
WHEN NOT EXISTS (SELECT 1 FROM sync_guard) AND OLD.status <> 'brouillon'
BEGIN
    UPDATE sync_log_seq SET last = last + 1;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, 'status', last + 1 FROM sync_log_seq
        WHERE OLD.status IS NOT NEW.status;
    INSERT OR IGNORE INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, 'decided_on', last + 1 FROM sync_log_seq
        WHERE OLD.decided_on IS NOT NEW.decided_on;
END;
