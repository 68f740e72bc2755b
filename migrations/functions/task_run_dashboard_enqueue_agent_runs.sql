-- An agent deleted (alone or in its workspace's cascade) or moved to another workspace: enqueue
-- every UTC day of its terminal runs, in its old workspace and, when moved, its new one. Fired
-- before the delete, while the agent row still says where its runs were counted
-- (agent_task_queue_agent_status_idx finds them).
CREATE OR REPLACE FUNCTION task_run_dashboard_enqueue_agent_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_run_dashboard_dirty (workspace_id, bucket_date)
    SELECT DISTINCT
        w.workspace_id,
        task_usage_dashboard_utc_day(t.completed_at)
    FROM agent_task_queue AS t
    CROSS JOIN (
        SELECT OLD.workspace_id
        UNION
        SELECT NEW.workspace_id
        WHERE TG_OP = 'UPDATE'
    ) AS w (workspace_id)
    WHERE t.agent_id = OLD.id
        AND t.status IN ('completed', 'failed', 'cancelled')
        AND t.completed_at IS NOT NULL;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

CREATE OR REPLACE TRIGGER task_run_dashboard_agent_delete
    BEFORE DELETE ON agent
    FOR EACH ROW EXECUTE FUNCTION task_run_dashboard_enqueue_agent_runs();

CREATE OR REPLACE TRIGGER task_run_dashboard_agent_moved
    AFTER UPDATE OF workspace_id ON agent
    FOR EACH ROW
    WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
    EXECUTE FUNCTION task_run_dashboard_enqueue_agent_runs();
