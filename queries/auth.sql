-- name: resolve_dashboard_caller(token_hash, session_hash, workspace_slug, workspace_id)^
-- The caller behind a token digest, or behind a page session's digest (then the token the
-- session was opened with, which must still be valid), and the workspace it asked for, in one
-- round trip, with the caller's own time zone (the default of a request without tz) and the
-- agents the caller may not see there: private agents are visible to their owner and to the
-- workspace's owners and admins, so a plain member's list holds the private agents of others.
-- No row: the token is unknown, revoked or expired. workspace_id null: the workspace does not
-- exist or the caller is not a member (both answer 404, so existence is never revealed).
-- Every dashboard request runs this first, so its body is the PL/pgSQL function
-- usage_dashboard_caller, planned once per server connection instead of once per request.
SELECT
    c.user_id,
    c.timezone,
    c.workspace_id,
    c.workspace_slug,
    c.hidden_agent_ids
FROM usage_dashboard_caller(
    :token_hash,
    :session_hash,
    :workspace_slug,
    CAST(:workspace_id AS uuid)
) AS c;

-- name: get_workspace_id_by_slug(slug)$
-- The id of the workspace with this slug, or null; the CLI checks a workspace exists this way.
SELECT id
FROM workspace
WHERE slug = :slug;

-- name: upsert_user(email, name)$
-- The id of the user with this email, created when missing (token creation for a new person).
INSERT INTO "user" (email, name)
VALUES (:email, :name)
ON CONFLICT (email) DO UPDATE
SET updated_at = "user".updated_at
RETURNING id;

-- name: ensure_member(workspace_id, user_id, role)!
-- Makes the user a member of the workspace with the given role when not one already;
-- an existing membership keeps its role (a token must never change someone's rights).
INSERT INTO member (workspace_id, user_id, role)
VALUES (:workspace_id, :user_id, :role)
ON CONFLICT (workspace_id, user_id) DO NOTHING;

-- name: insert_personal_access_token(user_id, name, token_hash, token_prefix, expires_at)$
-- Stores a new token by its SHA-256 digest only; the secret itself is never written.
INSERT INTO personal_access_token (user_id, name, token_hash, token_prefix, expires_at)
VALUES (:user_id, :name, :token_hash, :token_prefix, :expires_at)
RETURNING id;

-- name: get_me(token_hash, session_hash)^
-- The caller behind a token digest or a page session's digest (no row: unknown, revoked or
-- expired, as in resolve_dashboard_caller), with every workspace
-- it is a member of and its role there, by name: what the page's workspace picker offers.
SELECT
    u.id,
    u.name,
    u.email,
    u.timezone,
    coalesce(jsonb_agg(
        jsonb_build_object('id', w.id, 'slug', w.slug, 'name', w.name, 'role', m.role)
        ORDER BY w.name, w.slug
    ) FILTER (WHERE w.id IS NOT NULL), '[]') AS workspaces
FROM personal_access_token AS p
JOIN "user" AS u
    ON u.id = p.user_id
LEFT JOIN member AS m
    ON m.user_id = u.id
LEFT JOIN workspace AS w
    ON w.id = m.workspace_id
WHERE (
        p.token_hash = :token_hash
        OR p.id = (
            SELECT s.token_id
            FROM usage_dashboard_session AS s
            WHERE s.session_hash = :session_hash
                AND s.expires_at > now()
        )
    )
    AND NOT p.revoked
    AND (p.expires_at IS NULL OR p.expires_at > now())
GROUP BY u.id;

-- name: list_personal_access_tokens(email)
-- Every token with its owner's email, newest first, for `token list` (email null: all users);
-- never the digest. Small table, read by the CLI only: no index beyond the user's.
SELECT
    p.id,
    p.token_prefix,
    p.name,
    u.email,
    p.created_at,
    p.expires_at,
    p.last_used_at,
    p.revoked
FROM personal_access_token AS p
JOIN "user" AS u
    ON u.id = p.user_id
WHERE :email::text IS NULL
    OR u.email = :email
ORDER BY p.created_at DESC, p.id;

-- name: revoke_personal_access_token(id)$
-- Marks one token revoked (by its primary key) and returns whether it was already; no row when
-- the id is unknown. The dashboard refuses a revoked token at its next request, and its page
-- sessions with it, since both checks read this flag.
UPDATE personal_access_token AS p
SET revoked = true
FROM personal_access_token AS before
WHERE p.id = :id
    AND before.id = p.id
RETURNING before.revoked;
