-- The platform's later columns this service reads: "user".timezone, the viewer's IANA zone
-- (null = not set). A platform database that has it keeps it; the comment marks that this
-- migration added it, so the down file drops only its own column.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM information_schema.columns
        WHERE table_schema = current_schema()
            AND table_name = 'user'
            AND column_name = 'timezone'
    ) THEN
        ALTER TABLE "user" ADD COLUMN timezone text;
        COMMENT ON COLUMN "user".timezone IS 'added by usage-dashboard migration 0006';
    END IF;
END;
$$;
