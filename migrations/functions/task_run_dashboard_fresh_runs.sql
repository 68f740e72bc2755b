-- The terminal runs of one workspace (and project, when given) completed in [p_from, p_to), one
-- row per task with its share of the run rollup's four sums (as task_run_dashboard_run_sums
-- counts them): what a rollup read takes from raw tasks for the days the rollup cannot answer
-- (a window's partial edge days, queued days, local days not stitched). A read needs no project
-- per run, only whether the run is in the filtered one: the project's issues are looked up once
-- (issue_project_id_idx), never every issue of the platform hashed per range.
-- agent_task_queue_terminal_completed_at_idx is the range scan.
-- A plain SQL body, so callers' queries inline it and plan the range with their own bounds.
CREATE OR REPLACE FUNCTION task_run_dashboard_fresh_runs(
    p_workspace uuid, p_project uuid, p_from timestamptz, p_to timestamptz
)
RETURNS TABLE (
    agent_id uuid,
    completed_at timestamptz,
    failure_reason text,
    finished_count int,
    run_count int,
    run_micros bigint,
    cancelled_count int
)
LANGUAGE sql STABLE
AS $$
    SELECT
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
    WHERE t.status IN ('completed', 'failed', 'cancelled')
        AND t.completed_at >= p_from
        AND t.completed_at < p_to
        AND (t.status <> 'cancelled' OR t.started_at IS NOT NULL)
        AND a.workspace_id = p_workspace
        AND (
            p_project IS NULL
            OR t.issue_id IN (
                SELECT i.id
                FROM issue AS i
                WHERE i.project_id = p_project
            )
        );
$$;
