-- The ledger: every attempt to charge or refund an order at the card
-- gateway. Only succeeded rows moved money. The token is the only card datum
-- kept. A refund row of 0 cents records a refund that found nothing to give
-- back: it blocks a later charge of the order.
CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('charge', 'refund')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('succeeded', 'declined', 'failed')),
    reason       TEXT NOT NULL DEFAULT '',
    token        TEXT NOT NULL DEFAULT '',
    gateway_ref  TEXT NOT NULL DEFAULT '',
    command_id   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);
CREATE INDEX payments_order ON payments (order_id, created_at);
CREATE INDEX payments_created ON payments (created_at);

-- One charge and one refund per order that moved money (or, for a refund,
-- that blocked the charge).
CREATE UNIQUE INDEX payments_one_charge ON payments (order_id)
    WHERE kind = 'charge' AND status = 'succeeded';
CREATE UNIQUE INDEX payments_one_refund ON payments (order_id)
    WHERE kind = 'refund' AND status = 'succeeded';

-- Never refund more than was charged.
CREATE TRIGGER payments_refund_within_charge BEFORE INSERT ON payments
WHEN NEW.kind = 'refund' AND NEW.status = 'succeeded' AND NEW.amount_cents >
    (SELECT coalesce(sum(amount_cents), 0) FROM payments
      WHERE order_id = NEW.order_id AND kind = 'charge' AND status = 'succeeded')
  - (SELECT coalesce(sum(amount_cents), 0) FROM payments
      WHERE order_id = NEW.order_id AND kind = 'refund' AND status = 'succeeded')
BEGIN
    SELECT RAISE(ABORT, 'refund above what was charged');
END;

-- Never charge an order after its refund (the compensation came first).
CREATE TRIGGER payments_no_charge_after_refund BEFORE INSERT ON payments
WHEN NEW.kind = 'charge' AND NEW.status = 'succeeded' AND EXISTS
    (SELECT 1 FROM payments WHERE order_id = NEW.order_id AND kind = 'refund' AND status = 'succeeded')
BEGIN
    SELECT RAISE(ABORT, 'charge after the order was refunded');
END;
