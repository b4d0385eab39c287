-- Lucky draws. seed_hex and salt_hex are secret while the draw is open:
-- commitment (the SHA-256 of the seed) is published at the opening, the
-- seed at the close, with the sorted entry list (entries_json, pseudonyms)
-- and the winners (winners_json), so anyone can recompute them
-- (docs/marketing.md).
CREATE TABLE draws (
    id TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    title TEXT NOT NULL,
    rule TEXT NOT NULL,
    keyword TEXT NOT NULL DEFAULT '',
    tag TEXT NOT NULL DEFAULT '',
    prize_json TEXT NOT NULL,
    winners_n INTEGER NOT NULL,
    exclude_new INTEGER NOT NULL DEFAULT 0,
    commitment TEXT NOT NULL,
    seed_hex TEXT NOT NULL,
    salt_hex TEXT NOT NULL,
    opens_ms BIGINT NOT NULL,
    closes_ms BIGINT NOT NULL,
    claim_ms BIGINT NOT NULL,
    -- open → closing → closed
    status TEXT NOT NULL,
    entries_json TEXT NOT NULL DEFAULT '',
    winners_json TEXT NOT NULL DEFAULT '',
    vetoed_json TEXT NOT NULL DEFAULT '',
    closed_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX draws_room ON draws (room, opens_ms);
CREATE INDEX draws_status ON draws (status, closes_ms);

-- The winners, by user (private: the public list has pseudonyms only).
CREATE TABLE draw_winners (
    draw_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    claimed_ms BIGINT NOT NULL DEFAULT 0,
    prize_ref TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (draw_id, user_id)
);
