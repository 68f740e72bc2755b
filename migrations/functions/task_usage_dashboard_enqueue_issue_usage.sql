-- An issue moved to another project (including the SET NULL of a project delete) moves the
-- usage of all its tasks (agent_task_queue_issue_id_idx, then task_usage_task_id_idx).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_issue_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at), u.task_id
    FROM agent_task_queue AS t
    JOIN task_usage AS u
        ON u.task_id = t.id
    WHERE t.issue_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_issue_moved
    AFTER UPDATE OF project_id ON issue
    FOR EACH ROW
    WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION task_usage_dashboard_enqueue_issue_usage();
