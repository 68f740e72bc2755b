-- For pg_cron: runs one step and, when it failed, commits the recorded error and raises so
-- cron.job_run_details shows the run as failed.
CREATE OR REPLACE PROCEDURE rollup_task_usage_dashboard_daily_job()
LANGUAGE plpgsql AS $$
DECLARE
    v_rows bigint;
    v_error text;
BEGIN
    v_rows := rollup_task_usage_dashboard_daily();
    IF v_rows = -1 THEN
        SELECT last_error INTO v_error FROM task_usage_dashboard_rollup_state WHERE id = 1;
        COMMIT;
        RAISE EXCEPTION 'rollup tick failed: %', v_error;
    END IF;
END;
$$;
