-- Sign-in sessions of the dashboard page. The cookie holds a random id; only its SHA-256 digest
-- is stored, with the token it was opened with. No foreign key to personal_access_token: that
-- table is the platform's, and a constraint would add triggers to its writes. Every read joins
-- the token and checks it is still valid, so a revoked, expired or deleted token ends its
-- sessions at once.
CREATE TABLE usage_dashboard_session (
    session_hash text PRIMARY KEY,
    token_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Sign-in removes the sessions that have expired.
CREATE INDEX usage_dashboard_session_expires_at_idx
    ON usage_dashboard_session (expires_at);
