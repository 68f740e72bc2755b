-- name: upsert_task_usage(task_id, provider, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd_ticks)*!
-- The platform's single usage writer: one row per (task, provider, model). A repeated report
-- replaces the counts and the reported amount (a corrected report replaces, never adds) and
-- stamps updated_at; created_at never changes, so a row stays in the UTC day bucket it was first
-- written to.
INSERT INTO task_usage (
    task_id,
    provider,
    model,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_write_tokens,
    cost_usd_ticks,
    updated_at
)
VALUES (
    :task_id,
    :provider,
    :model,
    :input_tokens,
    :output_tokens,
    :cache_read_tokens,
    :cache_write_tokens,
    :cost_usd_ticks,
    now()
)
ON CONFLICT (task_id, provider, model) DO UPDATE
SET input_tokens = EXCLUDED.input_tokens,
    output_tokens = EXCLUDED.output_tokens,
    cache_read_tokens = EXCLUDED.cache_read_tokens,
    cache_write_tokens = EXCLUDED.cache_write_tokens,
    cost_usd_ticks = EXCLUDED.cost_usd_ticks,
    updated_at = now();
