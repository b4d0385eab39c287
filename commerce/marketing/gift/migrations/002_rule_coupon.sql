-- A tipping rule's coupon reward: the coupon template issued once to a
-- viewer whose tips reach the threshold.
ALTER TABLE gift_rules ADD COLUMN coupon_id TEXT NOT NULL DEFAULT '';
