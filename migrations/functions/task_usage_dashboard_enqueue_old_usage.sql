-- Usage removed (cascades remove many rows of few tasks at once): the distinct keys.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_old_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT DISTINCT task_usage_dashboard_utc_day(created_at), task_id
    FROM old_usage;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_delete
    AFTER DELETE ON task_usage
    REFERENCING OLD TABLE AS old_usage
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_old_usage();
