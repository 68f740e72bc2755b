-- name: list_dashboard_usage_daily_rollup(workspace_id, since_date, until_date, project_id)
-- ListDashboardUsageDaily from the rollup: same rows and order as the raw query. Rows are
-- already one per (UTC date, model): task_usage_dashboard_daily_model for the whole workspace,
-- task_usage_dashboard_daily_project_model for one project, each read by its primary key
-- (workspace[, project], date), so a year is at most 365 x models rows. Only one branch runs:
-- the other's project test is constant for the plan. task_count is exact: the levels sum
-- per-bucket distinct counts, and a task has one agent and one project.
SELECT
    w.bucket_date AS date,
    w.model,
    w.input_tokens,
    w.output_tokens,
    w.cache_read_tokens,
    w.cache_write_tokens,
    w.task_count
FROM task_usage_dashboard_daily_model AS w
WHERE CAST(:project_id AS uuid) IS NULL
    AND w.workspace_id = :workspace_id
    AND w.bucket_date >= :since_date
    AND w.bucket_date < :until_date
UNION ALL
SELECT
    p.bucket_date,
    p.model,
    p.input_tokens,
    p.output_tokens,
    p.cache_read_tokens,
    p.cache_write_tokens,
    p.task_count
FROM task_usage_dashboard_daily_project_model AS p
WHERE p.workspace_id = :workspace_id
    AND p.project_id = CAST(:project_id AS uuid)
    AND p.bucket_date >= :since_date
    AND p.bucket_date < :until_date
ORDER BY date DESC, model ASC;

