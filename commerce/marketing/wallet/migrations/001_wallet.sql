-- A per-user wallet per currency ("points" for points): its balance and
-- the ledger of every movement. A movement is written once per (kind, ref):
-- crediting a red-packet grab or a draw prize twice is impossible.
CREATE TABLE wallet_balances (
    user_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (user_id, currency)
);
CREATE TABLE wallet_entries (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    UNIQUE (kind, ref)
);
CREATE INDEX wallet_entries_user ON wallet_entries (user_id, at_ms);
