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

# Python clients the tests use as independent protocol checkers (the official Slack SDK).
python_packages=()
python3 -c 'import slack_sdk' 2>/dev/null || python_packages+=(slack_sdk)
python3 -c 'import slack_bolt' 2>/dev/null || python_packages+=(slack_bolt)
if ((${#python_packages[@]})); then
  echo "installing: ${python_packages[*]}"
  python3 -m pip install -q "${python_packages[@]}"
fi

swift build
swift test
