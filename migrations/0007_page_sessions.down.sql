-- Back to 0006: the page's sessions are dropped (everyone signs in again).
DROP TABLE usage_dashboard_session;
