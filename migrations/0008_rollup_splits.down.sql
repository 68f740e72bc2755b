-- Back to 0007: local days off UTC are read from raw rows again.
DROP TABLE task_usage_dashboard_daily_split_model;
DROP TABLE task_usage_dashboard_split;
