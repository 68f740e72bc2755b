-- name: list_dashboard_usage_daily(workspace_id, since, until, project_id)
-- One row per (UTC date, model) of the workspace's token usage in [since, until).
-- The window bounds task_usage.created_at by UTC instants so task_usage_created_at_idx serves the
-- scan; the day is computed in UTC so the session TimeZone never moves a bucket.
-- Usage belongs to the workspace of its task's agent, and to the current project of its task's
-- issue: the project filter drops tasks without an issue and issues without a project.
SELECT
    (u.created_at AT TIME ZONE 'UTC')::date AS date,
    u.model,
    sum(u.input_tokens)::bigint AS input_tokens,
    sum(u.output_tokens)::bigint AS output_tokens,
    sum(u.cache_read_tokens)::bigint AS cache_read_tokens,
    sum(u.cache_write_tokens)::bigint AS cache_write_tokens,
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
GROUP BY 1, 2
ORDER BY date DESC, u.model ASC;

-- name: list_dashboard_usage_by_agent(workspace_id, since, until, project_id)
-- One row per (agent, model) of the workspace's token usage in [since, until); the model stays
-- so clients can price per model. Same window, attribution and index as the daily query, so
-- per-agent totals reconcile with the daily series.
SELECT
    t.agent_id,
    u.model,
    sum(u.input_tokens)::bigint AS input_tokens,
    sum(u.output_tokens)::bigint AS output_tokens,
    sum(u.cache_read_tokens)::bigint AS cache_read_tokens,
    sum(u.cache_write_tokens)::bigint AS cache_write_tokens,
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
GROUP BY t.agent_id, u.model
ORDER BY t.agent_id ASC, u.model ASC;

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
