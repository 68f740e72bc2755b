-- Usage written: enqueue the (day, task) keys of the new rows, one insert per statement from
-- the transition table. No DISTINCT: the platform writes one row per statement, where hashing
-- a single row costs more than the rare duplicate it would save (the rebuild deduplicates).
-- A new row whose task already has the same model under another spelling of its provider
-- ("OpenAI" beside "openai") marks the task respelled (one probe of the task's rows through
-- task_usage's unique key, which leads with task_id).
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_new_usage() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_usage_dashboard_dirty (bucket_date, task_id)
    SELECT task_usage_dashboard_utc_day(created_at), task_id
    FROM new_usage;
    INSERT INTO task_usage_dashboard_respelled_task (task_id)
    SELECT DISTINCT n.task_id
    FROM new_usage AS n
    JOIN task_usage AS u
        ON u.task_id = n.task_id
        AND u.model = n.model
        AND u.provider <> n.provider
        AND lower(btrim(u.provider)) = lower(btrim(n.provider))
    ON CONFLICT (task_id) DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER task_usage_dashboard_usage_insert
    AFTER INSERT ON task_usage
    REFERENCING NEW TABLE AS new_usage
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_new_usage();