-- name: list_dashboard_usage_by_agent_rollup(workspace_id, since_date, until_date, project_id)
-- ListDashboardUsageByAgent from the rollup: same rows and order as the raw query.
-- The window is cut into whole UTC months, then whole weeks (Monday to Sunday) of the days left
-- at its edges, then single days, each read from the level of its size by a primary-key or
-- covering-index range; so a year reads about 12 months, 8 weeks and 12 days of rows per agent
-- and model, and 30 days about 4 weeks and 6 days.
-- Whole workspace: task_usage_dashboard_monthly_agent_model, task_usage_dashboard_weekly_agent_model
-- and task_usage_dashboard_daily_agent_model. One project: no weeks;
-- task_usage_dashboard_monthly_project_agent_model for the settled months (those before the
-- state's project_months_before, read in this same snapshot) and the base table's covering
-- (workspace, project, date) index for the other days, an index-only scan.
-- task_count sums per-day distinct counts: a task reporting one model under two providers on two
-- UTC days counts once per day here (the documented exception of rollup.md, guarantee 1).
WITH span AS (
    SELECT
        CAST(:since_date AS date) AS since_date,
        CAST(:until_date AS date) AS until_date,
        -- The first month starting on or after since_date.
        (date_trunc('month', CAST(:since_date AS timestamp) - INTERVAL '1 day')
            + INTERVAL '1 month')::date AS first_month,
        CASE
            WHEN CAST(:project_id AS uuid) IS NULL
                THEN date_trunc('month', CAST(:until_date AS timestamp))::date
            ELSE least(
                date_trunc('month', CAST(:until_date AS timestamp))::date,
                (SELECT project_months_before FROM task_usage_dashboard_rollup_state WHERE id = 1)
            )
        END AS end_month
),
bounds AS (
    SELECT
        since_date,
        until_date,
        first_month,
        end_month,
        first_month < end_month AS has_months
    FROM span
),
-- The days not covered by whole months: all of them when there are none, else the days before
-- the first whole month and those from the end of the last one.
edges AS (
    SELECT
        since_date AS day_from,
        CASE WHEN has_months THEN first_month ELSE until_date END AS day_to
    FROM bounds
    UNION ALL
    SELECT
        end_month,
        until_date
    FROM bounds
    WHERE has_months
),
-- Each edge's whole weeks (whole workspace only: there is no weekly project level).
edge_weeks AS (
    SELECT
        day_from,
        day_to,
        first_week,
        end_week,
        CAST(:project_id AS uuid) IS NULL AND first_week < end_week AS has_weeks
    FROM (
        SELECT
            day_from,
            day_to,
            CASE
                WHEN date_trunc('week', day_from::timestamp)::date = day_from THEN day_from
                ELSE (date_trunc('week', day_from::timestamp) + INTERVAL '1 week')::date
            END AS first_week,
            date_trunc('week', day_to::timestamp)::date AS end_week
        FROM edges
    ) AS e
),
-- The days left: each edge whole when it has no whole week, else its days before the first
-- whole week and those from the end of the last one.
day_spans AS (
    SELECT
        day_from,
        CASE WHEN has_weeks THEN first_week ELSE day_to END AS day_to
    FROM edge_weeks
    UNION ALL
    SELECT
        end_week,
        day_to
    FROM edge_weeks
    WHERE has_weeks
),
picked AS (
    SELECT
        m.agent_id,
        m.model,
        m.input_tokens,
        m.output_tokens,
        m.cache_read_tokens,
        m.cache_write_tokens,
        m.task_count
    FROM task_usage_dashboard_monthly_agent_model AS m
    -- The months' bounds are written on the parameters again, not read from bounds, so the
    -- planner sees the real range and scans the primary key (workspace first), not every
    -- workspace's months through the month index.
    WHERE CAST(:project_id AS uuid) IS NULL
        AND m.workspace_id = :workspace_id
        AND m.month >= (date_trunc('month', CAST(:since_date AS timestamp) - INTERVAL '1 day')
            + INTERVAL '1 month')::date
        AND m.month < date_trunc('month', CAST(:until_date AS timestamp))::date
    UNION ALL
    SELECT
        w.agent_id,
        w.model,
        w.input_tokens,
        w.output_tokens,
        w.cache_read_tokens,
        w.cache_write_tokens,
        w.task_count
    FROM edge_weeks AS e
    JOIN task_usage_dashboard_weekly_agent_model AS w
        ON w.workspace_id = :workspace_id
        AND w.week >= e.first_week
        AND w.week < e.end_week
    WHERE e.has_weeks
    UNION ALL
    SELECT
        d.agent_id,
        d.model,
        d.input_tokens,
        d.output_tokens,
        d.cache_read_tokens,
        d.cache_write_tokens,
        d.task_count
    FROM day_spans AS ds
    JOIN task_usage_dashboard_daily_agent_model AS d
        ON d.workspace_id = :workspace_id
        AND d.bucket_date >= ds.day_from
        AND d.bucket_date < ds.day_to
    WHERE CAST(:project_id AS uuid) IS NULL
    UNION ALL
    SELECT
        pm.agent_id,
        pm.model,
        pm.input_tokens,
        pm.output_tokens,
        pm.cache_read_tokens,
        pm.cache_write_tokens,
        pm.task_count
    FROM task_usage_dashboard_monthly_project_agent_model AS pm
    -- As above, and only the settled months.
    WHERE pm.workspace_id = :workspace_id
        AND pm.project_id = CAST(:project_id AS uuid)
        AND pm.month >= (date_trunc('month', CAST(:since_date AS timestamp) - INTERVAL '1 day')
            + INTERVAL '1 month')::date
        AND pm.month < date_trunc('month', CAST(:until_date AS timestamp))::date
        AND pm.month < (
            SELECT project_months_before
            FROM task_usage_dashboard_rollup_state
            WHERE id = 1
        )
    UNION ALL
    SELECT
        r.agent_id,
        r.model,
        r.input_tokens,
        r.output_tokens,
        r.cache_read_tokens,
        r.cache_write_tokens,
        r.task_count
    FROM day_spans AS ds
    JOIN task_usage_dashboard_daily AS r
        ON r.workspace_id = :workspace_id
        AND r.project_id = CAST(:project_id AS uuid)
        AND r.bucket_date >= ds.day_from
        AND r.bucket_date < ds.day_to
)
SELECT
    agent_id,
    model,
    sum(input_tokens)::bigint AS input_tokens,
    sum(output_tokens)::bigint AS output_tokens,
    sum(cache_read_tokens)::bigint AS cache_read_tokens,
    sum(cache_write_tokens)::bigint AS cache_write_tokens,
    sum(task_count)::bigint AS task_count
FROM picked
GROUP BY agent_id, model
ORDER BY agent_id ASC, model ASC;
