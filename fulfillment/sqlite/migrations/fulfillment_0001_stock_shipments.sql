-- Stock per title: a reservation moves copies from available to reserved, a
-- release moves them back, so available + reserved stays what was seeded.
CREATE TABLE stock (
    isbn      TEXT PRIMARY KEY,
    available INTEGER NOT NULL CHECK (available >= 0),
    reserved  INTEGER NOT NULL CHECK (reserved >= 0)
);

-- At most one shipment per order, ever: a cancelled one stays as the record.
CREATE TABLE shipments (
    id               TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL UNIQUE,
    status           TEXT NOT NULL CHECK (status IN ('scheduled', 'cancelled')),
    expected_date    TEXT NOT NULL,
    tracking_id      TEXT NOT NULL UNIQUE,
    shipping_address TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    cancelled_at     TEXT
);
CREATE INDEX shipments_created_at ON shipments (created_at);

-- The copies each shipment reserved, one row per title.
CREATE TABLE shipment_lines (
    shipment_id TEXT NOT NULL REFERENCES shipments (id),
    position    INTEGER NOT NULL,
    isbn        TEXT NOT NULL REFERENCES stock (isbn),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shipment_id, isbn)
);

-- Orders whose delivery was cancelled, scheduled or not: a ScheduleDelivery
-- that arrives after its compensation must not be acted on.
CREATE TABLE cancellations (
    order_id     TEXT PRIMARY KEY,
    cancelled_at TEXT NOT NULL
);
