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
# The Kubernetes tests run the real kubectl (v1.32) against the in-repo fake API server. Debian 12
# has no kubectl package (only kubernetes-client 1.20, too old to be the reference), so it is not
# installed here: without it the kubectl test fails and says so; it is never skipped.
command -v kubectl >/dev/null 2>&1 ||
  echo "warning: kubectl not found; AegisKubernetesTests' kubectl test will fail until kubectl v1.32 is installed" >&2
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# Python: the official Slack SDK (independent Slack protocol checker and benchmark baseline),
# moto's server (AWS emulator with signature checking) and botocore (independent SigV4 signer).
if ! command -v python3 >/dev/null 2>&1; then
  echo "installing: python3 python3-pip"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip
fi
python_packages=()
python3 -c 'import slack_sdk' 2>/dev/null || python_packages+=(slack_sdk)
python3 -c 'import slack_bolt' 2>/dev/null || python_packages+=(slack_bolt)
python3 -c 'import moto.server, botocore, flask' >/dev/null 2>&1 || python_packages+=('moto[server]>=5,<6' botocore)
if ((${#python_packages[@]})); then
  echo "installing: ${python_packages[*]}"
  # Debian's own python3 refuses pip installs outside a virtualenv (PEP 668); this is a test
  # machine, so install into it anyway when that is the only obstacle.
  python3 -m pip install --quiet "${python_packages[@]}" \
    || python3 -m pip install --quiet --break-system-packages "${python_packages[@]}"
fi

swift build --build-tests
# In parallel: every suite owns its servers on its own free ports and every wait is async with a
# deadline, so suites share the two cores without starving each other. Suites that must not
# interleave their own tests are marked .serialized. A hang cannot outlive the suites' time limits,
# and the whole run is bounded here as well.
timeout --signal=KILL 45m swift test --skip-build --parallel --num-workers 4
