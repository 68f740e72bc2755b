-- ListDashboardUsageDaily's rows for some local days, from raw rows: one row per (local date,
-- provider, model) of one workspace (or one of its projects), local date p_dates[i] being
-- [p_starts[i], p_ends[i]). The rollup's zone read passes the days it cannot stitch from its
-- prefixes (a day the queue names, a prefix not filled yet, a task whose provider is spelled two
-- ways): usually none, or the last few days. Each day is its own range of
-- task_usage_created_at_idx and each row's task, agent and issue a primary-key lookup (nested
-- loops only: the planner, guessing a share of task_usage per range, would otherwise hash every
-- task ever written), so a read pays for those days' rows only. Attribution, pricing and
-- counting as in the raw query (queries/dashboard.sql, list_dashboard_usage_daily): priced per
-- (local date, UTC day), as a local day can span two UTC days priced at different versions, and
-- task_count distinct per local date. plpgsql, so a read with no such day plans nothing of it.
CREATE OR REPLACE FUNCTION task_usage_dashboard_local_usage(
    p_workspace_id uuid,
    p_project_id uuid,
    p_starts timestamptz [],
    p_ends timestamptz [],
    p_dates date []
) RETURNS TABLE (
    date date,
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
LANGUAGE plpgsql STABLE
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
#variable_conflict use_column
BEGIN
    IF cardinality(p_dates) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH usage AS (
        SELECT
            l.date,
            lower(btrim(u.provider)) AS provider,
            u.model,
            task_usage_dashboard_utc_day(u.created_at) AS price_day,
            u.task_id,
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens,
            u.cost_usd_ticks
        FROM unnest(p_starts, p_ends, p_dates) AS l (starts_at, ends_at, date)
        -- OFFSET 0: each day's range is read first, then its rows' tasks (never the workspace's
        -- tasks first and all their usage, which a selective workspace filter would suggest).
        CROSS JOIN LATERAL (
            SELECT *
            FROM task_usage AS r
            WHERE r.created_at >= l.starts_at
                AND r.created_at < l.ends_at
            OFFSET 0
        ) AS u
        JOIN agent_task_queue AS t
            ON t.id = u.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        WHERE a.workspace_id = p_workspace_id
            AND (p_project_id IS NULL OR i.project_id = p_project_id)
    ),
    sums AS (
        SELECT
            GROUPING(price_day) = 1 AS whole_day,
            date,
            provider,
            model,
            price_day,
            sum(input_tokens)::bigint AS input_tokens,
            sum(output_tokens)::bigint AS output_tokens,
            sum(cache_read_tokens)::bigint AS cache_read_tokens,
            sum(cache_write_tokens)::bigint AS cache_write_tokens,
            coalesce(sum(cost_usd_ticks) FILTER (WHERE cost_usd_ticks > 0), 0) AS cost_usd_ticks,
            coalesce(sum(input_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_input_tokens,
            coalesce(sum(output_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_output_tokens,
            coalesce(sum(cache_read_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_read_tokens,
            coalesce(sum(cache_write_tokens) FILTER (WHERE coalesce(cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_write_tokens,
            count(DISTINCT task_id) AS task_count
        FROM usage
        GROUP BY GROUPING SETS ((date, provider, model, price_day), (date, provider, model))
    ),
    -- Materialized: priced once per distinct (day, provider, model), never per row joined to it.
    prices AS MATERIALIZED (
        SELECT k.price_day, k.provider, k.model, p.price_key, p.input_ticks, p.output_ticks,
            p.cache_read_ticks, p.cache_write_ticks
        FROM (SELECT DISTINCT s.price_day, s.provider, s.model FROM sums AS s WHERE NOT s.whole_day) AS k
        LEFT JOIN LATERAL task_usage_dashboard_price_on(k.provider, k.model, k.price_day) AS p
            ON true
    ),
    estimates AS (
        SELECT
            s.date,
            s.provider,
            s.model,
            sum(task_usage_dashboard_estimated_ticks(
                s.uncosted_input_tokens, s.uncosted_output_tokens, s.uncosted_cache_read_tokens,
                s.uncosted_cache_write_tokens, p.input_ticks, p.output_ticks, p.cache_read_ticks,
                p.cache_write_ticks
            )) AS estimated_cost_ticks,
            sum(CASE
                WHEN p.price_key IS NULL
                    THEN s.uncosted_input_tokens + s.uncosted_output_tokens
                        + s.uncosted_cache_read_tokens + s.uncosted_cache_write_tokens
                ELSE 0
            END)::bigint AS unpriced_tokens
        FROM sums AS s
        JOIN prices AS p
            USING (price_day, provider, model)
        WHERE NOT s.whole_day
        GROUP BY s.date, s.provider, s.model
    )
    SELECT
        s.date,
        s.provider,
        s.model,
        s.input_tokens,
        s.output_tokens,
        s.cache_read_tokens,
        s.cache_write_tokens,
        s.cost_usd_ticks,
        s.uncosted_input_tokens,
        s.uncosted_output_tokens,
        s.uncosted_cache_read_tokens,
        s.uncosted_cache_write_tokens,
        e.estimated_cost_ticks,
        e.unpriced_tokens,
        s.task_count
    FROM sums AS s
    JOIN estimates AS e
        USING (date, provider, model)
    WHERE s.whole_day;
END;
$$;
