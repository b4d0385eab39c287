-- Coupon templates (the template's fields as JSON in body).
CREATE TABLE coupon_templates (
    id TEXT PRIMARY KEY,
    room TEXT NOT NULL,
    body TEXT NOT NULL,
    issue_on_paid TEXT NOT NULL DEFAULT '',
    pushed_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX coupon_templates_room ON coupon_templates (room, created_at);
CREATE INDEX coupon_templates_issue ON coupon_templates (issue_on_paid);

-- One row per claimed coupon: claimed, used by order_id, or void.
CREATE TABLE coupon_claims (
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    order_id TEXT NOT NULL DEFAULT '',
    returns INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'claim',
    claimed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX coupon_claims_user ON coupon_claims (user_id, status);
CREATE INDEX coupon_claims_order ON coupon_claims (order_id);
CREATE INDEX coupon_claims_template ON coupon_claims (template_id, status);

-- Who did what to a coupon, when and from where.
CREATE TABLE coupon_audit (
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    claim_id TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    addr TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX coupon_audit_template ON coupon_audit (template_id, at);

-- Order events already acted on (once per event id).
CREATE TABLE coupon_events (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
