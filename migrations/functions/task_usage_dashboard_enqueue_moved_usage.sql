-- A usage row moved to another task or instant leaves its old (day, task) key.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_moved_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    VALUES (task_usage_dashboard_utc_day(OLD.created_at), OLD.task_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_moved
    AFTER UPDATE OF task_id, created_at ON task_usage
    FOR EACH ROW
    WHEN (OLD.task_id IS DISTINCT FROM NEW.task_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION task_usage_dashboard_enqueue_moved_usage();
