-- The caller behind a token digest, or behind a page session's digest (then the token the
-- session was opened with, which must still be valid), and the workspace it asked for: the body
-- of resolve_dashboard_caller (queries/auth.sql says what each column means). It is a PL/pgSQL
-- function so that each server connection plans it once: every dashboard request runs it, and
-- as a plain statement it cost more to parse and plan (about 0.7 ms) than to run (0.1 ms). The
-- plan cannot go stale on a value: every arm is an index lookup whatever the digests and slug.
-- Private agents of others are listed for a plain member only (agent_owner_id_idx is not
-- needed: a workspace has few agents). No row: the token is unknown, revoked or expired.
-- workspace_id null: the workspace does not exist or the caller is not a member (both answer
-- 404, so existence is never revealed). last_used_at is touched at most once a minute so reads
-- do not turn into a write per request (a data-modifying CTE always runs to completion).
CREATE OR REPLACE FUNCTION usage_dashboard_caller(
    p_token_hash text,
    p_session_hash text,
    p_workspace_slug text,
    p_workspace_id uuid
) RETURNS TABLE (
    user_id uuid,
    timezone text,
    workspace_id uuid,
    workspace_slug text,
    hidden_agent_ids uuid[]
)
LANGUAGE plpgsql VOLATILE ROWS 1
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH token AS (
        SELECT
            p.id,
            p.user_id,
            p.last_used_at
        FROM personal_access_token AS p
        -- The session's token is an InitPlan, so both arms are index lookups (token_hash, id).
        WHERE (
                p.token_hash = p_token_hash
                OR p.id = (
                    SELECT s.token_id
                    FROM usage_dashboard_session AS s
                    WHERE s.session_hash = p_session_hash
                        AND s.expires_at > now()
                )
            )
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
        WHERE w.slug = p_workspace_slug
            OR w.id = p_workspace_id
        LIMIT 1
    )
    SELECT
        token.user_id,
        -- Cast: RETURN QUERY wants the declared types, and the platform's columns may be varchar.
        u.timezone::text,
        m.workspace_id,
        w.slug::text,
        ARRAY(
            SELECT a.id
            FROM agent AS a
            WHERE a.workspace_id = m.workspace_id
                AND m.role = 'member'
                AND a.visibility = 'private'
                AND a.owner_id IS DISTINCT FROM token.user_id
            ORDER BY a.id
        )
    FROM token
    JOIN "user" AS u
        ON u.id = token.user_id
    LEFT JOIN member AS m
        ON m.user_id = token.user_id
        AND m.workspace_id = (SELECT requested.id FROM requested)
    LEFT JOIN workspace AS w
        ON w.id = m.workspace_id;
END;
$$;
