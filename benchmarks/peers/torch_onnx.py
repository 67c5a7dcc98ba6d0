#!/usr/bin/env python3
"""Run an ONNX CNN in PyTorch (eager, oneDNN) and print throughput as one JSON line.

PyTorch 1.13 cannot load ONNX, so this interprets the graph node by node with torch.nn.functional on the
ONNX file's own weights (ops of sparsedse's v1 list). Used by benchmarks/engine_vs_peers.sh.

    python3 torch_onnx.py MODEL.onnx [--batch 64] [--threads 2] [--seconds 10] [--check INPUT.bin]
                                     [--profile]

--profile also prints to stderr the process CPU time of a batch summed over the per-node minima of
--min-runs runs, per op type (as bench_engine --profile does per layer).
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pads_of(a, rank=2):
    p = list(a.get("pads", [0] * (2 * rank)))
    return p[:rank], p[rank:]


def padded(x, a, value=0.0):
    begin, end = pads_of(a)
    if begin == end:
        return x, begin
    return F.pad(x, (begin[1], end[1], begin[0], end[0]), value=value), [0, 0]


class OnnxModule:
    def __init__(self, path):
        m = onnx.load(path)
        self.graph = m.graph
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).astype(np.float32).copy())
                       for t in m.graph.initializer}
        self.input = [i.name for i in m.graph.input if i.name not in self.consts][0]
        self.output = m.graph.output[0].name

    def __call__(self, x, node_seconds=None):
        """Output for input x; node_seconds (a list, one entry per node) gets each node's CPU time."""
        v = dict(self.consts)
        v[self.input] = x
        for k, n in enumerate(self.graph.node):
            t0 = time.process_time()
            v[n.output[0]] = self.node(n, v)
            if node_seconds is not None:
                node_seconds[k] = time.process_time() - t0
        return v[self.output]

    def node(self, n, v):
        a = attrs(n)
        i = [v[name] if name else None for name in n.input]
        op = n.op_type
        if op == "Conv":
            for key in ("auto_pad",):
                if a.get(key, b"NOTSET") not in (b"NOTSET", "NOTSET"):
                    raise SystemExit(f"{n.name}: auto_pad not handled by this runner")
            xin, pad = padded(i[0], a)
            y = F.conv2d(xin, i[1], i[2] if len(i) > 2 else None, stride=a.get("strides", [1, 1]),
                         padding=pad, groups=a.get("group", 1))
        elif op == "Relu":
            y = F.relu(i[0])
        elif op == "ThresholdedRelu":
            t = a.get("alpha", 1.0)
            y = torch.where(i[0] > t, i[0], torch.zeros_like(i[0]))
        elif op == "Add":
            y = i[0] + i[1]
        elif op == "GlobalAveragePool":
            y = F.adaptive_avg_pool2d(i[0], 1)
        elif op == "MaxPool":
            xin, pad = padded(i[0], a, float("-inf"))
            y = F.max_pool2d(xin, a["kernel_shape"], a.get("strides", a["kernel_shape"]), pad)
        elif op == "AveragePool":
            xin, pad = padded(i[0], a)
            y = F.avg_pool2d(xin, a["kernel_shape"], a.get("strides", a["kernel_shape"]), pad)
        elif op == "Flatten":
            y = torch.flatten(i[0], a.get("axis", 1))
        elif op == "Reshape":
            y = i[0].reshape(i[0].shape[0], -1)
        elif op == "Gemm":
            w = i[1] if a.get("transB", 0) else i[1].t()
            y = F.linear(i[0] * a.get("alpha", 1.0), w, None)
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
        elif op == "MatMul":
            y = i[0] @ i[1]
        elif op == "Concat":
            y = torch.cat(i, a.get("axis", 1))
        elif op in ("Identity", "Dropout"):
            y = i[0]
        else:
            raise SystemExit(f"op {op} is not handled by this runner")
        return y


def profile(model, x, runs):
    """Per-node minima of CPU time over `runs` runs, summed per op type, to stderr."""
    nodes = list(model.graph.node)
    best = [float("inf")] * len(nodes)
    for _ in range(runs):
        seconds = [0.0] * len(nodes)
        model(x, seconds)
        best = [min(b, s) for b, s in zip(best, seconds)]
    by_op = {}
    for n, b in zip(nodes, best):
        by_op[n.op_type] = by_op.get(n.op_type, 0.0) + b
    for op, b in sorted(by_op.items(), key=lambda kv: -kv[1]):
        print(f"{1e3 * b:8.2f} ms  {op}", file=sys.stderr)
    print(f"total {1e3 * sum(best):.1f} ms CPU time per batch (sum of per-node minima over {runs} runs)",
          file=sys.stderr)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--min-runs", type=int, default=3)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model = OnnxModule(args.model)
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((args.batch, 1, 32, 32)).astype(np.float32))
    times = []
    with torch.no_grad():
        model(x)  # warm-up
        start = time.perf_counter()
        while len(times) < args.min_runs or time.perf_counter() - start < args.seconds:
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
        if args.profile:
            profile(model, x, max(1, args.min_runs))
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({"engine": f"pytorch {torch.__version__}", "batch": args.batch, "threads": args.threads,
                      "runs": len(times), "median_s": median, "images_per_s": args.batch / median,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


if __name__ == "__main__":
    main()
