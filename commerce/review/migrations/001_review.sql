-- The after-show review: the shows of each room (a show runs from the
-- room going live to its end), and the events of the audience, the product
-- cards and the orders they are computed from. Times are unix milliseconds.
CREATE TABLE review_shows (
    id          TEXT PRIMARY KEY,
    room        TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT NOT NULL DEFAULT 0,
    report      TEXT NOT NULL DEFAULT '',
    webhook_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX review_shows_room ON review_shows (room, started_at);

CREATE TABLE review_audience (
    room        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    viewer      TEXT NOT NULL DEFAULT '',
    user_id     TEXT NOT NULL DEFAULT '',
    product_id  TEXT NOT NULL DEFAULT '',
    n           BIGINT NOT NULL DEFAULT 0,
    body        TEXT NOT NULL DEFAULT '',
    name        TEXT NOT NULL DEFAULT '',
    message_id  TEXT NOT NULL DEFAULT '',
    referrer    TEXT NOT NULL DEFAULT '',
    replay      INTEGER NOT NULL DEFAULT 0,
    at          BIGINT NOT NULL
);
CREATE INDEX review_audience_room ON review_audience (room, at);

CREATE TABLE review_cards (
    room             TEXT NOT NULL,
    product_id       TEXT NOT NULL DEFAULT '',
    shown            INTEGER NOT NULL,
    title            TEXT NOT NULL DEFAULT '',
    image            TEXT NOT NULL DEFAULT '',
    price_minor      BIGINT NOT NULL DEFAULT 0,
    live_price_minor BIGINT NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL DEFAULT '',
    version          BIGINT NOT NULL DEFAULT 0,
    at               BIGINT NOT NULL
);
CREATE INDEX review_cards_room ON review_cards (room, at);

CREATE TABLE review_orders (
    event_id     TEXT PRIMARY KEY,
    type         TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    room         TEXT NOT NULL,
    product_id   TEXT NOT NULL DEFAULT '',
    user_id      TEXT NOT NULL DEFAULT '',
    quantity     BIGINT NOT NULL DEFAULT 0,
    amount_minor BIGINT NOT NULL DEFAULT 0,
    currency     TEXT NOT NULL DEFAULT '',
    at           BIGINT NOT NULL
);
CREATE INDEX review_orders_room ON review_orders (room, at);
