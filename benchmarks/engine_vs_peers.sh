#!/usr/bin/env bash
# Throughput of the sparsedse engine next to PyTorch and onnxruntime on the same ONNX file
# (docs/benchmarks.md): full-width ResNet-18 CIFAR with a 1×32×32 input, batch 64, 2 threads, float32.
#
#   benchmarks/engine_vs_peers.sh [BUILD_DIR] [MODEL.onnx]
#
# BUILD_DIR (default build/release) must hold bench_engine; MODEL defaults to the zoo network
# resnet18-cifar with 1 input channel, written by bench_engine itself. The engines run one after the
# other, ROUNDS times in turn (default 3), so that background load hits all of them alike; each run
# reports the median time of a batch over SECONDS (default 10) and its peak RSS. onnxruntime-node is
# installed into benchmarks/peers/node_modules on first use (npm; CPU binaries ship in the package).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build="${1:-$root/build/release}"
model="${2:-}"
rounds="${ROUNDS:-3}"
seconds="${SECONDS_PER_RUN:-10}"
batch="${BATCH:-64}"
threads="${THREADS:-2}"
bench="$build/benchmarks/bench_engine"
[[ -x "$bench" ]] || { echo "error: $bench not found (cmake --build $build --target bench_engine)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -z "$model" ]]; then
  model="$work/resnet18-cifar-1ch.onnx"
  "$bench" zoo:resnet18-cifar --write-model "$model" >/dev/null
fi

if [[ ! -d "$here/peers/node_modules/onnxruntime-node" ]]; then
  echo "installing onnxruntime-node into $here/peers/node_modules ..." >&2
  (cd "$here/peers" && ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$here/peers" --no-audit --no-fund --no-save --silent \
      onnxruntime-node@1.30.0 >&2)
fi

# One JSON line per run: {"engine", "images_per_s", "peak_rss_mib", ...}
results="$work/results.jsonl"
for round in $(seq 1 "$rounds"); do
  echo "round $round/$rounds" >&2
  OMP_NUM_THREADS="$threads" "$bench" "$model" --batch "$batch" --threads "$threads" --seconds "$seconds" \
      --json >>"$results"
  OMP_NUM_THREADS="$threads" /usr/bin/python3 "$here/peers/torch_onnx.py" "$model" --batch "$batch" \
      --threads "$threads" --seconds "$seconds" >>"$results"
  (cd "$here/peers" && node ort_bench.js "$model" "$batch" "$threads" "$seconds") >>"$results"
done

/usr/bin/python3 - "$results" "$model" "$batch" "$threads" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    name = r["engine"].split()[0]
    by.setdefault(name, {"label": r["engine"], "ips": [], "rss": []})
    by[name]["ips"].append(r["images_per_s"])
    by[name]["rss"].append(r["peak_rss_mib"])
ours = statistics.median(by["sparsedse"]["ips"])
print(f"model {sys.argv[2]}, batch {sys.argv[3]}, {sys.argv[4]} threads, float32; median over rounds")
print(f"{'engine':<28} {'images/s':>9} {'ours / it':>10} {'peak RSS MiB':>13}   runs (images/s)")
for name in ("sparsedse", "pytorch", "onnxruntime-node"):
    if name not in by:
        continue
    b = by[name]
    ips = statistics.median(b["ips"])
    print(f"{b['label']:<28} {ips:9.1f} {ours / ips:10.2f} {max(b['rss']):13.0f}   "
          + " ".join(f"{x:.1f}" for x in b["ips"]))
PY
