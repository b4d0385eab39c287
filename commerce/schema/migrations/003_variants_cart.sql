-- Variants (SKUs) of a product, each with its own stock and optional price
-- (0 = the product's price). A product without rows here has one implicit
-- SKU: the product itself.
CREATE TABLE commerce_variants (
    product_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    title TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    price_minor BIGINT NOT NULL DEFAULT 0,
    stock_total BIGINT NOT NULL DEFAULT 0,
    position INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (product_id, sku)
);

-- A cart order's lines (JSON; empty for a one-product order), and which
-- products each order holds, to rebuild a product's stock from SQL.
ALTER TABLE commerce_orders ADD COLUMN cart_lines TEXT NOT NULL DEFAULT '';
CREATE TABLE commerce_order_products (
    order_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX commerce_order_products_product ON commerce_order_products (product_id);
