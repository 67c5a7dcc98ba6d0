#!/usr/bin/env bash
# Runs every libFuzzer harness for SECONDS each (tools/fuzz.sh), JOBS at a time, and prints a Markdown
# table of what each run did (docs/reliability.md, "Long runs"):
#   tools/fuzz-all.sh SECONDS [JOBS] [NAME ...]      e.g. tools/fuzz-all.sh 600 2
# Logs and work directories go to $SPARSEDSE_FUZZ_WORK_DIR (default build/fuzz/fuzz-work); a run that
# finds something leaves its crash-*/leak-*/timeout-*/oom-* input there. Exit code: 0 if no run found
# anything, 1 otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:?usage: tools/fuzz-all.sh SECONDS [JOBS] [NAME ...]}"
jobs="${2:-1}"
shift $(($# >= 2 ? 2 : 1))
names=("$@")
[[ ${#names[@]} -gt 0 ]] || mapfile -t names < <("$root/tools/fuzz.sh" --list)
work="${SPARSEDSE_FUZZ_WORK_DIR:-$root/build/fuzz/fuzz-work}"
mkdir -p "$work"
export SPARSEDSE_FUZZ_WORK_DIR="$work"

run_one() {
  local name="$1" start end rc=0
  start=$(date +%s)
  "$root/tools/fuzz.sh" "$name" "$seconds" > "$work/$name.log" 2>&1 || rc=$?
  end=$(date +%s)
  echo "$rc $((end - start))" > "$work/$name.result"
}

running=0
for name in "${names[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [[ $running -ge $jobs ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

stat() { grep -m1 "^stat::$2:" "$work/$1.log" | awk '{print $2}'; }
found=0
echo "| harness | wall (s) | executions | exec/s | new corpus units | result |"
echo "|---|---|---|---|---|---|"
for name in "${names[@]}"; do
  read -r rc wall < "$work/$name.result"
  result="nothing found"
  if [[ $rc -ne 0 ]]; then
    found=1
    artefact="$(ls "$work/$name" | grep -E '^(crash|leak|timeout|oom)-' | head -1 || true)"
    result="**finding** (exit $rc${artefact:+, $artefact})"
  fi
  echo "| \`$name\` | $wall | $(stat "$name" number_of_executed_units) | $(stat "$name" average_exec_per_sec) |" \
       "$(stat "$name" new_units_added) | $result |"
done
exit $found
