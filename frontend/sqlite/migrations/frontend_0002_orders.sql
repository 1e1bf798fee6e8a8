-- The orders the frontend accepted at checkout: what the customer gave, the
-- prices taken from the catalog, and the Idempotency-Key that placed it. Each
-- is written in the same transaction as its order_view row (state '', shown
-- `accepted`) and its StartPurchase in the outbox.
CREATE TABLE orders (
    order_id            TEXT PRIMARY KEY,
    idempotency_key     TEXT UNIQUE,             -- NULL when the request had none
    request_hash        TEXT NOT NULL DEFAULT '', -- sha256 of the canonical request body
    customer_name       TEXT NOT NULL,
    customer_email      TEXT NOT NULL,
    items               TEXT NOT NULL,           -- JSON list of msg.Item, priced
    ship_line1          TEXT NOT NULL,
    ship_line2          TEXT NOT NULL DEFAULT '',
    ship_city           TEXT NOT NULL,
    ship_postal_code    TEXT NOT NULL,
    ship_country        TEXT NOT NULL,           -- ISO 3166-1 alpha-2
    payment_token       TEXT NOT NULL,           -- the only card datum kept
    total_cents         INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    placed_at           TEXT NOT NULL,
    cancel_requested_at TEXT NOT NULL DEFAULT '', -- set when the customer asked to cancel
    cancel_reason       TEXT NOT NULL DEFAULT ''
);
