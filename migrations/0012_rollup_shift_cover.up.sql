-- The shifted days keyed by day before quarter, covering every summed column
-- (docs/rollup.md, "Viewers off UTC").
--
-- The zone daily read looks up each local day's shifted rows by (UTC day, quarter). Keyed by
-- quarter first, a year in America/New_York (quarters 16 and 20, one per half of the year) read
-- both quarters' rows of every day and kept half, and each row cost a heap page: the ticks write
-- a day's rows for every workspace at once, so one workspace's rows lie one to a page (about
-- 3,900 pages for 6,000 rows). Keyed by day then quarter and covering the sums, each local day is
-- an index-only scan of its few adjacent entries. The upsert's conflict target is the same set of
-- columns, so the tick's writes are unchanged.
CREATE UNIQUE INDEX task_usage_dashboard_daily_shift_model_day_key
    ON task_usage_dashboard_daily_shift_model (
        workspace_id, project_id, bucket_date, quarter, provider, model
    )
    INCLUDE (
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd_ticks,
        uncosted_input_tokens, uncosted_output_tokens, uncosted_cache_read_tokens,
        uncosted_cache_write_tokens, estimated_cost_ticks, unpriced_tokens, task_count
    );

-- The same columns stay unique: only the key's order changes.
ALTER TABLE task_usage_dashboard_daily_shift_model
    -- squawk-ignore ban-drop-constraint
    DROP CONSTRAINT task_usage_dashboard_daily_shift_model_pkey;

ALTER TABLE task_usage_dashboard_daily_shift_model
    ADD CONSTRAINT task_usage_dashboard_daily_shift_model_pkey
    PRIMARY KEY USING INDEX task_usage_dashboard_daily_shift_model_day_key;
