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
# The pgbouncer-login check is tested through a real PgBouncer in front of the test PostgreSQL.
command -v pgbouncer >/dev/null 2>&1 || [[ -x /usr/sbin/pgbouncer ]] || missing+=(pgbouncer)
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
# The providers' official SDKs, which prove the in-repo provider fakes (Tests/Fakes/python).
python3 -c 'import okta' 2>/dev/null || python_packages+=(okta)
python3 -c 'import openai' 2>/dev/null || python_packages+=(openai)
python3 -c 'import anthropic' 2>/dev/null || python_packages+=(anthropic)
python3 -c 'import azure.identity, azure.keyvault.secrets' 2>/dev/null || python_packages+=(azure-identity azure-keyvault-secrets)
python3 -c 'import msgraph' 2>/dev/null || python_packages+=(msgraph-sdk)
python3 -c 'import pagerduty' 2>/dev/null || python_packages+=(pagerduty)
python3 -c 'from google.cloud import secretmanager' 2>/dev/null || python_packages+=(google-cloud-secret-manager)
python3 -c 'import onepasswordconnectsdk' 2>/dev/null || python_packages+=(onepasswordconnectsdk)
install_python() {
  # Debian's own python3 refuses pip installs outside a virtualenv (PEP 668); this is a test
  # machine, so install into it anyway when that is the only obstacle.
  python3 -m pip install --quiet "$@" 2>/dev/null || python3 -m pip install --quiet --break-system-packages "$@"
}
if ((${#python_packages[@]})); then
  echo "installing: ${python_packages[*]}"
  # pip itself has been seen to crash once (a TypeError in its version parser) and work on the
  # next try, so one retry.
  install_python "${python_packages[@]}" || { echo "pip failed; trying once more"; install_python "${python_packages[@]}"; }
fi

swift build --build-tests
# In parallel: every suite owns its servers on its own free ports and every wait is async with a
# deadline. Suites that must not interleave their own tests are marked .serialized. A hang cannot
# outlive the suites' time limits, and the whole run is bounded here as well.
# At most 8 tests at once: unbounded, swift-testing starts all ~290 together, and on two cores
# the dozens of Python fakes and moto servers starting at once pushed calls past their per-call
# deadlines (a CI run failed that way). Measured on main, 2026-12-02: 190 s unbounded, 179 s at 8.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-8}
# The run's output is kept, and on failure every recorded issue is printed again at the end, so
# whoever reads only the tail of a CI log sees which test failed and why.
log=$(mktemp -t aegis-test-XXXXXX.log)
status=0
timeout --signal=KILL 45m swift test --skip-build --parallel --num-workers 4 2>&1 | tee "$log" || status=$?
if ((status != 0)); then
  echo
  echo "=== failures (exit $status) ==="
  grep -E -A6 'recorded an issue|✘ Test .* failed|error:|Fatal error|failed after|timed out' "$log" | grep -v 'passed after' | tail -150 || true
fi
rm -f "$log"
exit "$status"
