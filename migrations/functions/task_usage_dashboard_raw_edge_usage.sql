-- One workspace's usage in the partial UTC days at the edges of a window [p_since, p_until) whose
-- whole UTC days are [p_first_whole, p_end_whole): [p_since, p_first_whole) and
-- [p_end_whole, p_until), for a viewer off UTC, from raw rows (the edges
-- task_usage_dashboard_edge_usage cannot take from the agent prefixes). Rows are per (agent,
-- provider, model, UTC day), like the by-agent levels' rows: each day priced at its version, its
-- tasks counted per day.
-- Read through task_usage_created_at_idx (one bitmap scan of the two ranges), each row's task and
-- issue by primary key: nested loops only, as the planner, guessing a third of task_usage for a
-- range it cannot see, would otherwise hash every task and issue ever written. A UTC window has
-- no edges and costs nothing.
CREATE OR REPLACE FUNCTION task_usage_dashboard_raw_edge_usage(
    p_workspace_id uuid,
    p_project_id uuid,
    p_since timestamptz,
    p_first_whole date,
    p_end_whole date,
    p_until timestamptz
) RETURNS TABLE (
    agent_id uuid,
    provider text,
    model text,
    input_tokens bigint,
    output_tokens bigint,
    cache_read_tokens bigint,
    cache_write_tokens bigint,
    cost_usd_ticks numeric,
    uncosted_input_tokens bigint,
    uncosted_output_tokens bigint,
    uncosted_cache_read_tokens bigint,
    uncosted_cache_write_tokens bigint,
    estimated_cost_ticks numeric,
    unpriced_tokens bigint,
    task_count bigint
)
LANGUAGE plpgsql STABLE ROWS 100
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
#variable_conflict use_column
BEGIN
    IF p_since = p_first_whole::timestamp AT TIME ZONE 'UTC'
        AND p_until = p_end_whole::timestamp AT TIME ZONE 'UTC'
    THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH edge_usage AS (
        SELECT
            t.agent_id,
            lower(btrim(u.provider)) AS provider,
            u.model,
            (u.created_at AT TIME ZONE 'UTC')::date AS price_day,
            sum(u.input_tokens)::bigint AS input_tokens,
            sum(u.output_tokens)::bigint AS output_tokens,
            sum(u.cache_read_tokens)::bigint AS cache_read_tokens,
            sum(u.cache_write_tokens)::bigint AS cache_write_tokens,
            coalesce(sum(u.cost_usd_ticks) FILTER (WHERE u.cost_usd_ticks > 0), 0) AS cost_usd_ticks,
            coalesce(sum(u.input_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_input_tokens,
            coalesce(sum(u.output_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_output_tokens,
            coalesce(sum(u.cache_read_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_read_tokens,
            coalesce(sum(u.cache_write_tokens) FILTER (WHERE coalesce(u.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_write_tokens,
            count(DISTINCT u.task_id) AS task_count
        FROM task_usage AS u
        JOIN agent_task_queue AS t
            ON t.id = u.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        WHERE a.workspace_id = p_workspace_id
            AND (
                (
                    u.created_at >= p_since
                    AND u.created_at < least(p_first_whole::timestamp AT TIME ZONE 'UTC', p_until)
                )
                OR (
                    u.created_at >= greatest(p_end_whole::timestamp AT TIME ZONE 'UTC', p_since)
                    AND u.created_at < p_until
                )
            )
            AND (p_project_id IS NULL OR i.project_id = p_project_id)
        GROUP BY t.agent_id, 2, u.model, 4
    ),
    -- Materialized: priced once per distinct (day, provider, model).
    edge_prices AS MATERIALIZED (
        SELECT k.price_day, k.provider, k.model, p.price_key, p.input_ticks, p.output_ticks,
            p.cache_read_ticks, p.cache_write_ticks
        FROM (SELECT DISTINCT price_day, provider, model FROM edge_usage) AS k
        LEFT JOIN LATERAL task_usage_dashboard_price_on(k.provider, k.model, k.price_day) AS p
            ON true
    )
    SELECT
        e.agent_id,
        e.provider,
        e.model,
        e.input_tokens,
        e.output_tokens,
        e.cache_read_tokens,
        e.cache_write_tokens,
        e.cost_usd_ticks,
        e.uncosted_input_tokens,
        e.uncosted_output_tokens,
        e.uncosted_cache_read_tokens,
        e.uncosted_cache_write_tokens,
        task_usage_dashboard_estimated_ticks(
            e.uncosted_input_tokens, e.uncosted_output_tokens, e.uncosted_cache_read_tokens,
            e.uncosted_cache_write_tokens, p.input_ticks, p.output_ticks, p.cache_read_ticks,
            p.cache_write_ticks
        ),
        CASE
            WHEN p.price_key IS NULL
                THEN e.uncosted_input_tokens + e.uncosted_output_tokens
                    + e.uncosted_cache_read_tokens + e.uncosted_cache_write_tokens
            ELSE 0
        END,
        e.task_count
    FROM edge_usage AS e
    JOIN edge_prices AS p
        USING (price_day, provider, model);
END;
$$;
