-- TRUNCATE fires no row or statement DML triggers: requeue every (workspace, day) the run
-- rollup holds.
CREATE OR REPLACE FUNCTION task_run_dashboard_enqueue_rolled_up_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_run_dashboard_dirty (workspace_id, bucket_date)
    SELECT DISTINCT workspace_id, bucket_date
    FROM task_run_dashboard_daily;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_run_dashboard_task_truncate
    AFTER TRUNCATE ON agent_task_queue
    FOR EACH STATEMENT EXECUTE FUNCTION task_run_dashboard_enqueue_rolled_up_runs();
