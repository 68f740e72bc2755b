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

-- name: list_dashboard_runtime_daily(workspace_id, since, until, bounds, first_date, project_id)
-- One row per local date of completed_at: the same terminal runs as agent-run-time (completed,
-- failed or cancelled, started and completed), their seconds summed exactly and rounded once per
-- day. Local days come from the caller as instants (bounds: every local midnight of the window),
-- found by width_bucket's binary search, so no offset or session TimeZone is applied here.
-- The status list matches agent_task_queue_terminal_completed_at_idx.
SELECT
    CAST(:first_date AS date)
        + (width_bucket(t.completed_at, CAST(:bounds AS timestamptz[])) - 1) AS date,
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
GROUP BY 1
ORDER BY date DESC;

-- name: list_dashboard_failures_daily(workspace_id, since, until, bounds, first_date, project_id)
-- One row per (local date of completed_at, failure_reason) of the finished runs: completed
-- tasks (reason "", the denominator of a failure rate) and failed ones (their stored reason, or
-- "unclassified" when it is null or empty). started_at is not required, so a task that expired
-- in the queue counts; cancelled runs are not failures. Same index and local days as
-- runtime/daily.
SELECT
    CAST(:first_date AS date)
        + (width_bucket(t.completed_at, CAST(:bounds AS timestamptz[])) - 1) AS date,
    CASE
        WHEN t.status = 'completed' THEN ''
        ELSE coalesce(nullif(t.failure_reason, ''), 'unclassified')
    END AS failure_reason,
    count(*) AS task_count
FROM agent_task_queue AS t
JOIN agent AS a
    ON a.id = t.agent_id
LEFT JOIN issue AS i
    ON i.id = t.issue_id
WHERE a.workspace_id = :workspace_id
    AND t.status IN ('completed', 'failed')
    AND t.completed_at >= :since
    AND t.completed_at < :until
    AND (CAST(:project_id AS uuid) IS NULL OR i.project_id = CAST(:project_id AS uuid))
GROUP BY 1, 2
ORDER BY date DESC, failure_reason ASC;

-- name: list_dashboard_failures_by_agent(workspace_id, since, until, project_id)
-- One row per (agent, failure_reason) of the same finished runs as failures/daily, over the
-- whole window.
SELECT
    t.agent_id,
    CASE
        WHEN t.status = 'completed' THEN ''
        ELSE coalesce(nullif(t.failure_reason, ''), 'unclassified')
    END AS failure_reason,
    count(*) AS task_count
FROM agent_task_queue AS t
JOIN agent AS a
    ON a.id = t.agent_id
LEFT JOIN issue AS i
    ON i.id = t.issue_id
WHERE a.workspace_id = :workspace_id
    AND t.status IN ('completed', 'failed')
    AND t.completed_at >= :since
    AND t.completed_at < :until
    AND (CAST(:project_id AS uuid) IS NULL OR i.project_id = CAST(:project_id AS uuid))
GROUP BY 1, 2
ORDER BY t.agent_id ASC, failure_reason ASC;
