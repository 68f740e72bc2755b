-- What the queue says is not rolled up yet, as signed corrections to one workspace's base rows of
-- the UTC days [p_since, p_until): added to any level's rows of those days, they give what the
-- raw rows give now, so the rollup read path is exact in the reader's snapshot with no tick in
-- between. A queued (day, task) inside the per-task horizon costs that task's rows of the day:
-- its per-task rows negated, its raw rows added (task_usage_task_id_idx). A day queued whole (a
-- null task: a price change, a TRUNCATE) or older than the horizon (no per-task rows) costs the
-- day: the workspace's base rows negated, the day's raw rows added (task_usage_created_at_idx).
-- So a read pays for what the last tick left, which the tick bounds. Fresh rows are attributed
-- through the task's current agent and issue and priced per distinct (day, provider, model) at
-- the version of that day, as a tick would price them; each row keeps task_count, so a bucket
-- whose sums net to zero rows of usage has a task_count of zero and callers drop it.
-- An empty queue is one probe of task_usage_dashboard_dirty_bucket_date_idx, and no plan of the
-- correction at all: plpgsql, not an inlined SQL function, because planning the correction
-- inside every read cost more than the read. Nested loops only: the keys are few, and the
-- planner, guessing a third of task_usage for a day's range, would otherwise hash every task
-- and issue ever written.
CREATE OR REPLACE FUNCTION task_usage_dashboard_pending_usage(
    p_workspace_id uuid,
    p_since date,
    p_until date
) RETURNS TABLE (
    bucket_date date,
    agent_id uuid,
    project_id uuid,
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
LANGUAGE plpgsql STABLE ROWS 10
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
#variable_conflict use_column
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM task_usage_dashboard_dirty AS q
        WHERE q.bucket_date >= p_since
            AND q.bucket_date < p_until
    ) THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH queued AS (
        SELECT
            q.bucket_date,
            q.task_id,
            q.task_id IS NULL OR q.bucket_date < task_usage_dashboard_task_level_from() AS whole
        FROM task_usage_dashboard_dirty AS q
        WHERE q.bucket_date >= p_since
            AND q.bucket_date < p_until
    ),
    whole_days AS (
        SELECT DISTINCT queued.bucket_date
        FROM queued
        WHERE queued.whole
    ),
    -- Task keys of days not taken whole (those are corrected by the whole day instead).
    task_keys AS (
        SELECT DISTINCT queued.bucket_date, queued.task_id
        FROM queued
        WHERE NOT EXISTS (
            SELECT 1
            FROM whole_days AS w
            WHERE w.bucket_date = queued.bucket_date
        )
    ),
    raw_rows AS (
        SELECT
            w.bucket_date,
            u.task_id, u.provider, u.model, u.input_tokens, u.output_tokens,
            u.cache_read_tokens, u.cache_write_tokens, u.cost_usd_ticks
        FROM whole_days AS w
        JOIN task_usage AS u
            ON u.created_at >= w.bucket_date::timestamp AT TIME ZONE 'UTC'
            AND u.created_at < (w.bucket_date + 1)::timestamp AT TIME ZONE 'UTC'
        UNION ALL
        SELECT
            k.bucket_date,
            u.task_id, u.provider, u.model, u.input_tokens, u.output_tokens,
            u.cache_read_tokens, u.cache_write_tokens, u.cost_usd_ticks
        FROM task_keys AS k
        JOIN task_usage AS u
            ON u.task_id = k.task_id
            AND u.created_at >= k.bucket_date::timestamp AT TIME ZONE 'UTC'
            AND u.created_at < (k.bucket_date + 1)::timestamp AT TIME ZONE 'UTC'
    ),
    fresh AS (
        SELECT
            r.bucket_date,
            t.agent_id,
            i.project_id,
            lower(btrim(r.provider)) AS provider,
            r.model,
            sum(r.input_tokens)::bigint AS input_tokens,
            sum(r.output_tokens)::bigint AS output_tokens,
            sum(r.cache_read_tokens)::bigint AS cache_read_tokens,
            sum(r.cache_write_tokens)::bigint AS cache_write_tokens,
            coalesce(sum(r.cost_usd_ticks) FILTER (WHERE r.cost_usd_ticks > 0), 0) AS cost_usd_ticks,
            coalesce(sum(r.input_tokens) FILTER (WHERE coalesce(r.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_input_tokens,
            coalesce(sum(r.output_tokens) FILTER (WHERE coalesce(r.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_output_tokens,
            coalesce(sum(r.cache_read_tokens) FILTER (WHERE coalesce(r.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_read_tokens,
            coalesce(sum(r.cache_write_tokens) FILTER (WHERE coalesce(r.cost_usd_ticks, 0) <= 0), 0)::bigint
                AS uncosted_cache_write_tokens,
            count(DISTINCT r.task_id) AS task_count
        FROM raw_rows AS r
        JOIN agent_task_queue AS t
            ON t.id = r.task_id
        JOIN agent AS a
            ON a.id = t.agent_id
        LEFT JOIN issue AS i
            ON i.id = t.issue_id
        WHERE a.workspace_id = p_workspace_id
        GROUP BY r.bucket_date, t.agent_id, i.project_id, 4, r.model
    ),
    -- Each (day, provider, model) priced once. Its price reaches its rows through a window over
    -- the rows and the prices together, not a join: with hash and merge joins off (the raw
    -- lookups above need that), a join would compare every row with every key.
    prices AS (
        SELECT k.bucket_date, k.provider, k.model, p.price_key, p.input_ticks, p.output_ticks,
            p.cache_read_ticks, p.cache_write_ticks
        FROM (SELECT DISTINCT fresh.bucket_date, fresh.provider, fresh.model FROM fresh) AS k
        LEFT JOIN LATERAL task_usage_dashboard_price_on(k.provider, k.model, k.bucket_date) AS p
            ON true
    ),
    rows_and_prices AS (
        SELECT
            f.*,
            NULL::text AS price_key,
            NULL::numeric AS input_ticks,
            NULL::numeric AS output_ticks,
            NULL::numeric AS cache_read_ticks,
            NULL::numeric AS cache_write_ticks,
            false AS is_price
        FROM fresh AS f
        UNION ALL
        SELECT
            p.bucket_date, NULL, NULL, p.provider, p.model, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, p.price_key, p.input_ticks, p.output_ticks,
            p.cache_read_ticks, p.cache_write_ticks, true
        FROM prices AS p
    ),
    priced AS (
        SELECT
            r.*,
            bool_or(r.price_key IS NOT NULL) OVER w AS has_price,
            max(r.input_ticks) OVER w AS key_input_ticks,
            max(r.output_ticks) OVER w AS key_output_ticks,
            max(r.cache_read_ticks) OVER w AS key_cache_read_ticks,
            max(r.cache_write_ticks) OVER w AS key_cache_write_ticks
        FROM rows_and_prices AS r
        WINDOW w AS (PARTITION BY r.bucket_date, r.provider, r.model)
    )
    SELECT
        f.bucket_date,
        f.agent_id,
        f.project_id,
        f.provider,
        f.model,
        f.input_tokens,
        f.output_tokens,
        f.cache_read_tokens,
        f.cache_write_tokens,
        f.cost_usd_ticks,
        f.uncosted_input_tokens,
        f.uncosted_output_tokens,
        f.uncosted_cache_read_tokens,
        f.uncosted_cache_write_tokens,
        task_usage_dashboard_estimated_ticks(
            f.uncosted_input_tokens, f.uncosted_output_tokens, f.uncosted_cache_read_tokens,
            f.uncosted_cache_write_tokens, f.key_input_ticks, f.key_output_ticks,
            f.key_cache_read_ticks, f.key_cache_write_ticks
        ),
        CASE
            WHEN NOT f.has_price
                THEN f.uncosted_input_tokens + f.uncosted_output_tokens
                    + f.uncosted_cache_read_tokens + f.uncosted_cache_write_tokens
            ELSE 0
        END,
        f.task_count
    FROM priced AS f
    WHERE NOT f.is_price
    UNION ALL
    -- A per-task row is one task's usage of one (day, provider, model): one of its bucket's tasks.
    SELECT
        s.bucket_date,
        s.agent_id,
        s.project_id,
        s.provider,
        s.model,
        -s.input_tokens,
        -s.output_tokens,
        -s.cache_read_tokens,
        -s.cache_write_tokens,
        -s.cost_usd_ticks,
        -s.uncosted_input_tokens,
        -s.uncosted_output_tokens,
        -s.uncosted_cache_read_tokens,
        -s.uncosted_cache_write_tokens,
        -s.estimated_cost_ticks,
        -s.unpriced_tokens,
        -1
    FROM task_keys AS k
    JOIN task_usage_dashboard_daily_task_model AS s
        ON s.bucket_date = k.bucket_date
        AND s.task_id = k.task_id
    WHERE s.workspace_id = p_workspace_id
    UNION ALL
    SELECT
        b.bucket_date,
        b.agent_id,
        b.project_id,
        b.provider,
        b.model,
        -b.input_tokens,
        -b.output_tokens,
        -b.cache_read_tokens,
        -b.cache_write_tokens,
        -b.cost_usd_ticks,
        -b.uncosted_input_tokens,
        -b.uncosted_output_tokens,
        -b.uncosted_cache_read_tokens,
        -b.uncosted_cache_write_tokens,
        -b.estimated_cost_ticks,
        -b.unpriced_tokens,
        -b.task_count
    FROM whole_days AS w
    JOIN task_usage_dashboard_daily AS b
        ON b.workspace_id = p_workspace_id
        AND b.bucket_date = w.bucket_date;
END;
$$;
