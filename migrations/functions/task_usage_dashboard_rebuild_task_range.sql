-- Rebuilds the per-task rows of the UTC days [p_from, p_to) from raw rows, through
-- task_usage_created_at_idx between the UTC bounds (each row's task and issue looked up by
-- primary key for a day or two, hash-joined for longer ranges).
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_task_range(p_from date, p_to date) RETURNS void
LANGUAGE plpgsql
-- As for task_usage_dashboard_rebuild_range: planned with the real bounds.
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
    DELETE FROM task_usage_dashboard_daily_task_model
    WHERE bucket_date >= p_from
        AND bucket_date < p_to;
    INSERT INTO task_usage_dashboard_daily_task_model (
        bucket_date, task_id, model, workspace_id, agent_id, project_id,
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, event_count
    )
    SELECT
        task_usage_dashboard_utc_day(u.created_at),
        u.task_id,
        u.model,
        a.workspace_id,
        t.agent_id,
        i.project_id,
        sum(u.input_tokens),
        sum(u.output_tokens),
        sum(u.cache_read_tokens),
        sum(u.cache_write_tokens),
        count(*)
    FROM task_usage AS u
    JOIN agent_task_queue AS t
        ON t.id = u.task_id
    JOIN agent AS a
        ON a.id = t.agent_id
    LEFT JOIN issue AS i
        ON i.id = t.issue_id
    WHERE u.created_at >= p_from::timestamp AT TIME ZONE 'UTC'
        AND u.created_at < p_to::timestamp AT TIME ZONE 'UTC'
    GROUP BY 1, u.task_id, u.model, a.workspace_id, t.agent_id, i.project_id;
END;
$$;
