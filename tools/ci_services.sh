#!/usr/bin/env bash
# Debian packages the suite needs for real servers, clients and browsers (skopeo is the OCI client the mirror's
# /v2/ tests pull with), and a PostgreSQL server on loopback.
# Prints the export line for WEIGHBRIDGE_TEST_PG_URL; the registry tests skip (with a message) without it.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname='weighbridge'\" | grep -q 1 \
  || psql -q -c \"CREATE ROLE weighbridge LOGIN SUPERUSER PASSWORD 'weighbridge'\"" >/dev/null
su postgres -c "psql -q -tc \"SELECT 1 FROM pg_database WHERE datname='weighbridge_test'\" | grep -q 1 \
  || psql -q -c 'CREATE DATABASE weighbridge_test OWNER weighbridge'" >/dev/null
echo "export WEIGHBRIDGE_TEST_PG_URL=postgresql+psycopg://weighbridge:weighbridge@127.0.0.1:5432/weighbridge_test"
