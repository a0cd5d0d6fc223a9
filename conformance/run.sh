#!/usr/bin/env bash
# Builds the emulator, prepares the Python venv and runs the SDK conformance suites.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build -q -p clusterform-emulator
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r conformance/requirements.txt
export CLUSTERFORM_EMULATOR_BIN="$PWD/$target/debug/clusterform-emulator"
case "$target" in /*) export CLUSTERFORM_EMULATOR_BIN="$target/debug/clusterform-emulator";; esac
exec .venv/bin/python -m pytest -q -p no:cacheprovider conformance/ "$@"
