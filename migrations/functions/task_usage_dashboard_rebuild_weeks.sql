-- Re-sums the weeks (Monday to Sunday, UTC days) the given days fall in from the per-agent daily
-- level (its bucket_date index: seven days of rows per week, whatever the history). As the daily
-- levels are: rows whose sums changed are updated in place (HOT, the table leaves room on its
-- pages), rows no day backs any more are deleted; a tick rewrites the current week's rows every
-- time.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_weeks(p_days date []) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_weeks date [] := ARRAY(
        SELECT DISTINCT date_trunc('week', d::timestamp)::date
        FROM unnest(p_days) AS u (d)
    );
BEGIN
    WITH sums AS (
        SELECT
            d.workspace_id,
            w.week,
            d.agent_id,
            d.provider,
            d.model,
            sum(d.input_tokens) AS input_tokens,
            sum(d.output_tokens) AS output_tokens,
            sum(d.cache_read_tokens) AS cache_read_tokens,
            sum(d.cache_write_tokens) AS cache_write_tokens,
            sum(d.cost_usd_ticks) AS cost_usd_ticks,
            sum(d.uncosted_input_tokens) AS uncosted_input_tokens,
            sum(d.uncosted_output_tokens) AS uncosted_output_tokens,
            sum(d.uncosted_cache_read_tokens) AS uncosted_cache_read_tokens,
            sum(d.uncosted_cache_write_tokens) AS uncosted_cache_write_tokens,
            sum(d.estimated_cost_ticks) AS estimated_cost_ticks,
            sum(d.unpriced_tokens) AS unpriced_tokens,
            sum(d.task_count) AS task_count
        FROM unnest(v_weeks) AS w (week)
        JOIN task_usage_dashboard_daily_agent_model AS d
            ON d.bucket_date >= w.week
            AND d.bucket_date < w.week + 7
        GROUP BY d.workspace_id, w.week, d.agent_id, d.provider, d.model
    ),
    upserted AS (
        INSERT INTO task_usage_dashboard_weekly_agent_model AS l (
            workspace_id, week, agent_id, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        )
        SELECT
            workspace_id, week, agent_id, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        FROM sums
        ON CONFLICT (workspace_id, week, agent_id, provider, model) DO UPDATE
        SET input_tokens = EXCLUDED.input_tokens,
            output_tokens = EXCLUDED.output_tokens,
            cache_read_tokens = EXCLUDED.cache_read_tokens,
            cache_write_tokens = EXCLUDED.cache_write_tokens,
            cost_usd_ticks = EXCLUDED.cost_usd_ticks,
            uncosted_input_tokens = EXCLUDED.uncosted_input_tokens,
            uncosted_output_tokens = EXCLUDED.uncosted_output_tokens,
            uncosted_cache_read_tokens = EXCLUDED.uncosted_cache_read_tokens,
            uncosted_cache_write_tokens = EXCLUDED.uncosted_cache_write_tokens,
            estimated_cost_ticks = EXCLUDED.estimated_cost_ticks,
            unpriced_tokens = EXCLUDED.unpriced_tokens,
            task_count = EXCLUDED.task_count
        WHERE l IS DISTINCT FROM EXCLUDED
    ),
    gone AS (
        SELECT workspace_id, week, agent_id, provider, model
        FROM task_usage_dashboard_weekly_agent_model
        WHERE week = ANY (v_weeks)
        EXCEPT
        SELECT workspace_id, week, agent_id, provider, model
        FROM sums
    )
    DELETE FROM task_usage_dashboard_weekly_agent_model AS l
    USING gone AS g
    WHERE l.workspace_id = g.workspace_id
        AND l.week = g.week
        AND l.agent_id = g.agent_id
        AND l.provider = g.provider
        AND l.model = g.model;
END;
$$;
