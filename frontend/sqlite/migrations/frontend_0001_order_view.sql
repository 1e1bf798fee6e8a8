-- The frontend's own view of each order, kept from OrderStatusChanged
-- events: the latest saga version it has seen, never an older one.
CREATE TABLE order_view (
    order_id       TEXT PRIMARY KEY,
    state          TEXT NOT NULL,               -- saga state
    status         TEXT NOT NULL,               -- the customer's word for it
    version        INTEGER NOT NULL,            -- saga version of the event shown
    event          TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    expected_date  TEXT NOT NULL DEFAULT '',    -- YYYY-MM-DD
    tracking_id    TEXT NOT NULL DEFAULT '',
    total_cents    INTEGER NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
