-- Préau local store, schema 13: « Acceptée » records which scenario the mayor accepted
-- and, when known, the date of the council's deliberation (issue 13).
--
-- Both belong to the mayor's answer: set with an acceptance, never changed after (the
-- trigger below), logged and synced like `status` and `decided_on`.
ALTER TABLE proposals ADD COLUMN accepted_scenario_id TEXT;
ALTER TABLE proposals ADD COLUMN deliberated_on TEXT;

-- Proposals accepted before this schema, with a single scenario, accepted that one. Done
-- before the logging trigger is replaced and without changing a logged column, so
-- nothing is sent: the server counts a single scenario anyway, and a colleague's
-- proposal pulled here is not this laptop's to answer. The single scenario is the one
-- the proposal listed, or, when it listed none (« every scenario that has lines »), the
-- visit's scenario bearing the label of the snapshot's only scenario.
UPDATE proposals SET accepted_scenario_id = (
    CASE
        WHEN json_array_length(scenario_ids) = 1 THEN json_extract(scenario_ids, '$[0]')
        ELSE (SELECT s.id FROM scenarios s
              WHERE s.visit_id = proposals.visit_id
                AND s.label = json_extract(proposals.snapshot, '$.scenarios[0].label'))
    END)
WHERE status = 'acceptee'
  AND json_valid(snapshot)
  AND json_array_length(snapshot, '$.scenarios') = 1
  AND json_array_length(scenario_ids) <= 1;

-- An answer once recorded never changes: the scenario and the deliberation date may be
-- set once (from nothing), never changed or removed.
CREATE TRIGGER proposals_answer_kept
BEFORE UPDATE ON proposals
WHEN (OLD.accepted_scenario_id IS NOT NULL
      AND OLD.accepted_scenario_id IS NOT NEW.accepted_scenario_id)
  OR (OLD.deliberated_on IS NOT NULL AND OLD.deliberated_on IS NOT NEW.deliberated_on)
BEGIN
    SELECT RAISE(ABORT, 'issued proposal is immutable');
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
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, 'accepted_scenario_id', last + 1 FROM sync_log_seq
        WHERE OLD.accepted_scenario_id IS NOT NEW.accepted_scenario_id
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'proposals' AND record_id = NEW.id AND field = 'accepted_scenario_id');
    INSERT INTO sync_log (tbl, record_id, field, seq)
        SELECT 'proposals', NEW.id, 'deliberated_on', last + 1 FROM sync_log_seq
        WHERE OLD.deliberated_on IS NOT NEW.deliberated_on
          AND NOT EXISTS (SELECT 1 FROM sync_log
            WHERE tbl = 'proposals' AND record_id = NEW.id AND field = 'deliberated_on');
END;
