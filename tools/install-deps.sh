#!/usr/bin/env bash
# Installs every Debian 12 package sparsedse needs to build, test and run. Idempotent: packages already
# present are skipped, and `apt-get update` runs at most once per call (only when something is missing).
#   tools/install-deps.sh            build + test + run dependencies
#   tools/install-deps.sh --train    also PyTorch, for tools/train (retraining the shipped models)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libeigen3-dev nlohmann-json3-dev libboost-graph-dev catch2
  libonnx-dev libprotobuf-dev protobuf-compiler libcli11-dev zlib1g-dev
  libonnx-testdata dataset-fashion-mnist
  chromium openmpi-bin libopenmpi-dev
  # the `fuzz` preset: clang with libFuzzer and the sanitizer runtimes, OpenMP for clang, and
  # llvm-symbolizer for readable sanitizer stack traces
  clang libclang-rt-14-dev libomp-14-dev llvm
)
if [[ "${1:-}" == "--train" ]]; then
  packages+=(python3-torch python3-torchvision python3-onnx python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
