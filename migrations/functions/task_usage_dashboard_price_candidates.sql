-- The price-table keys a usage row's model may be priced under, best first (docs/cost.md, the
-- platform client's matching rules, kept so both price a row alike): the raw model id; without a
-- leading "segment/"; Claude ids with "." spelled "-"; without a trailing "[...]" tag; then each of
-- those without a trailing -YYYY-MM-DD, -YYYYMMDD or -latest. With a provider, every key is first
-- tried qualified as "provider/key". No prefix matching and no case folding of the model id, so a
-- new model stays unpriced until it has a row of its own.
CREATE OR REPLACE FUNCTION task_usage_dashboard_price_candidates(p_provider text, p_model text)
RETURNS text []
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v_provider text := lower(btrim(p_provider));
    v_no_provider text := regexp_replace(p_model, '^[A-Za-z][A-Za-z0-9_-]*/', '');
    v_dashed text := CASE
        WHEN starts_with(v_no_provider, 'claude-') THEN replace(v_no_provider, '.', '-')
        ELSE v_no_provider
    END;
    v_bare text [] := ARRAY[p_model, v_no_provider, v_dashed, regexp_replace(v_dashed, '\[[^]]*\]$', '')];
    v_key text;
    v_keys text [] := '{}';
BEGIN
    v_bare := v_bare || ARRAY(
        SELECT regexp_replace(c.key, '-([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8}|latest)$', '')
        FROM unnest(v_bare) WITH ORDINALITY AS c (key, n)
        ORDER BY c.n
    );
    IF v_provider <> '' THEN
        FOREACH v_key IN ARRAY v_bare LOOP
            IF NOT starts_with(v_key, v_provider || '/') THEN
                v_key := v_provider || '/' || v_key;
            END IF;
            IF v_key <> ALL (v_keys) THEN
                v_keys := v_keys || v_key;
            END IF;
        END LOOP;
    END IF;
    FOREACH v_key IN ARRAY v_bare LOOP
        IF v_key <> ALL (v_keys) THEN
            v_keys := v_keys || v_key;
        END IF;
    END LOOP;
    RETURN v_keys;
END;
$$;
