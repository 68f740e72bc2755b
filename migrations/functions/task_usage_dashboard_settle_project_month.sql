-- Moves project_months_before one month on when that month has settled, summing it first.
-- One month per call keeps a tick bounded after a long pause; reads stay exact meanwhile (they
-- take the days after project_months_before from the base table).
CREATE OR REPLACE FUNCTION task_usage_dashboard_settle_project_month() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_month date;
BEGIN
    SELECT project_months_before
    INTO v_month
    FROM task_usage_dashboard_rollup_state
    WHERE id = 1;
    IF v_month < task_usage_dashboard_settled_months_before() THEN
        PERFORM task_usage_dashboard_rebuild_project_month(v_month);
        UPDATE task_usage_dashboard_rollup_state
        SET project_months_before = (v_month + INTERVAL '1 month')::date
        WHERE id = 1;
    END IF;
END;
$$;
