-- Schema 10 (issue 11): a delete clears the conflicts of the record it removes.
--
-- `sync_conflicts` holds the value another laptop typed in a field this one also
-- changed. Once the record is deleted there is nothing left to choose between: its
-- conflict rows go with it, whether the delete is typed here or is a tombstone pulled
-- from the server (so these triggers fire inside `sync_guard` too), and for every child
-- row removed with it by ON DELETE CASCADE (SQLite fires the children's triggers).
-- A tombstone that itself carries a value set aside (an edit made on a laptop that had
-- not seen the delete) writes it after the delete: that one is a new question.

CREATE TRIGGER sync_schools_delete_conflicts AFTER DELETE ON schools
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'schools' AND record_id = OLD.id;
END;

CREATE TRIGGER sync_visits_delete_conflicts AFTER DELETE ON visits
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'visits' AND record_id = OLD.id;
END;

CREATE TRIGGER sync_visit_schools_delete_conflicts AFTER DELETE ON visit_schools
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'visit_schools' AND record_id = OLD.visit_id || '/' || OLD.school_id;
END;

CREATE TRIGGER sync_participants_delete_conflicts AFTER DELETE ON participants
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'participants' AND record_id = OLD.id;
END;

CREATE TRIGGER sync_pedagogy_delete_conflicts AFTER DELETE ON pedagogy
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'pedagogy' AND record_id = OLD.visit_id || '/' || OLD.school_id;
END;

CREATE TRIGGER sync_objectives_delete_conflicts AFTER DELETE ON objectives
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'objectives' AND record_id = OLD.id;
END;

CREATE TRIGGER sync_class_situations_delete_conflicts AFTER DELETE ON class_situations
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'class_situations' AND record_id = OLD.id;
END;

CREATE TRIGGER sync_school_situations_delete_conflicts AFTER DELETE ON school_situations
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'school_situations' AND record_id = OLD.visit_id || '/' || OLD.school_id;
END;

CREATE TRIGGER sync_scenarios_delete_conflicts AFTER DELETE ON scenarios
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'scenarios' AND record_id = OLD.id;
END;

CREATE TRIGGER sync_equipment_lines_delete_conflicts AFTER DELETE ON equipment_lines
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'equipment_lines' AND record_id = OLD.id;
END;

CREATE TRIGGER sync_line_objectives_delete_conflicts AFTER DELETE ON line_objectives
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'line_objectives' AND record_id = OLD.line_id || '/' || OLD.objective_id;
END;

CREATE TRIGGER sync_proposals_delete_conflicts AFTER DELETE ON proposals
BEGIN
    DELETE FROM sync_conflicts WHERE tbl = 'proposals' AND record_id = OLD.id;
END;
