-- Usage updated: the rows' keys as they are now. A row whose task or created_at changed also
-- leaves its old key, enqueued by task_usage_dashboard_enqueue_moved_usage; UpsertTaskUsage never
-- sets either column, so that row trigger is not even queued for the platform's writes.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_changed_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT task_usage_dashboard_utc_day(created_at), task_id
    FROM new_usage;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_update
    AFTER UPDATE ON task_usage
    REFERENCING NEW TABLE AS new_usage
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_changed_usage();
