-- The terminal runs completed in [p_from, p_to), of the given workspaces (all when null), one row
-- per task with its share of the four sums every run rollup table keeps (migration 0009) and the
-- project it counts in: the rows a rebuild sums (reads take task_run_dashboard_fresh_runs, which
-- counts the same way). Cancelled runs that never started count in no route and are left out.
-- agent_task_queue_terminal_completed_at_idx is the range scan.
CREATE OR REPLACE FUNCTION task_run_dashboard_run_sums(
    p_workspaces uuid [], p_from timestamptz, p_to timestamptz
)
RETURNS TABLE (
    workspace_id uuid,
    project_id uuid,
    agent_id uuid,
    completed_at timestamptz,
    failure_reason text,
    finished_count int,
    run_count int,
    run_micros bigint,
    cancelled_count int
)
-- A plain SQL body, so callers' queries inline it and plan the range with their own bounds.
LANGUAGE sql STABLE
AS $$
    SELECT
        a.workspace_id,
        i.project_id,
        t.agent_id,
        t.completed_at,
        CASE
            WHEN t.status = 'failed' THEN coalesce(nullif(t.failure_reason, ''), 'unclassified')
            ELSE ''
        END,
        (t.status <> 'cancelled')::int,
        (t.started_at IS NOT NULL)::int,
        coalesce((extract(EPOCH FROM t.completed_at - t.started_at) * 1000000)::bigint, 0),
        (t.status = 'cancelled' AND t.started_at IS NOT NULL)::int
    FROM agent_task_queue AS t
    JOIN agent AS a
        ON a.id = t.agent_id
    LEFT JOIN issue AS i
        ON i.id = t.issue_id
    WHERE t.status IN ('completed', 'failed', 'cancelled')
        AND t.completed_at >= p_from
        AND t.completed_at < p_to
        AND (t.status <> 'cancelled' OR t.started_at IS NOT NULL)
        AND (p_workspaces IS NULL OR a.workspace_id = ANY (p_workspaces));
$$;
