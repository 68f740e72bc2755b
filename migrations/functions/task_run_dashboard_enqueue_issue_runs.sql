-- An issue moved to another project, or out of one (also the SET NULL of a project delete):
-- every terminal run linked to it changes project, so enqueue their (workspace, UTC day) keys
-- (agent_task_queue_issue_id_idx). A deleted issue deletes its tasks, whose trigger enqueues.
CREATE OR REPLACE FUNCTION task_run_dashboard_enqueue_issue_runs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_run_dashboard_dirty (workspace_id, bucket_date)
    SELECT DISTINCT
        a.workspace_id,
        task_usage_dashboard_utc_day(t.completed_at)
    FROM agent_task_queue AS t
    JOIN agent AS a
        ON a.id = t.agent_id
    WHERE t.issue_id = NEW.id
        AND t.status IN ('completed', 'failed', 'cancelled')
        AND t.completed_at IS NOT NULL;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_run_dashboard_issue_moved
    AFTER UPDATE OF project_id ON issue
    FOR EACH ROW
    WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION task_run_dashboard_enqueue_issue_runs();
