-- A task linked to another issue (or moved to another agent) moves all of its usage between
-- buckets: enqueue the (day, task) keys of its usage rows (task_usage_task_id_idx).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_task_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(u.created_at), u.task_id
    FROM task_usage AS u
    WHERE u.task_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_task_moved
    AFTER UPDATE OF issue_id, agent_id ON agent_task_queue
    FOR EACH ROW
    WHEN (OLD.issue_id IS DISTINCT FROM NEW.issue_id OR OLD.agent_id IS DISTINCT FROM NEW.agent_id)
    EXECUTE FUNCTION task_usage_dashboard_enqueue_task_usage();
