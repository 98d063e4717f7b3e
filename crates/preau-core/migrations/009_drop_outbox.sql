-- Schema 9 (issue 11): the `outbox` of schema 1 is dropped. It was written on every edit
-- and read by nothing but a count; since schema 4 the triggers' change log (`sync_log`,
-- then `sync_outgoing` until the server acknowledges) says which records wait to be
-- pushed, per field, and the pending count is read from there.

DROP TABLE outbox;
