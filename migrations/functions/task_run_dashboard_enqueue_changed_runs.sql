-- Tasks updated: enqueue the old and the new (workspace, UTC day) of every row whose status,
-- times, failure reason, agent or issue changed while it was or became a terminal run. Other
-- updates (a heartbeat, dispatched_at) enqueue nothing. The agent is looked up as it is now;
-- an agent moved to another workspace enqueues its days itself
-- (task_run_dashboard_enqueue_agent_runs).
CREATE OR REPLACE FUNCTION task_run_dashboard_enqueue_changed_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT
            o.agent_id AS old_agent_id,
            o.status AS old_status,
            o.completed_at AS old_completed_at,
            n.agent_id AS new_agent_id,
            n.status AS new_status,
            n.completed_at AS new_completed_at
        FROM old_runs AS o
        JOIN new_runs AS n
            ON n.id = o.id
        WHERE (o.status, o.started_at, o.completed_at, o.failure_reason, o.agent_id, o.issue_id)
            IS DISTINCT FROM
            (n.status, n.started_at, n.completed_at, n.failure_reason, n.agent_id, n.issue_id)
    ),
    sides AS (
        SELECT old_agent_id AS agent_id, old_status AS status, old_completed_at AS completed_at
        FROM changed
        UNION
        SELECT new_agent_id, new_status, new_completed_at
        FROM changed
    )
    INSERT INTO task_run_dashboard_dirty (workspace_id, bucket_date)
    SELECT DISTINCT
        a.workspace_id,
        task_usage_dashboard_utc_day(s.completed_at)
    FROM sides AS s
    JOIN agent AS a
        ON a.id = s.agent_id
    WHERE s.status IN ('completed', 'failed', 'cancelled')
        AND s.completed_at IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_run_dashboard_task_update
    AFTER UPDATE ON agent_task_queue
    REFERENCING OLD TABLE AS old_runs NEW TABLE AS new_runs
    FOR EACH STATEMENT EXECUTE FUNCTION task_run_dashboard_enqueue_changed_runs();
