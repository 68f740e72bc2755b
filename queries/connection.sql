-- name: configure_connection()!
-- Run once on every pooled connection. JIT off: the dashboard reads are index-driven statements
-- of a few milliseconds whose raw parts (a day's runs or usage per lateral range) the planner
-- costs high enough to compile, which took 50 ms to a second on PostgreSQL's default settings and
-- never paid off at these sizes.
SET jit = off;
