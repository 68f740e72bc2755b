-- TRUNCATE fires no row or statement DML triggers: requeue every day the rollup holds.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_rolled_up_days() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT DISTINCT bucket_date
    FROM task_usage_dashboard_daily;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_truncate
    AFTER TRUNCATE ON task_usage
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_rolled_up_days();
