#!/bin/sh
# Train and export the three reference models (models/README.md).
#
#   nohup nice -n 5 tools/train/train_all.sh > /var/tmp/sparsedse-train/train_all.log 2>&1 &
#
# resnet20 and resnet18 train side by side with one thread each (two single-thread processes use the
# same two cores as one two-thread process, but do not stall in OpenMP barriers when the machine is
# oversubscribed by compilers); resnet50 follows alone with --threads auto. resnet18/50 train with
# bfloat16 autocast (--bf16, ~2x faster on this AVX512-BF16 CPU); resnet20 in float32.
# Every run resumes from /var/tmp/sparsedse-train/<model>/last.pt, so after an interruption simply
# start the script again; models whose ONNX + sidecar already exist are skipped.
# Epoch counts (part of the recipe stored in the checkpoint; change them only before a model starts):
# EPOCHS_R20=6 EPOCHS_R18=3 EPOCHS_R50=2 (then two resnet50 fine-tuning epochs).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
LOGDIR=/var/tmp/sparsedse-train
mkdir -p "$LOGDIR"

run() {  # run <model> <epochs> <threads> [extra train.py options]
    if [ -f "$REPO/models/$1.onnx" ] && [ -f "$REPO/models/$1.json" ]; then
        echo "$(date '+%F %T') $1: already exported, skipping"
        return 0
    fi
    model=$1 epochs=$2 threads=$3
    shift 3
    echo "$(date '+%F %T') $model: training $epochs epochs, threads $threads $* (log $LOGDIR/$model.log)"
    if "$PY" "$REPO/tools/train/train.py" --model "$model" --epochs "$epochs" --threads "$threads" "$@" \
        >> "$LOGDIR/$model.log" 2>&1
    then echo "$(date '+%F %T') $model: done"
    else echo "$(date '+%F %T') $model: FAILED (see $LOGDIR/$model.log)"; return 1
    fi
}

run resnet20-fmnist "${EPOCHS_R20:-6}" 1 &
r20=$!
run resnet18-fmnist "${EPOCHS_R18:-3}" 1 --bf16 &
r18=$!
wait $r20; s20=$?
wait $r18; s18=$?
# resnet50: 2 epochs at peak LR 0.05 (0.1 diverged at step 350, bf16) end at 87.9 %, below the 90 % target;
# two 1-epoch fine-tuning cycles at peak 0.02 (each a new optimiser and schedule) reach 90.15 %.
ck=$LOGDIR/resnet50-fmnist
run resnet50-fmnist "${EPOCHS_R50:-2}" auto --bf16 --lr 0.05 --no-export &&
    run resnet50-fmnist 1 auto --bf16 --lr 0.02 --no-export --init-from "$ck/last.pt" --ckpt-dir "$ck-ft" &&
    run resnet50-fmnist 1 auto --bf16 --lr 0.02 --init-from "$ck-ft/last.pt" --ckpt-dir "$ck-ft2"
s50=$?
[ $s20 -eq 0 ] && [ $s18 -eq 0 ] && [ $s50 -eq 0 ]
