-- Re-sums one month of the per-agent monthly rows of the given workspaces (all when null) from
-- their daily agent rows (task_run_dashboard_daily_agent_day_idx): about 31 x agents x reasons
-- rows per workspace and project. Called after the month's days were rebuilt.
CREATE OR REPLACE FUNCTION task_run_dashboard_rebuild_month(p_workspaces uuid [], p_month date)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM task_run_dashboard_monthly_agent
    WHERE bucket_month = p_month
        AND (p_workspaces IS NULL OR workspace_id = ANY (p_workspaces));
    INSERT INTO task_run_dashboard_monthly_agent (
        workspace_id, project_id, bucket_month, agent_id, failure_reason,
        finished_count, run_count, run_micros, cancelled_count
    )
    SELECT
        d.workspace_id,
        d.project_id,
        p_month,
        d.agent_id,
        d.failure_reason,
        sum(d.finished_count),
        sum(d.run_count),
        sum(d.run_micros),
        sum(d.cancelled_count)
    FROM task_run_dashboard_daily_agent AS d
    WHERE d.bucket_date >= p_month
        AND d.bucket_date < (p_month + INTERVAL '1 month')::date
        AND (p_workspaces IS NULL OR d.workspace_id = ANY (p_workspaces))
    GROUP BY d.workspace_id, d.project_id, d.agent_id, d.failure_reason;
END;
$$;
