-- How each user is reached on the personal channels, set by the shop's
-- backend (PUT /api/users/{user}/contact). Empty: not on that channel.
CREATE TABLE notify_contacts (
    user_id TEXT PRIMARY KEY,
    email TEXT NOT NULL DEFAULT '',
    wechat_openid TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL
);
