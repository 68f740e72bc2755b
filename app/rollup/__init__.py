"""The daily rollup: ticks, backfill, health, in-process scheduling and pg_cron."""
