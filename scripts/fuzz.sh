#!/usr/bin/env bash
# Builds herondb's libFuzzer targets (tests/fuzz/*_fuzz.cc, clang with ASan +
# UBSan) and runs each for a bounded time on a seed corpus made from a fresh
# database. Corpus, crash artifacts and build stay out of the repository
# (a temporary directory; the build in build/fuzz, or $HERONDB_FUZZ_BUILD).
#   scripts/fuzz.sh                      every target, HERONDB_FUZZ_SECONDS each (default 20)
#   scripts/fuzz.sh wal_fuzz             one target
# Without clang++ and libFuzzer it says so and exits 0 (the fuzz step is skipped).
# A crash prints the input as a C array: add it to tests/cpp/fuzz_regression_test.cc.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
JOBS=${JOBS:-$(nproc)}
SECS=${HERONDB_FUZZ_SECONDS:-20}
BUILD=${HERONDB_FUZZ_BUILD:-build/fuzz}  # build directory

CXX_FUZZ=${HERONDB_FUZZ_CXX:-}
if [ -z "$CXX_FUZZ" ]; then
  for c in clang++ clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null; then CXX_FUZZ=$c; break; fi
  done
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
if [ -z "$CXX_FUZZ" ] || ! printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
    >"$probe/p.cc" || ! "$CXX_FUZZ" -fsanitize=fuzzer "$probe/p.cc" -o "$probe/p" 2>/dev/null; then
  echo "[fuzz] SKIPPED: no clang++ with libFuzzer (apt-get install clang-14 libclang-rt-14-dev)"
  exit 0
fi

echo "[fuzz] building the fuzz targets with $CXX_FUZZ"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_FUZZ" -DHERONDB_BUILD_FUZZERS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$JOBS" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$probe" "$work"' EXIT
# Seeds: the files of a small database and its JSON export.
"$PY" - "$work" <<'PYEOF'
import os, struct, sys
import herondb
work = sys.argv[1]
db_path = os.path.join(work, "seed-db")
db = herondb.Database(db_path, dim=4, metric="euclidean")
db.add_many([f"r{i}" for i in range(5)], [[i, 1.0, 2.0, 3.0] for i in range(5)],
            [{"i": i, "u": 2**64 - 1 - i, "n": -2**63, "tags": ["a", "b"], "x": {"y": None}}
             for i in range(5)])
db.save()
db.add("logged", [9, 9, 9, 9], {"k": "v"})
db.delete("r0")
db.export_json(os.path.join(work, "export.json"))
db.close()
db = herondb.Database(db_path, read_only=True)
files = sorted(os.listdir(db_path))
db.close()
def seed(target, name, data):
    d = os.path.join(work, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
read = lambda name: open(os.path.join(db_path, name), "rb").read()
for name in files:
    if name == "CURRENT":
        seed("current_fuzz", "current", read(name))
    elif name.startswith("snapshot-"):
        seed("snapshot_fuzz", "snapshot", read(name))
    elif name.startswith("wal-"):
        seed("wal_fuzz", "records", b"\x01" + read(name)[48:])  # after the target's own header
        seed("wal_fuzz", "whole", read(name))
seed("json_import_fuzz", "export", open(os.path.join(work, "export.json"), "rb").read())
seed("json_import_fuzz", "records", b'{"dim": 4, "records": [{"id": "a", "vector": [1, 2, 3, 4], "metadata": {"n": 1}}]}')
# Value codec: an object {"u": 2**64-1, "l": [2**63, -1, 0.5, "s", null, true]} (tags 0x07, 0x08, ...).
u64 = lambda v: b"\x08" + v.to_bytes(8, "little")
seed("value_fuzz", "object", b"\x07\x02\x01u" + u64(2**64 - 1) + b"\x01l\x06\x06" + u64(2**63)
     + b"\x03\x01" + b"\x04" + struct.pack("<d", 0.5) + b"\x05\x01s" + b"\x00" + b"\x02")
PYEOF

status=0
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/*_fuzz.cc; do targets+=("$(basename "$src" .cc)"); done
fi
for t in "${targets[@]}"; do
  corpus="$work/corpus/$t"
  mkdir -p "$corpus" "$work/artifacts/$t"
  echo "[fuzz] $t for ${SECS}s"
  if ! TMPDIR="$work" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$BUILD/$t" "$corpus" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$work/artifacts/$t/" -print_final_stats=1 >"$work/$t.log" 2>&1; then
    status=1
    tail -n 60 "$work/$t.log"
    for a in "$work/artifacts/$t"/*; do
      [ -f "$a" ] || continue
      echo "[fuzz] $t: input that failed ($(basename "$a")), for tests/cpp/fuzz_regression_test.cc:"
      od -An -tx1 -v "$a" | head -c 4000 || true
    done
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/$t.log" | tail -n 2 || true
  fi
done
[ $status -eq 0 ] && echo "[fuzz] no crash found" || echo "[fuzz] FAILED"
exit $status
