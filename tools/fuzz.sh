#!/usr/bin/env bash
# Runs one libFuzzer harness (docs/reliability.md) on a scratch copy of its seed corpus.
#   tools/fuzz.sh NAME SECONDS [extra libFuzzer flags...]
#   tools/fuzz.sh --list
# NAME is a harness in test/fuzz (fuzz_NAME.cpp): onnx, json_ir, job, platform, optimiser, dataset_spec,
# thresholds, stats, design, idx, cifar10. The fuzzers come from the `fuzz` preset
# (cmake --preset fuzz && cmake --build --preset fuzz); $SPARSEDSE_FUZZ_BUILD_DIR overrides build/fuzz.
# The corpus grows in WORK/NAME/corpus, WORK = $SPARSEDSE_FUZZ_WORK_DIR or BUILD/fuzz-work (never the
# source tree; emptied first); crashes, leaks, timeouts and out-of-memory inputs land in WORK/NAME/ as
# crash-*, leak-*, timeout-*, oom-*. Exit code:
# 0 = nothing found, non-zero = a finding (libFuzzer's message says which input and why).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SPARSEDSE_FUZZ_BUILD_DIR:-$root/build/fuzz}"

if [[ "${1:-}" == "--list" ]]; then
  for f in "$root"/test/fuzz/fuzz_*.cpp; do n="$(basename "$f" .cpp)"; echo "${n#fuzz_}"; done
  exit 0
fi
if [[ $# -lt 2 ]]; then
  echo "usage: tools/fuzz.sh NAME SECONDS [libFuzzer flags...]   (tools/fuzz.sh --list for the names)" >&2
  exit 2
fi
name="$1"; seconds="$2"; shift 2
fuzzer="$build/test/fuzz/fuzz_$name"
seeds="$root/test/fuzz/corpus/$name"
[[ -x "$fuzzer" ]] || { echo "fuzz.sh: $fuzzer not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2; exit 2; }
[[ -d "$seeds" ]] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 2; }

work="${SPARSEDSE_FUZZ_WORK_DIR:-$build/fuzz-work}/$name"
rm -rf "$work"
mkdir -p "$work/corpus"
cp "$seeds"/* "$work/corpus/"
cd "$work"
# Dictionaries (test/fuzz/dict/NAME.dict) help the JSON harnesses reach past the key checks.
dict=()
[[ -f "$root/test/fuzz/dict/$name.dict" ]] && dict=("-dict=$root/test/fuzz/dict/$name.dict")
# -timeout: one input taking 10 s is a hang; -rss_limit_mb: the harnesses set a 256 MiB memory budget,
# so needing more than 2 GiB is a finding. ASAN_OPTIONS: leaks are findings too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$work/" "${dict[@]}" "$@" "$work/corpus"
