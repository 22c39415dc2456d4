#!/usr/bin/env bash
# The test command: installs what the tests need if it is missing, builds, and runs every test.
# Servers the tests use are started by the tests themselves on 127.0.0.1 and stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for package in libsqlite3-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
# Redis adapter tests start a real redis-server, one of them TLS-only with certificates made by openssl.
command -v redis-server >/dev/null 2>&1 || [[ -x /usr/bin/redis-server ]] || missing+=(redis-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# PostgreSQL adapter tests create a fresh cluster with initdb and start it with pg_ctl (15).
if ! { command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 &&
   ! [[ -x /usr/lib/postgresql/15/bin/initdb && -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
  missing+=(postgresql-15)
fi
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

swift build
swift test
