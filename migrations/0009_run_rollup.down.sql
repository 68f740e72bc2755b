-- Back to 0008: the run routes read raw tasks on both paths.
DROP TABLE task_run_dashboard_daily_split;
DROP TABLE task_run_dashboard_monthly_agent;
DROP TABLE task_run_dashboard_daily_agent;
DROP TABLE task_run_dashboard_daily;
DROP TABLE task_run_dashboard_dirty;
