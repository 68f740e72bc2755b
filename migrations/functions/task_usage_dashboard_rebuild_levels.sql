-- Rebuilds the daily read levels of the given days from their base rows: per agent, per project
-- and per workspace, each by provider and model. Every level keeps provider and model in its key,
-- so a bucket's distinct task count is the sum of its base rows' (a task has one agent and one
-- project, and each of its (provider, model) usage rows one instant). One pass over the days'
-- base rows computes the agent and project levels as grouping sets, the workspace level is summed
-- from the agent level (a few hundred rows a day instead of every base row again); rows whose sums
-- changed are updated in place (their keys, the only indexed columns, stay, so the updates are HOT
-- and touch no index), rows no base row backs any more are deleted. Then the days' prefixes at
-- the registered quarters (task_usage_dashboard_rebuild_splits). The caller rebuilds the weeks
-- and months.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rebuild_levels(p_days date []) RETURNS void
LANGUAGE plpgsql
-- Room to hash the groups (a few thousand a day): the planner, guessing far more, would
-- otherwise sort every base row of the days on uuid keys, several times slower.
SET work_mem = '64MB'
AS $$
BEGIN
    -- level: 1 = per agent (GROUPING bits: 2 when agent_id is summed over, 1 when project_id
    -- is), 2 = per project, 3 = per workspace.
    WITH base_sums AS (
        SELECT
            GROUPING(agent_id, project_id) AS level,
            workspace_id,
            bucket_date,
            agent_id,
            project_id,
            provider,
            model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(cost_usd_ticks) AS cost_usd_ticks,
            sum(uncosted_input_tokens) AS uncosted_input_tokens,
            sum(uncosted_output_tokens) AS uncosted_output_tokens,
            sum(uncosted_cache_read_tokens) AS uncosted_cache_read_tokens,
            sum(uncosted_cache_write_tokens) AS uncosted_cache_write_tokens,
            sum(estimated_cost_ticks) AS estimated_cost_ticks,
            sum(unpriced_tokens) AS unpriced_tokens,
            sum(task_count) AS task_count
        FROM task_usage_dashboard_daily
        WHERE bucket_date = ANY (p_days)
        GROUP BY GROUPING SETS (
            (workspace_id, bucket_date, agent_id, provider, model),
            (workspace_id, bucket_date, project_id, provider, model)
        )
    ),
    sums AS (
        SELECT *
        FROM base_sums
        UNION ALL
        SELECT
            3,
            workspace_id,
            bucket_date,
            NULL,
            NULL,
            provider,
            model,
            sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens,
            sum(cache_read_tokens) AS cache_read_tokens,
            sum(cache_write_tokens) AS cache_write_tokens,
            sum(cost_usd_ticks) AS cost_usd_ticks,
            sum(uncosted_input_tokens) AS uncosted_input_tokens,
            sum(uncosted_output_tokens) AS uncosted_output_tokens,
            sum(uncosted_cache_read_tokens) AS uncosted_cache_read_tokens,
            sum(uncosted_cache_write_tokens) AS uncosted_cache_write_tokens,
            sum(estimated_cost_ticks) AS estimated_cost_ticks,
            sum(unpriced_tokens) AS unpriced_tokens,
            sum(task_count) AS task_count
        FROM base_sums
        WHERE level = 1
        GROUP BY workspace_id, bucket_date, provider, model
    ),
    by_model AS (
        INSERT INTO task_usage_dashboard_daily_model AS l (
            workspace_id, bucket_date, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        )
        SELECT
            workspace_id, bucket_date, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        FROM sums
        WHERE level = 3
        ON CONFLICT (workspace_id, bucket_date, provider, model) DO UPDATE
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
    by_project AS (
        INSERT INTO task_usage_dashboard_daily_project_model AS l (
            workspace_id, project_id, bucket_date, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        )
        SELECT
            workspace_id, project_id, bucket_date, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        FROM sums
        WHERE level = 2
            AND project_id IS NOT NULL
        ON CONFLICT (workspace_id, project_id, bucket_date, provider, model) DO UPDATE
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
    by_agent AS (
        INSERT INTO task_usage_dashboard_daily_agent_model AS l (
            workspace_id, bucket_date, agent_id, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        )
        SELECT
            workspace_id, bucket_date, agent_id, provider, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, cost_usd_ticks, uncosted_input_tokens,
            uncosted_output_tokens, uncosted_cache_read_tokens, uncosted_cache_write_tokens,
            estimated_cost_ticks, unpriced_tokens, task_count
        FROM sums
        WHERE level = 1
        ON CONFLICT (workspace_id, bucket_date, agent_id, provider, model) DO UPDATE
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
    by_model_gone AS (
        SELECT workspace_id, bucket_date, provider, model
        FROM task_usage_dashboard_daily_model
        WHERE bucket_date = ANY (p_days)
        EXCEPT
        SELECT workspace_id, bucket_date, provider, model
        FROM sums
        WHERE level = 3
    ),
    by_model_removed AS (
        DELETE FROM task_usage_dashboard_daily_model AS l
        USING by_model_gone AS g
        WHERE l.workspace_id = g.workspace_id
            AND l.bucket_date = g.bucket_date
            AND l.provider = g.provider
            AND l.model = g.model
    ),
    by_project_gone AS (
        SELECT workspace_id, project_id, bucket_date, provider, model
        FROM task_usage_dashboard_daily_project_model
        WHERE bucket_date = ANY (p_days)
        EXCEPT
        SELECT workspace_id, project_id, bucket_date, provider, model
        FROM sums
        WHERE level = 2
            AND project_id IS NOT NULL
    ),
    by_project_removed AS (
        DELETE FROM task_usage_dashboard_daily_project_model AS l
        USING by_project_gone AS g
        WHERE l.workspace_id = g.workspace_id
            AND l.project_id = g.project_id
            AND l.bucket_date = g.bucket_date
            AND l.provider = g.provider
            AND l.model = g.model
    ),
    by_agent_gone AS (
        SELECT workspace_id, bucket_date, agent_id, provider, model
        FROM task_usage_dashboard_daily_agent_model
        WHERE bucket_date = ANY (p_days)
        EXCEPT
        SELECT workspace_id, bucket_date, agent_id, provider, model
        FROM sums
        WHERE level = 1
    )
    DELETE FROM task_usage_dashboard_daily_agent_model AS l
    USING by_agent_gone AS g
    WHERE l.workspace_id = g.workspace_id
        AND l.bucket_date = g.bucket_date
        AND l.agent_id = g.agent_id
        AND l.provider = g.provider
        AND l.model = g.model;
    PERFORM task_usage_dashboard_rebuild_splits(p_days);
END;
$$;
