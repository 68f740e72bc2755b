-- name: list_model_prices_at(at_day)
-- The price version of every key in effect on at_day (the latest effective_from <= at_day),
-- operator rows overriding shipped ones of the same key and date; by key. DISTINCT ON walks
-- model_price_effective in key and date order, a few hundred rows at most.
SELECT DISTINCT ON (key)
    key,
    effective_from,
    input,
    output,
    cache_read,
    cache_write,
    source
FROM model_price_effective
WHERE effective_from <= :at_day
ORDER BY key ASC, effective_from DESC;

-- name: list_model_prices()
-- Every version in force (shipped and operator, all dates), by key and date: what
-- `prices export` writes and `prices import` reads back.
SELECT
    key,
    effective_from,
    input,
    output,
    cache_read,
    cache_write,
    source
FROM model_price_effective
ORDER BY key ASC, effective_from ASC;

-- name: upsert_model_prices(keys, effective_froms, inputs, outputs, cache_reads, cache_writes)$
-- Operator price versions, written in one statement (all or nothing, and one run of the
-- triggers that queue the rollup days they reprice): a version of an existing key and date
-- replaces it, an unchanged one is left alone. Returns the versions written or changed.
WITH written AS (
    INSERT INTO model_price AS p (key, effective_from, input, output, cache_read, cache_write)
    SELECT *
    FROM unnest(
        CAST(:keys AS text []),
        CAST(:effective_froms AS date []),
        CAST(:inputs AS numeric []),
        CAST(:outputs AS numeric []),
        CAST(:cache_reads AS numeric []),
        CAST(:cache_writes AS numeric [])
    )
    ON CONFLICT (key, effective_from) DO UPDATE
    SET input = EXCLUDED.input,
        output = EXCLUDED.output,
        cache_read = EXCLUDED.cache_read,
        cache_write = EXCLUDED.cache_write,
        updated_at = now()
    WHERE (p.input, p.output, p.cache_read, p.cache_write)
        IS DISTINCT FROM (EXCLUDED.input, EXCLUDED.output, EXCLUDED.cache_read, EXCLUDED.cache_write)
    RETURNING 1
)
SELECT count(*)
FROM written;
