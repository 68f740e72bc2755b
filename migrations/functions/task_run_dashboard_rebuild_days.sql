-- Rebuilds the run rollup of (workspace, UTC day) keys from raw tasks: p_workspaces[i] on
-- p_days[i], or every workspace of a day whose workspace is null (a backfill passes none). Consecutive
-- days are one range of terminal runs (agent_task_queue_terminal_completed_at_idx), read once:
-- a tick's week of changed days, or a backfill's month, is one scan and one join to the issues,
-- not one per day. From those runs, in one statement: the daily agent rows (per project and for
-- the whole workspace, as grouping sets), the daily rows summed from them, and the prefixes at
-- every quarter filled on each day. The range's old rows are deleted first, so a bucket that
-- recomputes to nothing is gone. Then the months of the days. Idempotent; returns the daily
-- agent rows written.
CREATE OR REPLACE FUNCTION task_run_dashboard_rebuild_days(p_workspaces uuid [], p_days date [])
RETURNS bigint
LANGUAGE plpgsql
-- Planned with each range's real bounds: a generic plan would guess a third of the tasks.
SET plan_cache_mode = force_custom_plan
-- Room to hash a backfill month's grouping sets (~45,000 groups of ~170,000 runs) instead of
-- sorting the runs for them.
SET work_mem = '64MB'
AS $$
DECLARE
    v_from date;
    v_to date;
    v_month date;
    v_workspaces uuid [];
    v_rows bigint;
    v_touched bigint := 0;
BEGIN
    FOR v_from, v_to, v_workspaces IN
        SELECT
            min(r.bucket_date),
            max(r.bucket_date) + 1,
            CASE WHEN bool_or(r.workspace_id IS NULL) THEN NULL ELSE array_agg(DISTINCT r.workspace_id) END
        FROM (
            SELECT
                k.bucket_date,
                k.workspace_id,
                k.bucket_date - (dense_rank() OVER (ORDER BY k.bucket_date))::int AS run
            FROM unnest(p_days, p_workspaces) AS k (bucket_date, workspace_id)
            WHERE k.bucket_date IS NOT NULL
        ) AS r
        GROUP BY r.run
    LOOP
        -- A range rebuilds each of its days for all of its keys' workspaces: a day keyed for
        -- one workspace and its neighbour for another cost a little more, and stay exact.
        DELETE FROM task_run_dashboard_daily_agent
        WHERE bucket_date >= v_from
            AND bucket_date < v_to
            AND (v_workspaces IS NULL OR workspace_id = ANY (v_workspaces));
        DELETE FROM task_run_dashboard_daily
        WHERE bucket_date >= v_from
            AND bucket_date < v_to
            AND (v_workspaces IS NULL OR workspace_id = ANY (v_workspaces));
        DELETE FROM task_run_dashboard_daily_split AS d
        WHERE d.bucket_date >= v_from
            AND d.bucket_date < v_to
            AND (v_workspaces IS NULL OR d.workspace_id = ANY (v_workspaces))
            AND d.quarter IN (
                SELECT s.quarter
                FROM task_usage_dashboard_split AS s
                WHERE s.filled_from <= d.bucket_date
            );
        WITH runs AS MATERIALIZED (
            SELECT
                r.*,
                task_usage_dashboard_utc_day(r.completed_at) AS bucket_date
            FROM task_run_dashboard_run_sums(
                v_workspaces,
                v_from::timestamp AT TIME ZONE 'UTC',
                v_to::timestamp AT TIME ZONE 'UTC'
            ) AS r
        ),
        sums AS (
            SELECT
                r.workspace_id,
                CASE
                    WHEN GROUPING(r.project_id) = 1 THEN '00000000-0000-0000-0000-000000000000'::uuid
                    ELSE r.project_id
                END AS project_id,
                r.bucket_date,
                r.agent_id,
                r.failure_reason,
                sum(r.finished_count)::bigint AS finished_count,
                sum(r.run_count)::bigint AS run_count,
                sum(r.run_micros)::bigint AS run_micros,
                sum(r.cancelled_count)::bigint AS cancelled_count
            FROM runs AS r
            GROUP BY GROUPING SETS (
                (r.workspace_id, r.bucket_date, r.agent_id, r.failure_reason),
                (r.workspace_id, r.project_id, r.bucket_date, r.agent_id, r.failure_reason)
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
                bucket_date,
                failure_reason,
                sum(finished_count),
                sum(run_count),
                sum(run_micros),
                sum(cancelled_count)
            FROM sums
            GROUP BY workspace_id, project_id, bucket_date, failure_reason
        ),
        -- The runs of each day completed before each quarter kept on that day.
        splits AS (
            INSERT INTO task_run_dashboard_daily_split (
                workspace_id, project_id, bucket_date, quarter, failure_reason,
                finished_count, run_count, run_micros, cancelled_count
            )
            SELECT
                r.workspace_id,
                CASE
                    WHEN GROUPING(r.project_id) = 1 THEN '00000000-0000-0000-0000-000000000000'::uuid
                    ELSE r.project_id
                END,
                r.bucket_date,
                s.quarter,
                r.failure_reason,
                sum(r.finished_count),
                sum(r.run_count),
                sum(r.run_micros),
                sum(r.cancelled_count)
            FROM runs AS r
            JOIN task_usage_dashboard_split AS s
                ON s.filled_from <= r.bucket_date
                AND r.completed_at < r.bucket_date::timestamp AT TIME ZONE 'UTC' + s.quarter * INTERVAL '15 minutes'
            GROUP BY GROUPING SETS (
                (r.workspace_id, r.bucket_date, s.quarter, r.failure_reason),
                (r.workspace_id, r.project_id, r.bucket_date, s.quarter, r.failure_reason)
            )
            HAVING GROUPING(r.project_id) = 1
                OR r.project_id IS NOT NULL
        ),
        agent_rows AS (
            INSERT INTO task_run_dashboard_daily_agent (
                workspace_id, project_id, bucket_date, agent_id, failure_reason,
                finished_count, run_count, run_micros, cancelled_count
            )
            SELECT
                workspace_id,
                project_id,
                bucket_date,
                agent_id,
                failure_reason,
                finished_count,
                run_count,
                run_micros,
                cancelled_count
            FROM sums
            RETURNING 1
        )
        SELECT count(*)
        INTO v_rows
        FROM agent_rows;
        v_touched := v_touched + v_rows;
    END LOOP;
    FOR v_month, v_workspaces IN
        SELECT
            date_trunc('month', k.bucket_date::timestamp)::date,
            CASE WHEN bool_or(k.workspace_id IS NULL) THEN NULL ELSE array_agg(DISTINCT k.workspace_id) END
        FROM unnest(p_days, p_workspaces) AS k (bucket_date, workspace_id)
        WHERE k.bucket_date IS NOT NULL
        GROUP BY 1
    LOOP
        PERFORM task_run_dashboard_rebuild_month(v_workspaces, v_month);
    END LOOP;
    RETURN v_touched;
END;
$$;
