-- Tasks inserted finished (a bulk import, the demo's seed): enqueue the (workspace, UTC day) of
-- every terminal run among them. Statement level, one insert per statement from the transition
-- table, so a bulk insert pays once per distinct day, not once per row.
CREATE OR REPLACE FUNCTION task_run_dashboard_enqueue_new_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_run_dashboard_dirty (workspace_id, bucket_date)
    SELECT DISTINCT
        a.workspace_id,
        task_usage_dashboard_utc_day(n.completed_at)
    FROM new_runs AS n
    JOIN agent AS a
        ON a.id = n.agent_id
    WHERE n.status IN ('completed', 'failed', 'cancelled')
        AND n.completed_at IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_run_dashboard_task_insert
    AFTER INSERT ON agent_task_queue
    REFERENCING NEW TABLE AS new_runs
    FOR EACH STATEMENT EXECUTE FUNCTION task_run_dashboard_enqueue_new_runs();
