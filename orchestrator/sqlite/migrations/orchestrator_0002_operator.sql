-- Operators' actions: who and why, on the timeline.
ALTER TABLE saga_history ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE saga_history ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- The response to each admin request made with an Idempotency-Key, so that
-- the same key gets the same response. request is a fingerprint of the
-- method, path and body: a key is for one request only.
CREATE TABLE admin_requests (
    idempotency_key TEXT PRIMARY KEY,
    request         TEXT NOT NULL,
    status          INTEGER NOT NULL,
    response        TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX admin_requests_created ON admin_requests (created_at);

-- Sagas stuck at a step, for the bulk retry.
CREATE INDEX sagas_step ON sagas (state, step, created_at, id);
