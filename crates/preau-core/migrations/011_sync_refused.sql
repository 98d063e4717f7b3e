-- Préau local store, schema 11: changes the server refused (issue 12).
--
-- The server takes a change only from a device of the record's owner (and an issued
-- proposal only once, from the device of its number). A refused change is kept here,
-- never dropped: the values typed stay on the laptop, the record goes back to the
-- server's state, and the sync screen says how many were refused and why.
CREATE TABLE sync_refused (
    change_id  TEXT PRIMARY KEY,
    tbl        TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    deleted    INTEGER NOT NULL,
    fields     TEXT NOT NULL,
    code       TEXT NOT NULL,
    message    TEXT NOT NULL,
    refused_at TEXT NOT NULL
) STRICT;

-- Who each pulled visit belongs to, when it is not this laptop's adviser's (issue 12): the
-- server takes changes to a visit only from its owner's devices, so a colleague's visit
-- is shown read-only. Local: never logged, never sent.
CREATE TABLE sync_owners (
    visit_id TEXT PRIMARY KEY,
    adviser  TEXT NOT NULL
) STRICT;
