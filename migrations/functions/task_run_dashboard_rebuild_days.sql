-- Rebuilds the run rollup of (workspace, UTC day) keys from raw tasks: p_workspaces[i] on
-- p_days[i], or every workspace of each day when p_workspaces is null (a backfill). Per day, one
-- range of the day's terminal runs (agent_task_queue_terminal_completed_at_idx) gives the daily
-- agent rows, per project and for the whole workspace as grouping sets; the daily rows are summed
-- from those. The keys' old rows are deleted first, so a bucket that recomputes to nothing is
-- gone. Then the days' prefixes at the filled quarters and the months of the days. Idempotent;
-- returns the daily agent rows written.
CREATE OR REPLACE FUNCTION task_run_dashboard_rebuild_days(p_workspaces uuid [], p_days date [])
RETURNS bigint
LANGUAGE plpgsql
-- Planned with each day's real bounds: a generic plan would guess a third of the tasks.
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_day date;
    v_month date;
    v_workspaces uuid [];
    v_start timestamptz;
    v_rows bigint;
    v_touched bigint := 0;
BEGIN
    FOR v_day, v_workspaces IN
        SELECT
            k.day,
            CASE WHEN bool_or(k.workspace_id IS NULL) THEN NULL ELSE array_agg(DISTINCT k.workspace_id) END
        FROM unnest(p_days, p_workspaces) AS k (day, workspace_id)
        WHERE k.day IS NOT NULL
        GROUP BY k.day
    LOOP
        v_start := v_day::timestamp AT TIME ZONE 'UTC';
        DELETE FROM task_run_dashboard_daily_agent
        WHERE bucket_date = v_day
            AND (v_workspaces IS NULL OR workspace_id = ANY (v_workspaces));
        DELETE FROM task_run_dashboard_daily
        WHERE bucket_date = v_day
            AND (v_workspaces IS NULL OR workspace_id = ANY (v_workspaces));
        WITH sums AS (
            SELECT
                r.workspace_id,
                CASE
                    WHEN GROUPING(r.project_id) = 1 THEN '00000000-0000-0000-0000-000000000000'::uuid
                    ELSE r.project_id
                END AS project_id,
                r.agent_id,
                r.failure_reason,
                sum(r.finished_count)::bigint AS finished_count,
                sum(r.run_count)::bigint AS run_count,
                sum(r.run_micros)::bigint AS run_micros,
                sum(r.cancelled_count)::bigint AS cancelled_count
            FROM task_run_dashboard_run_sums(v_workspaces, v_start, v_start + INTERVAL '1 day') AS r
            GROUP BY GROUPING SETS (
                (r.workspace_id, r.agent_id, r.failure_reason),
                (r.workspace_id, r.project_id, r.agent_id, r.failure_reason)
            )
            -- Runs without a project count only in the whole workspace's rows.
            HAVING GROUPING(r.project_id) = 1
                OR r.project_id IS NOT NULL
        ),
        daily AS (
            INSERT INTO task_run_dashboard_daily (
                workspace_id, project_id, bucket_date, failure_reason,
                finished_count, run_count, run_micros, cancelled_count
            )
            SELECT
                workspace_id,
                project_id,
                v_day,
                failure_reason,
                sum(finished_count),
                sum(run_count),
                sum(run_micros),
                sum(cancelled_count)
            FROM sums
            GROUP BY workspace_id, project_id, failure_reason
        )
        INSERT INTO task_run_dashboard_daily_agent (
            workspace_id, project_id, bucket_date, agent_id, failure_reason,
            finished_count, run_count, run_micros, cancelled_count
        )
        SELECT
            workspace_id,
            project_id,
            v_day,
            agent_id,
            failure_reason,
            finished_count,
            run_count,
            run_micros,
            cancelled_count
        FROM sums;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_touched := v_touched + v_rows;
        PERFORM task_run_dashboard_rebuild_splits(v_workspaces, ARRAY[v_day]);
    END LOOP;
    FOR v_month, v_workspaces IN
        SELECT
            date_trunc('month', k.day::timestamp)::date,
            CASE WHEN bool_or(k.workspace_id IS NULL) THEN NULL ELSE array_agg(DISTINCT k.workspace_id) END
        FROM unnest(p_days, p_workspaces) AS k (day, workspace_id)
        WHERE k.day IS NOT NULL
        GROUP BY 1
    LOOP
        PERFORM task_run_dashboard_rebuild_month(v_workspaces, v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;
