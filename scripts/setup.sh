#!/usr/bin/env bash
# Installs everything herondb needs to build and test on a fresh machine, then
# builds and installs the Python package from this checkout.
#   scripts/setup.sh            build deps + `pip install .`
#   HERONDB_SKIP_INSTALL=1 ...  build deps only
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# System packages: a C++20 compiler, CMake, Ninja and GoogleTest.
missing=()
command -v g++ >/dev/null || missing+=(g++)
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
[ -f /usr/include/gtest/gtest.h ] || missing+=(libgtest-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing system packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "[setup] missing system packages: ${missing[*]} (install them with your package manager)" >&2
    exit 1
  fi
fi

# Optional: clang and libFuzzer for the fuzz step of scripts/test.sh, which
# skips (saying so) without them.
if ! command -v clang++-14 >/dev/null || ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing clang-14 and libFuzzer (for the fuzz step)"
    { apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null; } ||
      log "could not install clang-14 + libclang-rt-14-dev: the fuzz step will be skipped"
  fi
fi

PY=${PYTHON:-python3}
log "installing Python build and test dependencies"
"$PY" -m pip install -q --disable-pip-version-check \
  "scikit-build-core>=0.10" "nanobind>=2.0" "numpy>=1.21" "pytest>=7" "hypothesis>=6" mypy cmake ninja "PyStemmer>=3.1" \
  "vctrs==0.3.0"  # the real vctrs, for the migration and JSON tests
# The LangChain and LlamaIndex integrations' tests (the extras herondb[langchain]
# and herondb[llama-index]), at the versions they are tested with.
log "installing the integration test dependencies (langchain-core, langchain-tests, llama-index-core)"
"$PY" -m pip install -q --disable-pip-version-check \
  "langchain-core==1.8.1" "langchain-tests==1.1.9" "llama-index-core==0.14.25"
# The herondb[ray] extra, for tests/python/test_ray.py (a local Ray cluster).
log "installing the Ray test dependency"
"$PY" -m pip install -q --disable-pip-version-check "ray[data]>=2.40"

if [ "${HERONDB_SKIP_INSTALL:-0}" != 1 ]; then
  log "building and installing herondb (pip install .)"
  "$PY" -m pip install -q --disable-pip-version-check --no-build-isolation .
fi
log "done"
