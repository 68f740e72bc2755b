-- A usage row given another provider, model or task (never by UpsertTaskUsage, so this row
-- trigger is not even queued for the platform's writes): marks its task respelled when it now
-- has the same model under another spelling of its provider, as for new rows.
CREATE OR REPLACE FUNCTION task_usage_dashboard_note_respelled_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_respelled
    AFTER UPDATE OF task_id, provider, model ON task_usage
    FOR EACH ROW
    WHEN (
        OLD.task_id IS DISTINCT FROM NEW.task_id
        OR OLD.provider IS DISTINCT FROM NEW.provider
        OR OLD.model IS DISTINCT FROM NEW.model
    )
    EXECUTE FUNCTION task_usage_dashboard_note_respelled_usage();
