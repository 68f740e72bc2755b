-- A usage row written, or given another task, provider or model: enqueue its (day, task) key
-- as it is now, and mark its task respelled when the task now has the same model under another
-- spelling of its provider ("OpenAI" beside "openai"), in one statement (the probe reads the
-- task's rows through task_usage's unique key, which leads with task_id). After-row triggers
-- run at the end of the statement, so rows written together see each other.
-- Row triggers, not statement triggers with transition tables: the platform writes one row per
-- statement, and an upsert fires both the INSERT and the UPDATE statement triggers whichever it
-- did, so statement triggers ran three queries per row where these run one (measured by hand
-- on the bench's full-scale data, each run side by side with the triggers off:
-- write_ratio_with_triggers 0.78 and 0.79 before, 0.79 to 0.93 over five runs after). Bulk
-- writes (the demo seed) pay one small call per row.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_new_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    WITH queued AS (
        INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
        VALUES (task_usage_dashboard_utc_day(NEW.created_at), NEW.task_id)
    )
    INSERT INTO task_usage_dashboard_respelled_task (task_id)
    SELECT NEW.task_id
    WHERE EXISTS (
        SELECT 1
        FROM task_usage AS u
        WHERE u.task_id = NEW.task_id
            AND u.model = NEW.model
            AND u.provider <> NEW.provider
            AND lower(btrim(u.provider)) = lower(btrim(NEW.provider))
    )
    ON CONFLICT (task_id) DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_insert
    AFTER INSERT ON task_usage
    FOR EACH ROW
    EXECUTE FUNCTION task_usage_dashboard_enqueue_new_usage();

-- Never fired by UpsertTaskUsage, which sets none of these columns, so not even queued for the
-- platform's writes. Its key is enqueued by the update trigger too; the rebuild deduplicates.
CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_respelled
    AFTER UPDATE OF task_id, provider, model ON task_usage
    FOR EACH ROW
    WHEN (
        OLD.task_id IS DISTINCT FROM NEW.task_id
        OR OLD.provider IS DISTINCT FROM NEW.provider
        OR OLD.model IS DISTINCT FROM NEW.model
    )
    EXECUTE FUNCTION task_usage_dashboard_enqueue_new_usage();
