-- Paid presale: offers, tickets, entitlements, their outbox, page views,
-- referral codes and rewards. Money in integer minor units, times in unix
-- milliseconds.

-- One offer per show (a scheduled room); its tiers and price steps are the
-- offer's JSON document (body), validated by the presale package.
CREATE TABLE presale_offers (
    room TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One ticket = one place in a tier, bought in full or by deposit and
-- balance. order_id is the full or deposit order, balance_order_id the
-- balance order (commerce_orders, kind "ticket:").
CREATE TABLE presale_tickets (
    id TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    tier TEXT NOT NULL,
    user_id TEXT NOT NULL,
    pay TEXT NOT NULL,
    status TEXT NOT NULL,
    step INTEGER NOT NULL,
    price_minor BIGINT NOT NULL,
    deposit_minor BIGINT NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    order_id TEXT NOT NULL,
    balance_order_id TEXT NOT NULL DEFAULT '',
    balance_due_at BIGINT NOT NULL DEFAULT 0,
    referrer TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    paid_minor BIGINT NOT NULL DEFAULT 0,
    refunded_minor BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    paid_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX presale_tickets_order ON presale_tickets (order_id);
CREATE INDEX presale_tickets_balance ON presale_tickets (balance_order_id);
CREATE INDEX presale_tickets_due ON presale_tickets (status, balance_due_at);
CREATE INDEX presale_tickets_room ON presale_tickets (room, tier);
CREATE INDEX presale_tickets_user ON presale_tickets (user_id, created_at);

-- The whitelist: who may watch a ticketed show, and at which tier.
CREATE TABLE presale_entitlements (
    room TEXT NOT NULL,
    user_id TEXT NOT NULL,
    tier TEXT NOT NULL,
    source TEXT NOT NULL,
    ticket_id TEXT NOT NULL DEFAULT '',
    granted_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    revoke_reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (room, user_id, tier)
);

-- Entitlement events, written in the transaction that changed the
-- whitelist and relayed to JetStream (<NS>_ENTITLEMENTS).
CREATE TABLE presale_outbox (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX presale_outbox_unpublished ON presale_outbox (published_at, id);

-- Presale page views per visitor (views and unique visitors), with the
-- referral code the visitor came by.
CREATE TABLE presale_views (
    room TEXT NOT NULL,
    visitor TEXT NOT NULL,
    views BIGINT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    first_at BIGINT NOT NULL,
    PRIMARY KEY (room, visitor)
);

-- Each buyer's referral code for a show (carried by their share link).
CREATE TABLE presale_referral_codes (
    code TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    user_id TEXT NOT NULL,
    UNIQUE (room, user_id)
);

-- A referrer's reward for one referred paid ticket (exactly once per ticket).
CREATE TABLE presale_rewards (
    ticket_id TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    referrer TEXT NOT NULL,
    kind TEXT NOT NULL,
    coupon_code TEXT NOT NULL DEFAULT '',
    amount_minor BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
