#!/usr/bin/env bash
# The test command: installs what the tests need if it is missing, builds, and runs every test.
# Servers the tests use are started by the tests themselves on 127.0.0.1 and stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for package in libsqlite3-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# AWS adapter tests: moto's server (with Flask) emulates AWS with signature checking, and
# botocore signs the same requests as an independent SigV4 implementation.
if ! command -v python3 >/dev/null 2>&1; then
  echo "installing: python3 python3-pip"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip
fi
if ! python3 -c 'import moto.server, botocore, flask' >/dev/null 2>&1; then
  echo "installing: moto[server] botocore"
  # Debian's own python3 refuses pip installs outside a virtualenv (PEP 668); this machine is
  # a test machine, so install into it anyway when that is the only obstacle.
  python3 -m pip install --quiet 'moto[server]>=5,<6' botocore \
    || python3 -m pip install --quiet --break-system-packages 'moto[server]>=5,<6' botocore
fi

swift build
swift test
