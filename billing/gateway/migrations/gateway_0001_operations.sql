-- The simulated card processor's own record: one row per idempotency key.
-- A call with a key already here is answered from the row (calls counts
-- them) and moves no money again.
CREATE TABLE gateway_operations (
    idempotency_key TEXT PRIMARY KEY,
    transaction_id  TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    order_id        TEXT NOT NULL,
    token           TEXT NOT NULL DEFAULT '',
    charge_ref      TEXT NOT NULL DEFAULT '',
    amount_cents    INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    approved        INTEGER NOT NULL,
    decline_reason  TEXT NOT NULL DEFAULT '',
    calls           INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    last_call_at    TEXT NOT NULL
);
CREATE INDEX gateway_operations_order ON gateway_operations (order_id, created_at);
CREATE INDEX gateway_operations_charge_ref ON gateway_operations (charge_ref);
