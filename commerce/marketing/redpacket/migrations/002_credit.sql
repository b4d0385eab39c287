-- How a packet's grabs are credited: to the wallet, or as a claimed
-- amount_off coupon of template coupon_id worth the grabbed amount.
ALTER TABLE redpackets ADD COLUMN credit TEXT NOT NULL DEFAULT 'wallet';
ALTER TABLE redpackets ADD COLUMN coupon_id TEXT NOT NULL DEFAULT '';
