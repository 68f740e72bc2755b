-- name: list_dashboard_usage_daily(workspace_id, since, until, bounds, first_date, project_id)
-- One row per (local date, provider, model) of the workspace's usage in [since, until), with its
-- cost inputs: reported ticks, the tokens of rows without a reported amount, and those tokens
-- priced at the version in effect on the row's UTC day (estimated_cost_ticks; unpriced_tokens
-- when nothing prices them). Provider is lower(btrim(provider)), so "OpenAI" and "openai" are one.
-- Both tick sums leave as the text of their numeric, trailing zeros trimmed (a price's scale
-- adds them): the app parses that into an int at a fraction of the cost of decoding a numeric
-- into a Decimal and checking it is whole, on up to 365 x models rows; a fraction, which
-- model_price's checks rule out, still fails that parse.
-- Local days come from the caller as instants: bounds holds every local midnight of the window
-- (first to last + 1), and width_bucket finds a row's day by binary search, so no offset, DST
-- rule or session TimeZone is applied here. The window bounds task_usage.created_at by those
-- instants so task_usage_created_at_idx serves the scan.
-- Usage belongs to the workspace of its task's agent, and to the current project of its task's
-- issue: the project filter drops tasks without an issue and issues without a project.
-- One scan, two grouping sets: per (local date, UTC day), because a local day can span two UTC
-- days priced at different versions, and per local date, for the distinct task count. Prices
-- are looked up once per distinct (UTC day, provider, model).
WITH usage AS (
    SELECT
        CAST(:first_date AS date)
            + (width_bucket(u.created_at, CAST(:bounds AS timestamptz[])) - 1) AS date,
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
    FROM (SELECT DISTINCT price_day, provider, model FROM sums WHERE NOT whole_day) AS k
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
                THEN s.uncosted_input_tokens + s.uncosted_output_tokens + s.uncosted_cache_read_tokens
                    + s.uncosted_cache_write_tokens
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
    trim_scale(s.cost_usd_ticks)::text AS cost_usd_ticks,
    s.uncosted_input_tokens,
    s.uncosted_output_tokens,
    s.uncosted_cache_read_tokens,
    s.uncosted_cache_write_tokens,
    trim_scale(e.estimated_cost_ticks)::text AS estimated_cost_ticks,
    e.unpriced_tokens,
    s.task_count
FROM sums AS s
JOIN estimates AS e
    USING (date, provider, model)
WHERE s.whole_day
ORDER BY s.date DESC, s.provider ASC, s.model ASC;

-- name: list_dashboard_usage_by_agent(workspace_id, since, until, project_id)
-- One row per (agent, provider, model) of the workspace's usage in [since, until), with the same
-- cost inputs as the daily query; the model stays so clients can see and price per model. Same
-- window, attribution and index as the daily query, so per-agent totals reconcile with the daily
-- series. One scan, two grouping sets: per UTC day, to price each day at its own version, and
-- over the whole window, for the distinct task count. Prices are looked up once per distinct
-- (day, provider, model), not per agent. Ticks leave as text, as the daily query's do.
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
    trim_scale(s.cost_usd_ticks)::text AS cost_usd_ticks,
    s.uncosted_input_tokens,
    s.uncosted_output_tokens,
    s.uncosted_cache_read_tokens,
    s.uncosted_cache_write_tokens,
    trim_scale(e.estimated_cost_ticks)::text AS estimated_cost_ticks,
    e.unpriced_tokens,
    s.task_count
FROM sums AS s
JOIN estimates AS e
    USING (agent_id, provider, model)
WHERE s.whole_window
ORDER BY s.agent_id ASC, s.provider ASC, s.model ASC;
