-- The price a (provider, model) pair has on a UTC day: the first candidate key with a version in
-- effect that day (the row of that key with the latest effective_from <= the day, operator rows
-- overriding shipped ones), in ticks per token (USD per million x 10^4: whole, prices have at
-- most four decimals). No row when nothing prices it: its uncosted tokens are unpriced. Each
-- candidate is one primary-key probe of model_price and model_price_shipped; callers price the
-- distinct (day, provider, model) of their rows, never every row.
CREATE OR REPLACE FUNCTION task_usage_dashboard_price_on(p_provider text, p_model text, p_day date)
RETURNS TABLE (
    price_key text,
    input_ticks numeric,
    output_ticks numeric,
    cache_read_ticks numeric,
    cache_write_ticks numeric
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT
        c.key,
        v.input * 10000,
        v.output * 10000,
        v.cache_read * 10000,
        v.cache_write * 10000
    FROM unnest(task_usage_dashboard_price_candidates(p_provider, p_model)) WITH ORDINALITY AS c (key, n)
    CROSS JOIN LATERAL (
        SELECT e.input, e.output, e.cache_read, e.cache_write
        FROM model_price_effective AS e
        WHERE e.key = c.key
            AND e.effective_from <= p_day
        ORDER BY e.effective_from DESC
        LIMIT 1
    ) AS v
    ORDER BY c.n
    LIMIT 1
$$;
