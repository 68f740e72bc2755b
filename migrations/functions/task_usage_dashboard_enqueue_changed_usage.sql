-- Usage updated: the row's key as it is now (a row trigger, like the insert trigger, and for the
-- same reason). A row whose task or created_at changed also leaves its old key, enqueued by
-- task_usage_dashboard_enqueue_moved_usage; UpsertTaskUsage never sets either column, so that
-- row trigger is not even queued for the platform's writes.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_changed_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    VALUES (task_usage_dashboard_utc_day(NEW.created_at), NEW.task_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_update
    AFTER UPDATE ON task_usage
    FOR EACH ROW
    EXECUTE FUNCTION task_usage_dashboard_enqueue_changed_usage();
