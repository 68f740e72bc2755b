-- A price version written, changed or removed (operator or shipped table): queue, whole, every
-- rolled-up UTC day whose cost it can change. A version (key, from) prices the days from `from`
-- to the key's next version, and only rows one of whose candidate keys is that key (a new key can
-- take rows from a worse candidate, so "could match" is enough). The days come from the per-model
-- daily level (its bucket_date index), one statement per price statement.
-- The rollup lock is taken first: a tick or backfill that rolled days up with the old prices has
-- committed before the scan below reads the level, and one that starts later sees the new prices.
-- Usage not rolled up yet is already queued.
CREATE OR REPLACE FUNCTION task_usage_dashboard_enqueue_repriced_days() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_keys text [] := '{}';
    v_froms date [] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT v_keys || array_agg(key), v_froms || array_agg(effective_from)
        INTO v_keys, v_froms
        FROM old_prices;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT v_keys || array_agg(key), v_froms || array_agg(effective_from)
        INTO v_keys, v_froms
        FROM new_prices;
    END IF;
    IF cardinality(v_keys) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(task_usage_dashboard_rollup_lock_key());
    WITH changed AS (
        SELECT DISTINCT
            c.key,
            c.effective_from AS day_from,
            (
                SELECT min(e.effective_from)
                FROM model_price_effective AS e
                WHERE e.key = c.key
                    AND e.effective_from > c.effective_from
            ) AS day_to
        FROM unnest(v_keys, v_froms) AS c (key, effective_from)
    ),
    pairs AS (
        SELECT DISTINCT provider, model
        FROM task_usage_dashboard_daily_model
        WHERE bucket_date >= (SELECT min(day_from) FROM changed)
    ),
    matching AS (
        SELECT c.day_from, c.day_to, p.provider, p.model
        FROM changed AS c
        JOIN pairs AS p
            ON c.key = ANY (task_usage_dashboard_price_candidates(p.provider, p.model))
    )
    INSERT INTO task_usage_dashboard_dirty (bucket_date)
    SELECT DISTINCT m.bucket_date
    FROM matching AS x
    JOIN task_usage_dashboard_daily_model AS m
        ON m.provider = x.provider
        AND m.model = x.model
        AND m.bucket_date >= x.day_from
        AND (x.day_to IS NULL OR m.bucket_date < x.day_to);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER model_price_insert_reprices
    AFTER INSERT ON model_price
    REFERENCING NEW TABLE AS new_prices
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_repriced_days();

CREATE OR REPLACE TRIGGER model_price_update_reprices
    AFTER UPDATE ON model_price
    REFERENCING OLD TABLE AS old_prices NEW TABLE AS new_prices
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_repriced_days();

CREATE OR REPLACE TRIGGER model_price_delete_reprices
    AFTER DELETE ON model_price
    REFERENCING OLD TABLE AS old_prices
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_repriced_days();

CREATE OR REPLACE TRIGGER model_price_shipped_insert_reprices
    AFTER INSERT ON model_price_shipped
    REFERENCING NEW TABLE AS new_prices
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_repriced_days();

CREATE OR REPLACE TRIGGER model_price_shipped_update_reprices
    AFTER UPDATE ON model_price_shipped
    REFERENCING OLD TABLE AS old_prices NEW TABLE AS new_prices
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_repriced_days();

CREATE OR REPLACE TRIGGER model_price_shipped_delete_reprices
    AFTER DELETE ON model_price_shipped
    REFERENCING OLD TABLE AS old_prices
    FOR EACH STATEMENT EXECUTE FUNCTION task_usage_dashboard_enqueue_repriced_days();
