-- Red packets: a total split into n packets in Redis (one Lua script),
-- grabbed there and credited to the wallet ledger; this row is the
-- packet's definition and its settlement.
CREATE TABLE redpackets (
    id TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    issuer TEXT NOT NULL,
    rain_id TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    packets INTEGER NOT NULL,
    min_minor BIGINT NOT NULL,
    mode TEXT NOT NULL,
    seed BIGINT NOT NULL,
    opens_ms BIGINT NOT NULL,
    ends_ms BIGINT NOT NULL,
    -- scheduled → open → closed
    status TEXT NOT NULL,
    grabbed INTEGER NOT NULL DEFAULT 0,
    paid_minor BIGINT NOT NULL DEFAULT 0,
    returned_minor BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);
CREATE INDEX redpackets_status ON redpackets (status, opens_ms);
CREATE INDEX redpackets_room ON redpackets (room, created_ms);
