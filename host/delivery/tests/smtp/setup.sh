#!/usr/bin/env bash
# Creates (once) a Python venv with aiosmtpd for nudge-delivery's SMTP tests
# and benchmark, and prints the path of its python, for NUDGE_TEST_PYTHON:
#
#   export NUDGE_TEST_PYTHON="$(host/delivery/tests/smtp/setup.sh)"
#
# The venv goes to $1, else $CARGO_TARGET_DIR/nudge-smtp-venv, else
# /var/tmp/nudge-smtp-venv. Safe to run concurrently and repeatedly.
set -euo pipefail
venv="${1:-${CARGO_TARGET_DIR:-/var/tmp}/nudge-smtp-venv}"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6' >&2
fi
echo "$venv/bin/python"
