-- name: get_cron_database_name()$
-- The database pg_cron's scheduler lives in (cron.database_name), or null when pg_cron is not
-- loaded on this server (it must be in shared_preload_libraries).
SELECT current_setting('cron.database_name', true);

-- name: get_current_database_name()$
-- The database this connection is in: the one the scheduled tick must run in.
SELECT current_database();

-- name: create_pg_cron_extension()!
-- Creates pg_cron in its own database when missing (superuser or a pg_cron-trusted role).
CREATE EXTENSION IF NOT EXISTS pg_cron;

-- name: schedule_rollup_job(job_name, schedule, database)$
-- Schedules the tick in the dashboard's database from pg_cron's database; the job's procedure
-- raises when a step fails, so cron.job_run_details records the failure. Re-scheduling the same
-- job name replaces its schedule.
SELECT cron.schedule_in_database(
    :job_name,
    :schedule,
    'CALL rollup_task_usage_dashboard_daily_job()',
    :database
);

-- name: unschedule_rollup_job(job_name)$
-- Removes the job if present; returns how many were removed.
SELECT count(cron.unschedule(jobid))
FROM cron.job
WHERE jobname = :job_name;
