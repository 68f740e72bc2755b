-- When the last tick step succeeded (issue 13's metrics and health): last_run_finished_at moves
-- on failures too, so after a failure nothing said how long the rollup had been failing.
ALTER TABLE task_usage_dashboard_rollup_state
    ADD COLUMN last_success_at timestamptz;

-- A finished run with no error on record was a success.
UPDATE task_usage_dashboard_rollup_state
SET last_success_at = last_run_finished_at
WHERE last_error IS NULL;
