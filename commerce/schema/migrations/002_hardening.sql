-- The floor of live prices (set by the admin only), and stock held for a
-- room's flash sale until it opens.
ALTER TABLE commerce_products ADD COLUMN min_live_price_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE commerce_products ADD COLUMN max_discount_percent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commerce_products ADD COLUMN hold_for_sale INTEGER NOT NULL DEFAULT 0;

-- What a payment attempt answered, so that a repeated /pay reuses the open
-- attempt instead of asking the provider again.
ALTER TABLE commerce_payments ADD COLUMN checkout TEXT NOT NULL DEFAULT '';
