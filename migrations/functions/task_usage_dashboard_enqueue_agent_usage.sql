-- An agent moved to another workspace moves all of its usage: enqueue the (day, task) keys of
-- its usage rows (agent_task_queue_agent_status_idx, then task_usage_task_id_idx).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_agent_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at), u.task_id
    FROM agent_task_queue AS t
    JOIN task_usage AS u
        ON u.task_id = t.id
    WHERE t.agent_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_agent_moved
    AFTER UPDATE OF workspace_id ON agent
    FOR EACH ROW
    WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
    EXECUTE FUNCTION task_usage_dashboard_enqueue_agent_usage();
