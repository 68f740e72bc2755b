#!/usr/bin/env bash
# Installs (when missing) and starts Debian's PostgreSQL 15 cluster, gives the postgres role a
# password for TCP connections, and writes its URL to .ci-work/postgres15.env.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
fi
if ! pg_lsclusters --no-header | awk '{print $1, $2}' | grep -qx '15 main'; then
    pg_createcluster 15 main >/dev/null
fi
if ! pg_lsclusters --no-header | awk '$1 == 15 && $2 == "main" {print $4}' | grep -qx online; then
    pg_ctlcluster 15 main start
fi
port=$(pg_lsclusters --no-header | awk '$1 == 15 && $2 == "main" {print $3}')
password="ci-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
runuser -u postgres -- psql -q -p "$port" -c "ALTER ROLE postgres PASSWORD '$password'"
mkdir -p .ci-work
echo "PG15_URL=postgresql://postgres:$password@127.0.0.1:$port/postgres" > .ci-work/postgres15.env
