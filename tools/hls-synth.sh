#!/usr/bin/env bash
# Run Vitis HLS C-synthesis for every partition project written by `sparsedse emit-hls` and collect the
# reports into one JSON summary, next to the model's predictions from each manifest.json (docs/hls.md).
#
#   tools/hls-synth.sh OUTDIR [SUMMARY.json]      (default summary: OUTDIR/csynth_summary.json)
#
# Needs vitis_hls on PATH (not available on the development machine: this script is unverified against
# a real installation; the report fields read are those of Vitis HLS csynth.xml).
set -euo pipefail

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
out=$(cd "$1" && pwd)
summary=${2:-$out/csynth_summary.json}
command -v vitis_hls > /dev/null || { echo "hls-synth: vitis_hls is not on PATH (source the Vitis settings64.sh)" >&2; exit 2; }
command -v python3 > /dev/null || { echo "hls-synth: python3 is needed to read the reports" >&2; exit 2; }

parts=()
for dir in "$out"/p*/; do
  [[ -f "$dir/scripts/csynth.tcl" ]] && parts+=("$(basename "$dir")")
done
[[ ${#parts[@]} -gt 0 ]] || { echo "hls-synth: no partition projects (p*/scripts/csynth.tcl) in $out" >&2; exit 2; }

status=0
for p in "${parts[@]}"; do
  echo "hls-synth: $p: csynth ..." >&2
  if ! (cd "$out/$p" && vitis_hls -f scripts/csynth.tcl > csynth.log 2>&1); then
    echo "hls-synth: $p: vitis_hls failed, see $out/$p/csynth.log" >&2
    status=1
  fi
done

python3 - "$out" "$summary" "${parts[@]}" << 'EOF'
import json, os, sys
import xml.etree.ElementTree as ET

out, summary, parts = sys.argv[1], sys.argv[2], sys.argv[3:]

def text(root, path):
    node = root.find(path)
    if node is None or node.text is None:
        return None
    t = node.text.strip()
    try:
        return float(t) if "." in t else int(t)
    except ValueError:
        return t

result = []
for p in parts:
    entry = {"partition": p}
    manifest = os.path.join(out, p, "manifest.json")
    if os.path.exists(manifest):
        with open(manifest) as f:
            entry["predicted"] = json.load(f).get("predicted")
    report = os.path.join(out, p, p + "_prj", "sol", "syn", "report", "csynth.xml")
    if not os.path.exists(report):
        entry["error"] = "no report " + report
        result.append(entry)
        continue
    root = ET.parse(report).getroot()
    entry["csynth"] = {
        "target_clock_ns": text(root, "UserAssignments/TargetClockPeriod"),
        "estimated_clock_ns": text(root, "PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"),
        "latency_best": text(root, "PerformanceEstimates/SummaryOfOverallLatency/Best-caseLatency"),
        "latency_worst": text(root, "PerformanceEstimates/SummaryOfOverallLatency/Worst-caseLatency"),
        "interval_min": text(root, "PerformanceEstimates/SummaryOfOverallLatency/Interval-min"),
        "interval_max": text(root, "PerformanceEstimates/SummaryOfOverallLatency/Interval-max"),
        "resources": {k: text(root, "AreaEstimates/Resources/" + k) for k in ("LUT", "FF", "DSP", "BRAM_18K", "URAM")},
        "available": {k: text(root, "AreaEstimates/AvailableResources/" + k) for k in ("LUT", "FF", "DSP", "BRAM_18K", "URAM")},
    }
    result.append(entry)

with open(summary, "w") as f:
    json.dump({"format": "sparsedse-csynth-summary", "partitions": result}, f, indent=2)
    f.write("\n")
print("hls-synth: wrote " + summary)
EOF
exit $status
