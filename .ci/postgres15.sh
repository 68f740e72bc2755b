#!/usr/bin/env bash
# Installs (when missing) and starts Debian's PostgreSQL 15 with pg_cron preloaded, gives the
# postgres role a password for TCP connections, and writes its URL to .ci-work/postgres15.env.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/lib/postgresql/15/bin/postgres ] || [ ! -f /usr/share/postgresql/15/extension/pg_cron.control ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-15-cron >/dev/null
fi
if ! pg_lsclusters --no-header | awk '{print $1, $2}' | grep -qx '15 main'; then
    pg_createcluster 15 main >/dev/null
fi

# pg_cron runs its jobs over libpq: through the socket directory, peer authentication lets it in
# as the job's owner (postgres) without a password.
conf=/etc/postgresql/15/main/conf.d/usage-dashboard-ci.conf
want="shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.host = '/var/run/postgresql'"
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$want" > "$conf"
    pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi
if ! pg_lsclusters --no-header | awk '$1 == 15 && $2 == "main" {print $4}' | grep -qx online; then
    pg_ctlcluster 15 main start
fi
port=$(pg_lsclusters --no-header | awk '$1 == 15 && $2 == "main" {print $3}')
password="ci-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
runuser -u postgres -- psql -q -p "$port" -c "ALTER ROLE postgres PASSWORD '$password'"
runuser -u postgres -- psql -q -p "$port" -c "CREATE EXTENSION IF NOT EXISTS pg_cron"
mkdir -p .ci-work
echo "PG15_URL=postgresql://postgres:$password@127.0.0.1:$port/postgres" > .ci-work/postgres15.env
