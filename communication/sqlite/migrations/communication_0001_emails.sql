-- Every email communication sent: at most one per order and template.
CREATE TABLE emails (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL,
    template   TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    sender     TEXT NOT NULL,   -- mailbox or smtp
    command_id TEXT NOT NULL,   -- the SendEmail message that caused it
    sent_at    TEXT NOT NULL,
    UNIQUE (order_id, template)
);
CREATE INDEX emails_recipient ON emails (recipient COLLATE NOCASE, sent_at);
CREATE INDEX emails_sent_at ON emails (sent_at);
