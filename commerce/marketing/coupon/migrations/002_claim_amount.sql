-- A claim issued with its own amount (a red packet converted to a coupon:
-- the grabbed amount); 0 = the template's amount.
ALTER TABLE coupon_claims ADD COLUMN amount_minor BIGINT NOT NULL DEFAULT 0;
CREATE INDEX coupon_claims_source ON coupon_claims (source);
