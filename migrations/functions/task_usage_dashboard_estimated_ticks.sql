-- The contract's price formula, in one place: uncosted tokens of each class times that class's
-- ticks per token, 0 when no price applies (the ticks are null). Numeric, so 3e9 tokens at any
-- price never overflow. A plain SQL expression, inlined into every query that calls it.
CREATE OR REPLACE FUNCTION task_usage_dashboard_estimated_ticks(
    p_input_tokens bigint,
    p_output_tokens bigint,
    p_cache_read_tokens bigint,
    p_cache_write_tokens bigint,
    p_input_ticks numeric,
    p_output_ticks numeric,
    p_cache_read_ticks numeric,
    p_cache_write_ticks numeric
) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        p_input_tokens * p_input_ticks + p_output_tokens * p_output_ticks
        + p_cache_read_tokens * p_cache_read_ticks + p_cache_write_tokens * p_cache_write_ticks,
        0
    )
$$;
