-- The first month that has not settled: the month of the per-task horizon's first day.
CREATE OR REPLACE FUNCTION task_usage_dashboard_settled_months_before() RETURNS date
LANGUAGE sql STABLE
RETURN date_trunc('month', task_usage_dashboard_task_level_from()::timestamp)::date;
