-- Most changed tasks of one day a tick rebuilds one by one; past it the day is rebuilt whole
-- (cheaper then, and it keeps a step bounded by its days whatever a bulk write queued).
CREATE OR REPLACE FUNCTION task_usage_dashboard_rollup_day_tasks_max() RETURNS int
LANGUAGE sql IMMUTABLE
RETURN 2000;
