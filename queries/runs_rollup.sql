-- name: list_dashboard_agent_run_time_rollup(workspace_id, project_id, since, until)
-- ListDashboardAgentRunTime from the run rollup: the same rows and order as the raw query, in the
-- same snapshot. task_run_dashboard_window_runs gives the window's runs per (agent, reason) from
-- whole months, whole days and raw edges and queued days; seconds are summed exactly in
-- microseconds and rounded once per agent, as the raw query rounds its sum.
SELECT
    w.agent_id,
    round(sum(w.run_micros) / 1000000.0)::bigint AS total_seconds,
    sum(w.run_count)::bigint AS task_count,
    coalesce(sum(w.run_count) FILTER (WHERE w.failure_reason <> ''), 0)::bigint AS failed_count,
    sum(w.cancelled_count)::bigint AS cancelled_count
FROM task_run_dashboard_window_runs(:workspace_id, :project_id, :since, :until) AS w
GROUP BY w.agent_id
HAVING sum(w.run_count) > 0
ORDER BY total_seconds DESC, w.agent_id ASC;

-- name: list_dashboard_runtime_daily_rollup(workspace_id, project_id, bounds, first_date)
-- ListDashboardRuntimeDaily from the run rollup: one row per local date with a started terminal
-- run, newest first, from task_run_dashboard_local_runs (whole UTC days and prefixes at the
-- quarter hours of the zone's midnights; raw tasks for local days the rollup cannot answer yet).
SELECT
    CAST(:first_date AS date) + (r.day_index - 1) AS date,
    round(sum(r.run_micros) / 1000000.0)::bigint AS total_seconds,
    sum(r.run_count)::bigint AS task_count,
    coalesce(sum(r.run_count) FILTER (WHERE r.failure_reason <> ''), 0)::bigint AS failed_count,
    sum(r.cancelled_count)::bigint AS cancelled_count
FROM task_run_dashboard_local_runs(:workspace_id, :project_id, CAST(:bounds AS timestamptz[])) AS r
GROUP BY r.day_index
HAVING sum(r.run_count) > 0
ORDER BY date DESC;

-- name: list_dashboard_failures_daily_rollup(workspace_id, project_id, bounds, first_date)
-- ListDashboardFailuresDaily from the run rollup: finished runs per (local date, failure reason),
-- newest first, from the same local days as runtime/daily.
SELECT
    CAST(:first_date AS date) + (r.day_index - 1) AS date,
    r.failure_reason,
    r.finished_count AS task_count
FROM task_run_dashboard_local_runs(:workspace_id, :project_id, CAST(:bounds AS timestamptz[])) AS r
WHERE r.finished_count > 0
ORDER BY date DESC, r.failure_reason ASC;

-- name: list_dashboard_failures_by_agent_rollup(workspace_id, project_id, since, until)
-- ListDashboardFailuresByAgent from the run rollup: finished runs per (agent, failure reason)
-- over the window, from the same parts as agent-runtime.
SELECT
    w.agent_id,
    w.failure_reason,
    w.finished_count AS task_count
FROM task_run_dashboard_window_runs(:workspace_id, :project_id, :since, :until) AS w
WHERE w.finished_count > 0
ORDER BY w.agent_id ASC, w.failure_reason ASC;
