-- First UTC day the per-task level covers. A day only ever leaves the horizon (time moves
-- forward), and every day inside it has had its per-task rows rebuilt with each change since
-- it entered: new days enter empty, and the days inside it when the level was added were
-- queued whole then. Five weeks: late re-reports of a month's tasks still take the cheap path.
CREATE OR REPLACE FUNCTION task_usage_dashboard_task_level_from() RETURNS date
LANGUAGE sql STABLE
RETURN task_usage_dashboard_utc_day(now()) - 35;
