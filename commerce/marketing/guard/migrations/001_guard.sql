-- Who did what with a marketing tool, when and from where.
CREATE TABLE marketing_audit (
    id TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    addr TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX marketing_audit_target ON marketing_audit (target, at_ms);
CREATE INDEX marketing_audit_user ON marketing_audit (user_id, at_ms);

-- When livesell first saw each account (its first marketing action or room
-- join), or when the shop says it was created; draws may exclude accounts
-- newer than their opening.
CREATE TABLE marketing_accounts (
    user_id TEXT PRIMARY KEY,
    created_ms BIGINT NOT NULL
);
