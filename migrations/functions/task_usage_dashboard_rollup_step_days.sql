-- Most days one tick step rebuilds: a month, so one step's statement stays bounded however
-- long the backlog.
CREATE OR REPLACE FUNCTION task_usage_dashboard_rollup_step_days() RETURNS int
LANGUAGE sql IMMUTABLE
RETURN 31;
