-- name: create_dashboard_session(session_hash, token_hash, lifetime)$
-- Opens a page session for the token with this digest when the token is valid (not revoked, not
-- expired); returns whether one was opened. The session never outlives its token.
INSERT INTO usage_dashboard_session (session_hash, token_id, expires_at)
SELECT
    :session_hash,
    p.id,
    least(now() + CAST(:lifetime AS interval), coalesce(p.expires_at, 'infinity'))
FROM personal_access_token AS p
WHERE p.token_hash = :token_hash
    AND NOT p.revoked
    AND (p.expires_at IS NULL OR p.expires_at > now())
RETURNING true;

-- name: delete_dashboard_session(session_hash)!
-- Sign-out: the session with this digest ends.
DELETE FROM usage_dashboard_session
WHERE session_hash = :session_hash;

-- name: delete_expired_dashboard_sessions()!
-- Expired sessions are removed at each sign-in (usage_dashboard_session_expires_at_idx), so the
-- table holds only live sessions and a few of the last period's.
DELETE FROM usage_dashboard_session
WHERE expires_at <= now();
