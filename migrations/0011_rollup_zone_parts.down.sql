-- Back to 0010: local days are stitched from the daily level and two prefixes again, and the
-- by-agent edges read raw; the prefixes kept hold as they are.
DROP TABLE task_usage_dashboard_daily_split_agent_model;
DROP TABLE task_usage_dashboard_daily_shift_model;
