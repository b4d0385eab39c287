-- Reminder jobs: one row per (user, show, kind), sent at most once. Times in
-- unix milliseconds. A pending job is due at due_at; a node that claims it
-- holds it until lease_until (a crash mid-send is retried after that), and a
-- failed attempt sets lease_until to the time of the next retry.
CREATE TABLE reminder_jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    room TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    -- before_ms > 0: a start reminder, due that long before starts_at (it
    -- moves when the show is rescheduled).
    before_ms BIGINT NOT NULL DEFAULT 0,
    starts_at BIGINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '{}',
    -- pending, sent, cancelled, skipped (not worth sending any more) or failed.
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (user_id, room, kind)
);

CREATE INDEX reminder_jobs_due ON reminder_jobs (state, due_at);
CREATE INDEX reminder_jobs_room ON reminder_jobs (room, state);

-- The channels a job was already delivered on (or skipped on, with the
-- reason), so a retry after a partial failure sends only the rest.
CREATE TABLE reminder_deliveries (
    job_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    PRIMARY KEY (job_id, channel)
);

-- Who holds a ticket for a show, as the entitlement events said: a
-- cancelled show notifies its active holders.
CREATE TABLE reminder_holders (
    room TEXT NOT NULL,
    user_id TEXT NOT NULL,
    tier TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (room, user_id)
);

-- Events already applied (entitlement and show events are redelivered
-- after a crash; each is applied once).
CREATE TABLE reminder_events_seen (
    event_id TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
