-- What the ended room's closing screen offers: whether its goods stay
-- buyable, and the id of the next show to point to ('' when none).
ALTER TABLE rooms ADD COLUMN sell_after_end BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rooms ADD COLUMN next_room TEXT NOT NULL DEFAULT '';
