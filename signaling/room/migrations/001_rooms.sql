-- Rooms and their push keys. Times are unix milliseconds; keys are stored
-- only as the hex SHA-256 of the plaintext, which is shown once.
CREATE TABLE IF NOT EXISTS rooms (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    private BOOLEAN NOT NULL DEFAULT FALSE,
    anonymous_chat BOOLEAN NOT NULL DEFAULT FALSE,
    state TEXT NOT NULL DEFAULT 'idle',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS rooms_created_at_idx ON rooms (created_at);
CREATE TABLE IF NOT EXISTS room_push_keys (
    id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX IF NOT EXISTS room_push_keys_hash_idx ON room_push_keys (hash);
CREATE INDEX IF NOT EXISTS room_push_keys_room_idx ON room_push_keys (room_id);
