-- The transactional outbox: messages committed with the state change that
-- caused them, deleted once the broker has confirmed them.
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id     TEXT NOT NULL,
    destination    TEXT NOT NULL,
    type           TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    body           BLOB NOT NULL,
    created_at     TEXT NOT NULL
);
