-- The inbox: every message processed, with the messages it caused, so that a
-- redelivery is recognised and (for workers) answered with the stored reply.
CREATE TABLE inbox (
    message_id   TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    replies      BLOB
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);
