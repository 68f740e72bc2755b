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
-- Whole workspace: the window's whole UTC months from task_usage_dashboard_monthly_agent_model
-- and its edge days (before the first and after the last whole month) from
-- task_usage_dashboard_daily_agent_model, each a primary-key range; so a year reads about
-- 12 months plus at most 60 days of per-agent rows. One project: the base table through its
-- covering (workspace, project, date) index, an index-only scan.
-- task_count sums per-day distinct counts: a task reporting one model under two providers on two
-- UTC days counts once per day here (the documented exception of rollup.md, guarantee 1).
WITH span AS (
    SELECT
        CAST(:since_date AS date) AS since_date,
        CAST(:until_date AS date) AS until_date,
        CASE
            WHEN date_trunc('month', CAST(:since_date AS timestamp)) = CAST(:since_date AS timestamp)
                THEN CAST(:since_date AS date)
            ELSE (date_trunc('month', CAST(:since_date AS timestamp)) + INTERVAL '1 month')::date
        END AS first_month,
        date_trunc('month', CAST(:until_date AS timestamp))::date AS end_month
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
picked AS (
    SELECT
        m.agent_id,
        m.model,
        m.input_tokens,
        m.output_tokens,
        m.cache_read_tokens,
        m.cache_write_tokens,
        m.task_count
    FROM bounds AS b
    JOIN task_usage_dashboard_monthly_agent_model AS m
        ON m.workspace_id = :workspace_id
        AND m.month >= b.first_month
        AND m.month < b.end_month
    WHERE CAST(:project_id AS uuid) IS NULL
        AND b.has_months
    UNION ALL
    SELECT
        d.agent_id,
        d.model,
        d.input_tokens,
        d.output_tokens,
        d.cache_read_tokens,
        d.cache_write_tokens,
        d.task_count
    FROM edges AS e
    JOIN task_usage_dashboard_daily_agent_model AS d
        ON d.workspace_id = :workspace_id
        AND d.bucket_date >= e.day_from
        AND d.bucket_date < e.day_to
    WHERE CAST(:project_id AS uuid) IS NULL
    UNION ALL
    SELECT
        r.agent_id,
        r.model,
        r.input_tokens,
        r.output_tokens,
        r.cache_read_tokens,
        r.cache_write_tokens,
        r.task_count
    FROM task_usage_dashboard_daily AS r
    WHERE r.workspace_id = :workspace_id
        AND r.project_id = CAST(:project_id AS uuid)
        AND r.bucket_date >= :since_date
        AND r.bucket_date < :until_date
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
