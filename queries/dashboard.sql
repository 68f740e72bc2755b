-- name: list_dashboard_usage_daily(workspace_id, since, until, project_id)
-- One row per (UTC date, provider, model) of the workspace's usage in [since, until), with its
-- cost inputs: reported ticks, the tokens of rows without a reported amount, and those tokens
-- priced at the version in effect on the row's UTC day (estimated_cost_ticks; unpriced_tokens
-- when nothing prices them). Provider is lower(btrim(provider)), so "OpenAI" and "openai" are one.
-- The window bounds task_usage.created_at by UTC instants so task_usage_created_at_idx serves the
-- scan; the day is computed in UTC so the session TimeZone never moves a bucket.
-- Usage belongs to the workspace of its task's agent, and to the current project of its task's
-- issue: the project filter drops tasks without an issue and issues without a project.
-- Each bucket is priced once (a bucket is one provider, model and UTC day).
WITH usage AS (
    SELECT
        (u.created_at AT TIME ZONE 'UTC')::date AS date,
        lower(btrim(u.provider)) AS provider,
        u.model,
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
    WHERE a.workspace_id = :workspace_id
        AND u.created_at >= :since
        AND u.created_at < :until
        AND (CAST(:project_id AS uuid) IS NULL OR i.project_id = CAST(:project_id AS uuid))
    GROUP BY 1, 2, 3
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
    task_usage_dashboard_estimated_ticks(
        s.uncosted_input_tokens, s.uncosted_output_tokens, s.uncosted_cache_read_tokens,
        s.uncosted_cache_write_tokens, p.input_ticks, p.output_ticks, p.cache_read_ticks,
        p.cache_write_ticks
    ) AS estimated_cost_ticks,
    CASE
        WHEN p.price_key IS NULL
            THEN s.uncosted_input_tokens + s.uncosted_output_tokens + s.uncosted_cache_read_tokens
                + s.uncosted_cache_write_tokens
        ELSE 0
    END AS unpriced_tokens,
    s.task_count
FROM usage AS s
LEFT JOIN LATERAL task_usage_dashboard_price_on(s.provider, s.model, s.date) AS p
    ON true
ORDER BY s.date DESC, s.provider ASC, s.model ASC;

-- name: list_dashboard_usage_by_agent(workspace_id, since, until, project_id)
-- One row per (agent, provider, model) of the workspace's usage in [since, until), with the same
-- cost inputs as the daily query; the model stays so clients can see and price per model. Same
-- window, attribution and index as the daily query, so per-agent totals reconcile with the daily
-- series. One scan, two grouping sets: per UTC day, to price each day at its own version, and
-- over the whole window, for the distinct task count. Prices are looked up once per distinct
-- (day, provider, model), not per agent.
WITH usage AS (
    SELECT
        t.agent_id,
        lower(btrim(u.provider)) AS provider,
        u.model,
        (u.created_at AT TIME ZONE 'UTC')::date AS price_day,
        u.task_id,
        u.input_tokens,
        u.output_tokens,
        u.cache_read_tokens,
        u.cache_write_tokens,
        u.cost_usd_ticks
    FROM task_usage AS u
    JOIN agent_task_queue AS t
        ON t.id = u.task_id
    JOIN agent AS a
        ON a.id = t.agent_id
    LEFT JOIN issue AS i
        ON i.id = t.issue_id
    WHERE a.workspace_id = :workspace_id
        AND u.created_at >= :since
        AND u.created_at < :until
        AND (CAST(:project_id AS uuid) IS NULL OR i.project_id = CAST(:project_id AS uuid))
),
sums AS (
    SELECT
        GROUPING(price_day) = 1 AS whole_window,
        agent_id,
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
    GROUP BY GROUPING SETS ((agent_id, provider, model, price_day), (agent_id, provider, model))
),
-- Materialized: priced once per distinct (day, provider, model), never per row joined to it.
prices AS MATERIALIZED (
    SELECT k.price_day, k.provider, k.model, p.price_key, p.input_ticks, p.output_ticks,
        p.cache_read_ticks, p.cache_write_ticks
    FROM (SELECT DISTINCT price_day, provider, model FROM sums WHERE NOT whole_window) AS k
    LEFT JOIN LATERAL task_usage_dashboard_price_on(k.provider, k.model, k.price_day) AS p
        ON true
),
estimates AS (
    SELECT
        s.agent_id,
        s.provider,
        s.model,
        sum(task_usage_dashboard_estimated_ticks(
            s.uncosted_input_tokens, s.uncosted_output_tokens, s.uncosted_cache_read_tokens,
            s.uncosted_cache_write_tokens, p.input_ticks, p.output_ticks, p.cache_read_ticks,
            p.cache_write_ticks
        )) AS estimated_cost_ticks,
        sum(CASE
            WHEN p.price_key IS NULL
                THEN s.uncosted_input_tokens + s.uncosted_output_tokens + s.uncosted_cache_read_tokens
                    + s.uncosted_cache_write_tokens
            ELSE 0
        END)::bigint AS unpriced_tokens
    FROM sums AS s
    JOIN prices AS p
        USING (price_day, provider, model)
    WHERE NOT s.whole_window
    GROUP BY s.agent_id, s.provider, s.model
)
SELECT
    s.agent_id,
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
    USING (agent_id, provider, model)
WHERE s.whole_window
ORDER BY s.agent_id ASC, s.provider ASC, s.model ASC;

-- name: list_dashboard_agent_run_time(workspace_id, since, until, project_id)
-- One row per agent: run time of its terminal runs (completed, failed or cancelled, with both
-- started_at and completed_at) whose completed_at falls in [since, until). Seconds are summed
-- exactly and rounded once at the end. The status list matches the partial index
-- agent_task_queue_terminal_completed_at_idx so the window is an index range scan.
SELECT
    t.agent_id,
    round(sum(extract(EPOCH FROM t.completed_at - t.started_at)))::bigint AS total_seconds,
    count(*) AS task_count,
    count(*) FILTER (WHERE t.status = 'failed') AS failed_count,
    count(*) FILTER (WHERE t.status = 'cancelled') AS cancelled_count
FROM agent_task_queue AS t
JOIN agent AS a
    ON a.id = t.agent_id
LEFT JOIN issue AS i
    ON i.id = t.issue_id
WHERE a.workspace_id = :workspace_id
    AND t.status IN ('completed', 'failed', 'cancelled')
    AND t.started_at IS NOT NULL
    AND t.completed_at >= :since
    AND t.completed_at < :until
    AND (CAST(:project_id AS uuid) IS NULL OR i.project_id = CAST(:project_id AS uuid))
GROUP BY t.agent_id
ORDER BY total_seconds DESC, t.agent_id ASC;
