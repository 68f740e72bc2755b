-- name: resolve_dashboard_caller(token_hash, workspace_slug, workspace_id)^
-- The caller behind a token digest and the workspace it asked for, in one round trip.
-- No row: the token is unknown, revoked or expired. workspace_id null: the workspace does not
-- exist or the caller is not a member (both answer 404, so existence is never revealed).
-- last_used_at is touched at most once a minute so reads do not turn into a write per request
-- (a data-modifying CTE always runs to completion, read or not).
WITH token AS (
    SELECT
        p.id,
        p.user_id,
        p.last_used_at
    FROM personal_access_token AS p
    WHERE p.token_hash = :token_hash
        AND NOT p.revoked
        AND (p.expires_at IS NULL OR p.expires_at > now())
),
touched AS (
    UPDATE personal_access_token AS p
    SET last_used_at = now()
    FROM token
    WHERE p.id = token.id
        AND (token.last_used_at IS NULL OR token.last_used_at < now() - INTERVAL '1 minute')
    RETURNING p.id
),
requested AS (
    SELECT w.id
    FROM workspace AS w
    WHERE w.slug = :workspace_slug
        OR w.id = CAST(:workspace_id AS uuid)
    LIMIT 1
)
SELECT
    token.user_id,
    m.workspace_id
FROM token
LEFT JOIN member AS m
    ON m.user_id = token.user_id
    AND m.workspace_id = (SELECT requested.id FROM requested);

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
