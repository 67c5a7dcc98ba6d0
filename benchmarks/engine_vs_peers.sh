#!/usr/bin/env bash
# Throughput of the sparsedse engine next to PyTorch and onnxruntime on the same ONNX file
# (docs/benchmarks.md): full-width ResNet-18 CIFAR with a 1×32×32 input, batch 64, 2 threads; the peers in
# float32, sparsedse in float32 and in the hardware's fixed point (NUMERICS, default "float fixed:16.8").
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
numerics="${NUMERICS:-float fixed:16.8}"
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
  for n in $numerics; do
    OMP_NUM_THREADS="$threads" "$bench" "$model" --batch "$batch" --threads "$threads" --seconds "$seconds" \
        --numerics "$n" --json >>"$results"
  done
  OMP_NUM_THREADS="$threads" /usr/bin/python3 "$here/peers/torch_onnx.py" "$model" --batch "$batch" \
      --threads "$threads" --seconds "$seconds" >>"$results"
  (cd "$here/peers" && node ort_bench.js "$model" "$batch" "$threads" "$seconds") >>"$results"
done

/usr/bin/python3 - "$results" "$model" "$batch" "$threads" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in rows:
    name = r["engine"].split()[0] + (" " + r["numerics"] if "numerics" in r else "")
    by.setdefault(name, {"label": name if "numerics" in r else r["engine"], "ips": [], "rss": []})
    by[name]["ips"].append(r["images_per_s"])
    by[name]["rss"].append(r["peak_rss_mib"])
ours = [n for n in by if n.startswith("sparsedse")]
print(f"model {sys.argv[2]}, batch {sys.argv[3]}, {sys.argv[4]} threads; median over rounds")
print(f"{'engine':<28} {'images/s':>9} " + " ".join(f"{n.split()[1] + ' / it':>14}" for n in ours)
      + f" {'peak RSS MiB':>13}   runs (images/s)")
median = {n: statistics.median(b["ips"]) for n, b in by.items()}
for name, b in by.items():
    print(f"{b['label']:<28} {median[name]:9.1f} " + " ".join(f"{median[o] / median[name]:14.2f}" for o in ours)
          + f" {max(b['rss']):13.0f}   " + " ".join(f"{x:.1f}" for x in b["ips"]))
PY
