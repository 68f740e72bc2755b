-- Fills one newly registered quarter's run prefixes on the given UTC days, for every workspace:
-- the day's runs completed before that quarter hour, per workspace and per project, from one
-- range of each day's runs; the old prefixes at that quarter are deleted first. Ticks rebuild
-- the prefixes of the days they rebuild with the days themselves
-- (task_run_dashboard_rebuild_days); this is the fill step's part
-- (task_usage_dashboard_fill_splits).
CREATE OR REPLACE FUNCTION task_run_dashboard_rebuild_splits(p_days date [], p_quarter int)
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_day date;
    v_start timestamptz;
BEGIN
    FOR v_day IN
        SELECT DISTINCT u.day
        FROM unnest(p_days) AS u (day)
    LOOP
        v_start := v_day::timestamp AT TIME ZONE 'UTC';
        DELETE FROM task_run_dashboard_daily_split
        WHERE bucket_date = v_day
            AND quarter = p_quarter;
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
            v_day,
            p_quarter,
            r.failure_reason,
            sum(r.finished_count),
            sum(r.run_count),
            sum(r.run_micros),
            sum(r.cancelled_count)
        FROM task_run_dashboard_run_sums(
            NULL, v_start, v_start + p_quarter * INTERVAL '15 minutes'
        ) AS r
        GROUP BY GROUPING SETS (
            (r.workspace_id, r.failure_reason),
            (r.workspace_id, r.project_id, r.failure_reason)
        )
        HAVING GROUPING(r.project_id) = 1
            OR r.project_id IS NOT NULL;
    END LOOP;
END;
$$;
