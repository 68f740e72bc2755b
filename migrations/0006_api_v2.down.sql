-- Back to 0005: "user".timezone dropped only when 0006 added it.
DO $$
BEGIN
    IF col_description('"user"'::regclass, (
        SELECT attnum
        FROM pg_attribute
        WHERE attrelid = '"user"'::regclass
            AND attname = 'timezone'
    )) = 'added by usage-dashboard migration 0006' THEN
        ALTER TABLE "user" DROP COLUMN timezone;
    END IF;
END;
$$;
