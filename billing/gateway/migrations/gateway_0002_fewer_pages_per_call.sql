-- Each call of the gateway is its own commit, and a commit writes every
-- b-tree page the call touched to the WAL. A charge touched five: the table,
-- its idempotency key, its transaction id, the order index and the charge_ref
-- index, although a charge has no charge_ref. Now three: the table is keyed
-- by the idempotency key itself (WITHOUT ROWID), and only refunds are in
-- the charge_ref index (the only query on it asks for refunds).
CREATE TABLE gateway_operations_0002 (
    idempotency_key TEXT NOT NULL PRIMARY KEY,
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
) WITHOUT ROWID;
INSERT INTO gateway_operations_0002 (idempotency_key, transaction_id, kind, order_id, token, charge_ref,
    amount_cents, currency, approved, decline_reason, calls, created_at, last_call_at)
SELECT idempotency_key, transaction_id, kind, order_id, token, charge_ref,
    amount_cents, currency, approved, decline_reason, calls, created_at, last_call_at
FROM gateway_operations;
DROP TABLE gateway_operations;
ALTER TABLE gateway_operations_0002 RENAME TO gateway_operations;
CREATE INDEX gateway_operations_order ON gateway_operations (order_id, created_at);
CREATE INDEX gateway_operations_charge_ref ON gateway_operations (charge_ref) WHERE kind = 'refund';
