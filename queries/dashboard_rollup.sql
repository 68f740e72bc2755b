-- name: list_dashboard_usage_daily_rollup(workspace_id, since_date, until_date, project_id)
-- ListDashboardUsageDaily from the daily rollup: same rows and order as the raw query.
-- Buckets are already UTC days, so the window is a date range on
-- task_usage_dashboard_daily_workspace_date_idx (or ..._workspace_project_date_idx when a project
-- is given). Summing task_count per (date, model) is exact: a task has one agent and one current
-- project, so the rollup rows of one day and model count disjoint sets of tasks.
SELECT
    r.bucket_date AS date,
    r.model,
    sum(r.input_tokens)::bigint AS input_tokens,
    sum(r.output_tokens)::bigint AS output_tokens,
    sum(r.cache_read_tokens)::bigint AS cache_read_tokens,
    sum(r.cache_write_tokens)::bigint AS cache_write_tokens,
    sum(r.task_count)::bigint AS task_count
FROM task_usage_dashboard_daily AS r
WHERE r.workspace_id = :workspace_id
    AND r.bucket_date >= :since_date
    AND r.bucket_date < :until_date
    AND (CAST(:project_id AS uuid) IS NULL OR r.project_id = CAST(:project_id AS uuid))
GROUP BY r.bucket_date, r.model
ORDER BY date DESC, r.model ASC;

-- name: list_dashboard_usage_by_agent_rollup(workspace_id, since_date, until_date, project_id)
-- ListDashboardUsageByAgent from the daily rollup: same rows and order as the raw query.
-- task_count sums per-day distinct counts: a task reporting one model under two providers on two
-- UTC days counts once per day here (the documented exception of rollup.md, guarantee 1).
SELECT
    r.agent_id,
    r.model,
    sum(r.input_tokens)::bigint AS input_tokens,
    sum(r.output_tokens)::bigint AS output_tokens,
    sum(r.cache_read_tokens)::bigint AS cache_read_tokens,
    sum(r.cache_write_tokens)::bigint AS cache_write_tokens,
    sum(r.task_count)::bigint AS task_count
FROM task_usage_dashboard_daily AS r
WHERE r.workspace_id = :workspace_id
    AND r.bucket_date >= :since_date
    AND r.bucket_date < :until_date
    AND (CAST(:project_id AS uuid) IS NULL OR r.project_id = CAST(:project_id AS uuid))
GROUP BY r.agent_id, r.model
ORDER BY r.agent_id ASC, r.model ASC;
