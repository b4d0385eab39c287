-- Whether the room's lives are recorded (issue #16: replay).
ALTER TABLE rooms ADD COLUMN record BOOLEAN NOT NULL DEFAULT FALSE;
