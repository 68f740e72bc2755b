-- Tasks deleted (directly, or by the cascade of an issue delete): enqueue the (workspace, UTC
-- day) of every terminal run among them. In the cascade of an agent or workspace delete the
-- agent is gone already and the join finds nothing; its BEFORE DELETE trigger enqueued those
-- days while the agent was still readable (task_run_dashboard_enqueue_agent_runs).
CREATE OR REPLACE FUNCTION task_run_dashboard_enqueue_old_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_run_dashboard_dirty (workspace_id, bucket_date)
    SELECT DISTINCT
        a.workspace_id,
        task_usage_dashboard_utc_day(o.completed_at)
    FROM old_runs AS o
    JOIN agent AS a
        ON a.id = o.agent_id
    WHERE o.status IN ('completed', 'failed', 'cancelled')
        AND o.completed_at IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_run_dashboard_task_delete
    AFTER DELETE ON agent_task_queue
    REFERENCING OLD TABLE AS old_runs
    FOR EACH STATEMENT EXECUTE FUNCTION task_run_dashboard_enqueue_old_runs();
