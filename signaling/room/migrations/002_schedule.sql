-- A room's schedule: when the show is announced to start (unix ms, NULL when
-- unscheduled) and its cover image (an https URL, '' when none).
ALTER TABLE rooms ADD COLUMN starts_at BIGINT;
ALTER TABLE rooms ADD COLUMN cover_url TEXT NOT NULL DEFAULT '';
