-- Coupons applied to orders: the order's total discount (amount_minor is
-- what is charged, after it) and each line's share per coupon.
ALTER TABLE commerce_orders ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0;
CREATE TABLE commerce_order_discounts (
    order_id TEXT NOT NULL,
    line INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    sku TEXT NOT NULL DEFAULT '',
    claim_id TEXT NOT NULL,
    coupon_id TEXT NOT NULL,
    discount_minor BIGINT NOT NULL,
    PRIMARY KEY (order_id, line, claim_id)
);
CREATE INDEX commerce_order_discounts_coupon ON commerce_order_discounts (coupon_id);
