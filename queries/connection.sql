-- name: configure_connection()!
-- The bench's direct connections, which time statements as the app's requests run them (with
-- configure_request's JIT off). JIT off: the dashboard reads are index-driven statements of a few
-- milliseconds whose raw parts (a day's runs or usage per lateral range) the planner costs high
-- enough to compile, which took 50 ms to a second on PostgreSQL's default settings and never paid
-- off at these sizes.
SET jit = off;

-- name: configure_request(statement_timeout)!
-- Run first in every request's transaction: its settings, local to that transaction, so nothing
-- outlives it on a server connection PgBouncer hands to other clients next. JIT off as above;
-- statement_timeout (milliseconds, 0 for none) cuts a statement that runs too long, so a slow
-- read answers 503 instead of holding a worker and a connection.
SELECT
    set_config('jit', 'off', true),
    set_config('statement_timeout', :statement_timeout, true);
