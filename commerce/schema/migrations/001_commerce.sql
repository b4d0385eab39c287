-- Products: money in integer minor units, times in unix milliseconds.
CREATE TABLE commerce_products (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    images TEXT NOT NULL DEFAULT '[]',
    price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    per_user_limit INTEGER NOT NULL DEFAULT 0,
    stock_total BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The anchor's ordered list of products bound to a room.
CREATE TABLE commerce_room_products (
    room TEXT NOT NULL,
    product_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (room, product_id)
);

-- The product a room presents now, with its live price and sale window.
CREATE TABLE commerce_presenting (
    room TEXT PRIMARY KEY,
    product_id TEXT NOT NULL,
    live_price_minor BIGINT NOT NULL DEFAULT 0,
    sale_starts_at BIGINT NOT NULL DEFAULT 0,
    sale_ends_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE commerce_orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    room TEXT NOT NULL DEFAULT '',
    product_id TEXT NOT NULL,
    product_title TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    provider_txn TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    paid_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (user_id, idem_key)
);
CREATE INDEX commerce_orders_due ON commerce_orders (status, expires_at);
CREATE INDEX commerce_orders_room ON commerce_orders (room, created_at);
CREATE INDEX commerce_orders_user ON commerce_orders (user_id, created_at);
CREATE INDEX commerce_orders_product ON commerce_orders (product_id, status);

-- One row per payment attempt (POST /api/orders/{id}/pay).
CREATE TABLE commerce_payments (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    provider_ref TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX commerce_payments_order ON commerce_payments (order_id);

-- Each provider transaction is applied at most once.
CREATE TABLE commerce_payment_txns (
    provider TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, transaction_id)
);

-- Transactional outbox of order events, relayed to JetStream.
CREATE TABLE commerce_outbox (
    id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX commerce_outbox_pending ON commerce_outbox (published_at, id);

-- User tags, kept per (user, tag, room, product).
CREATE TABLE commerce_user_tags (
    user_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    room TEXT NOT NULL DEFAULT '',
    product_id TEXT NOT NULL DEFAULT '',
    hits BIGINT NOT NULL DEFAULT 1,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, tag, room, product_id)
);
CREATE INDEX commerce_user_tags_tag ON commerce_user_tags (tag, room);

-- Order events already folded into tags (consumer idempotency).
CREATE TABLE commerce_tag_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
