-- One row per order's saga. deadline is when the current step's command is
-- due again (NULL when nothing is awaited): the scanner reads it by index.
CREATE TABLE sagas (
    id                 TEXT PRIMARY KEY,
    definition_version INTEGER NOT NULL,
    state              TEXT NOT NULL,
    step               TEXT NOT NULL DEFAULT '',
    attempts           INTEGER NOT NULL DEFAULT 0,
    command_id         TEXT NOT NULL DEFAULT '',
    deadline           TEXT,
    stuck_since        TEXT,
    last_error         TEXT NOT NULL DEFAULT '',
    version            INTEGER NOT NULL,
    data               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX sagas_deadline ON sagas (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX sagas_state ON sagas (state, created_at, id);
CREATE INDEX sagas_created ON sagas (created_at, id);

-- Every transition, command, timeout and ignored message of every saga.
CREATE TABLE saga_history (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    saga_id    TEXT NOT NULL,
    at         TEXT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX saga_history_saga ON saga_history (saga_id, seq);
