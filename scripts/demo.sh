#!/usr/bin/env bash
# The main job: sets up herondb and runs the demo on real data
# (examples/demo.py). Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec "${PYTHON:-python3}" examples/demo.py "$@"
