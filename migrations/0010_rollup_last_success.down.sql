-- Back to 0009: only the last run's finish is kept.
ALTER TABLE task_usage_dashboard_rollup_state
    DROP COLUMN last_success_at;
