-- Back to 0011: the shifted days keyed by quarter before day, without the covered sums.
CREATE UNIQUE INDEX task_usage_dashboard_daily_shift_model_quarter_key
    ON task_usage_dashboard_daily_shift_model (
        workspace_id, project_id, quarter, bucket_date, provider, model
    );

-- The same columns stay unique: only the key's order changes.
ALTER TABLE task_usage_dashboard_daily_shift_model
    -- squawk-ignore ban-drop-constraint
    DROP CONSTRAINT task_usage_dashboard_daily_shift_model_pkey;

ALTER TABLE task_usage_dashboard_daily_shift_model
    ADD CONSTRAINT task_usage_dashboard_daily_shift_model_pkey
    PRIMARY KEY USING INDEX task_usage_dashboard_daily_shift_model_quarter_key;
