-- The gift catalogue, every gift sent (the anchor's income ledger: one row
-- per gift, written once per payment — a paid order or a wallet debit),
-- the tipping rules of a room and the unlocks they gave.
CREATE TABLE gift_catalogue (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    icon TEXT NOT NULL DEFAULT '',
    price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    tier INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE gifts_sent (
    id TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_name TEXT NOT NULL DEFAULT '',
    gift_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    via TEXT NOT NULL,
    ref TEXT NOT NULL UNIQUE,
    at_ms BIGINT NOT NULL
);
CREATE INDEX gifts_sent_room ON gifts_sent (room, at_ms);
CREATE TABLE gift_orders (
    order_id TEXT PRIMARY KEY,
    sender_name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE gift_rules (
    id TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    threshold_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    reward TEXT NOT NULL,
    points BIGINT NOT NULL DEFAULT 0,
    label TEXT NOT NULL DEFAULT ''
);
CREATE TABLE gift_unlocks (
    rule_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    room TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (rule_id, user_id)
);
