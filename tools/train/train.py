#!/usr/bin/env python3
"""Train the sparsedse reference ResNets on Fashion-MNIST and export them to ONNX.

The three architectures (resnet20-fmnist, resnet18-fmnist, resnet50-fmnist) mirror the C++ model zoo
layer for layer; the ONNX node/tensor naming contract is written down in models/README.md.

Data: the Debian package dataset-fashion-mnist (IDX gz files, read directly, no downloads).
Preprocessing (also what the engine's dataset config reproduces):
    x = pixel / 255                      # scale to [0, 1]
    x = zero-pad 28x28 -> 32x32          # 2 px each side
    x = (x - MEAN) / STD                 # MEAN/STD of the 60k unpadded train images in [0, 1]
Augmentation (training only): random crop 32x32 out of the zero-padded image padded by 2 more px,
random horizontal flip; both applied before normalisation so padding stays "zero in [0, 1] space".

Determinism: the data order and the augmentation of step (epoch, i) are drawn from generators seeded by
(seed, epoch, i), so a run resumed from any checkpoint (end of epoch or mid-epoch) sees exactly the
batches an uninterrupted run would have seen. Weight init is seeded too. Checkpoints also carry
optimiser, scheduler and RNG states.

Usage (models/README.md has the exact commands used for the shipped models):
    python3 tools/train/train.py --model resnet20-fmnist --epochs 6 --threads 1    # train (+resume) + export
    python3 tools/train/train.py --model resnet18-fmnist --epochs 3 --threads 1 --bf16
    python3 tools/train/train.py --model resnet20-fmnist --epochs 6 --export-only  # re-export a checkpoint
    python3 tools/train/train.py --model resnet50-fmnist --epochs 1 --lr 0.02 --bf16 \
        --init-from /var/tmp/sparsedse-train/resnet50-fmnist/last.pt \
        --ckpt-dir /var/tmp/sparsedse-train/resnet50-fmnist-ft                        # fine-tune a finished run
    python3 tools/train/train.py --model resnet20-fmnist --epochs 2 --limit-train 1024 --limit-test 500 \
        --ckpt-dir /tmp/smoke/ck --out-dir /tmp/smoke/out                          # smoke test

Export: BatchNorm is folded into the convolutions in PyTorch (eval mode), the folded model is exported
with torch.onnx (opset 13), then post-processed with the onnx package: canonical node and tensor names,
FLOAT16 initializers (no Cast nodes; graph input/output stay FLOAT), input "input" [N,1,32,32],
output "logits" [N,10]. A sidecar JSON records preprocessing, recipe, accuracy of the exported
(float16-rounded) weights, per-ReLU zero fractions and reference logits.
"""

import argparse
import gzip
import json
import math
import os
import random
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"
NUM_CLASSES = 10
PAD = 2          # 28 -> 32 zero padding per side
AUG_PAD = 2      # extra padding for random-crop augmentation
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# ----------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------

def read_idx(path):
    """Read an IDX (ubyte) file, optionally gzipped, into a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: size mismatch, header says {dims}")
    return arr.reshape(dims)


def load_split(split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def train_statistics(train_images):
    """Mean/std (population, ddof=0) of the unpadded train images scaled to [0, 1], in float64."""
    x = train_images.numpy().astype(np.float64) / 255.0
    return float(x.mean()), float(x.std())


class Preprocess:
    """scale to [0,1] -> zero-pad to 32x32 -> (x - mean) / std; optional crop/flip augmentation."""

    def __init__(self, mean, std):
        self.mean = mean
        self.std = std

    def __call__(self, images_u8, generator=None):
        x = images_u8.to(torch.float32).div_(255.0).unsqueeze(1)  # [B,1,28,28]
        if generator is None:
            x = F.pad(x, (PAD, PAD, PAD, PAD))
        else:
            b = x.shape[0]
            big = F.pad(x, (PAD + AUG_PAD,) * 4)  # [B,1,36,36]
            offs = torch.randint(0, 2 * AUG_PAD + 1, (b, 2), generator=generator)
            flips = torch.rand(b, generator=generator) < 0.5
            side = 28 + 2 * PAD
            out = torch.empty(b, 1, side, side)
            for i in range(b):
                oy, ox = int(offs[i, 0]), int(offs[i, 1])
                crop = big[i, :, oy:oy + side, ox:ox + side]
                out[i] = crop.flip(-1) if flips[i] else crop
            x = out
        return (x - self.mean) / self.std


def step_generator(seed, epoch, step):
    g = torch.Generator()
    g.manual_seed((seed * 1_000_003 + epoch * 10_007 + step) & 0x7FFFFFFFFFFFFFFF)
    return g


def epoch_permutation(seed, epoch, n):
    g = torch.Generator()
    g.manual_seed((seed * 7_919 + epoch) & 0x7FFFFFFFFFFFFFFF)
    return torch.randperm(n, generator=g)


# ----------------------------------------------------------------------------------------------------
# Models. Module names are the ONNX node names (models/README.md). `folded=True` builds the
# BatchNorm-free variant (convs with bias) that is exported.
# ----------------------------------------------------------------------------------------------------

def conv(cin, cout, k, stride, folded):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=folded)


def bn(c, folded):
    return None if folded else nn.BatchNorm2d(c)


def apply_bn(bn_mod, x):
    return x if bn_mod is None else bn_mod(x)


class Add(nn.Module):
    def forward(self, a, b):
        return a + b


class Stem(nn.Module):
    def __init__(self, cin, cout, folded):
        super().__init__()
        self.conv = conv(cin, cout, 3, 1, folded)
        self.bn = bn(cout, folded)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(apply_bn(self.bn, self.conv(x)))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride, folded):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = conv(cin, width, 3, stride, folded)
        self.bn1 = bn(width, folded)
        self.relu1 = nn.ReLU()
        self.conv2 = conv(width, cout, 3, 1, folded)
        self.bn2 = bn(cout, folded)
        self.has_projection = stride != 1 or cin != cout
        if self.has_projection:  # option B: 1x1 stride-s projection when the shape changes
            self.shortcut = conv(cin, cout, 1, stride, folded)
            self.shortcut_bn = bn(cout, folded)
        self.add = Add()
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.relu1(apply_bn(self.bn1, self.conv1(x)))
        out = apply_bn(self.bn2, self.conv2(out))
        sc = apply_bn(self.shortcut_bn, self.shortcut(x)) if self.has_projection else x
        return self.relu(self.add(out, sc))

    def convs(self):
        names = ["conv1", "conv2"] + (["shortcut"] if self.has_projection else [])
        return [(n, getattr(self, n), getattr(self, n + "_bn" if n == "shortcut" else "bn" + n[-1]))
                for n in names]


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride, folded):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = conv(cin, width, 1, 1, folded)
        self.bn1 = bn(width, folded)
        self.relu1 = nn.ReLU()
        self.conv2 = conv(width, width, 3, stride, folded)  # stride on the 3x3 (v1.5)
        self.bn2 = bn(width, folded)
        self.relu2 = nn.ReLU()
        self.conv3 = conv(width, cout, 1, 1, folded)
        self.bn3 = bn(cout, folded)
        self.has_projection = stride != 1 or cin != cout
        if self.has_projection:
            self.shortcut = conv(cin, cout, 1, stride, folded)
            self.shortcut_bn = bn(cout, folded)
        self.add = Add()
        self.relu = nn.ReLU()

    def forward(self, x):
        out = self.relu1(apply_bn(self.bn1, self.conv1(x)))
        out = self.relu2(apply_bn(self.bn2, self.conv2(out)))
        out = apply_bn(self.bn3, self.conv3(out))
        sc = apply_bn(self.shortcut_bn, self.shortcut(x)) if self.has_projection else x
        return self.relu(self.add(out, sc))

    def convs(self):
        names = ["conv1", "conv2", "conv3"] + (["shortcut"] if self.has_projection else [])
        return [(n, getattr(self, n), getattr(self, n + "_bn" if n == "shortcut" else "bn" + n[-1]))
                for n in names]


class ResNet(nn.Module):
    def __init__(self, block, stem_width, widths, depths, strides, folded=False, in_channels=1):
        super().__init__()
        self.stem = Stem(in_channels, stem_width, folded)
        cin = stem_width
        self.stage_names = []
        for s, (w, d, st) in enumerate(zip(widths, depths, strides), start=1):
            blocks = []
            for b in range(d):
                blocks.append(block(cin, w, st if b == 0 else 1, folded))
                cin = w * block.expansion
            setattr(self, f"layer{s}", nn.Sequential(*blocks))
            self.stage_names.append(f"layer{s}")
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # exports as GlobalAveragePool
        self.flatten = nn.Flatten(1)
        self.fc = nn.Linear(cin, NUM_CLASSES)

    def forward(self, x):
        x = self.stem(x)
        for name in self.stage_names:
            x = getattr(self, name)(x)
        return self.fc(self.flatten(self.avgpool(x)))


ARCHS = {
    "resnet20-fmnist": dict(block=BasicBlock, stem_width=16, widths=[16, 32, 64], depths=[3, 3, 3],
                            strides=[1, 2, 2]),
    "resnet18-fmnist": dict(block=BasicBlock, stem_width=64, widths=[64, 128, 256, 512],
                            depths=[2, 2, 2, 2], strides=[1, 2, 2, 2]),
    "resnet50-fmnist": dict(block=Bottleneck, stem_width=64, widths=[64, 128, 256, 512],
                            depths=[3, 4, 6, 3], strides=[1, 2, 2, 2]),
}


def build(name, folded=False):
    model = ResNet(**ARCHS[name], folded=folded)
    if not folded:
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
    return model


def fold_batchnorm(model, name):
    """Return the folded (BN-free) model with W' = W*g/sqrt(v+eps), b' = beta - mu*g/sqrt(v+eps)."""
    folded = build(name, folded=True)
    model = model.eval()

    def fold_into(dst, src_conv, src_bn):
        with torch.no_grad():
            scale = src_bn.weight.double() / torch.sqrt(src_bn.running_var.double() + src_bn.eps)
            dst.weight.copy_((src_conv.weight.double() * scale.view(-1, 1, 1, 1)).float())
            dst.bias.copy_((src_bn.bias.double() - src_bn.running_mean.double() * scale).float())

    fold_into(folded.stem.conv, model.stem.conv, model.stem.bn)
    for sname in model.stage_names:
        for blk_src, blk_dst in zip(getattr(model, sname), getattr(folded, sname)):
            for cname, c, b in blk_src.convs():
                fold_into(getattr(blk_dst, cname), c, b)
    with torch.no_grad():
        folded.fc.weight.copy_(model.fc.weight)
        folded.fc.bias.copy_(model.fc.bias)
    return folded.eval()


def round_to_fp16_(model):
    """Round every parameter to float16 and back: the exported weights, computed in float32."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


# ----------------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------------

def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def evaluate(model, images, labels, prep, batch=500):
    model.eval()
    correct1 = correct5 = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = prep(images[i:i + batch]).contiguous(memory_format=torch.channels_last)
            logits = model(x)
            y = labels[i:i + batch]
            top5 = logits.topk(5, dim=1).indices
            correct1 += (top5[:, 0] == y).sum().item()
            correct5 += (top5 == y[:, None]).any(dim=1).sum().item()
    return correct1 / len(images), correct5 / len(images)


def set_threads(spec):
    n = (2 if os.getloadavg()[0] < 2.5 else 1) if spec == "auto" else int(spec)
    if n != torch.get_num_threads():
        torch.set_num_threads(n)
    return n


def log(msg):
    print(time.strftime("%Y-%m-%d %H:%M:%S"), msg, flush=True)


def train(args, prep, train_x, train_y, test_x, test_y):
    os.makedirs(args.ckpt_dir, exist_ok=True)
    ckpt_path = os.path.join(args.ckpt_dir, "last.pt")
    recipe = dict(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, momentum=0.9,
                  nesterov=True, weight_decay=args.weight_decay, schedule="OneCycleLR(cos, pct_start="
                  f"{args.pct_start}, div_factor=25, final_div_factor=1e4), stepped per batch",
                  label_smoothing=args.label_smoothing, autocast="bfloat16" if args.bf16 else None,
                  augmentation="random crop 32 from 36 (zero pad "
                  "2 beyond the 32x32 frame), horizontal flip p=0.5", seed=args.seed,
                  limit_train=args.limit_train)
    init = None  # --init-from: fine-tune a finished run with a fresh optimiser and schedule
    if args.init_from:
        init = torch.load(args.init_from)
        if init["epoch"] < init["recipe"]["epochs"]:
            sys.exit(f"{args.init_from}: checkpoint is at epoch {init['epoch']} of {init['recipe']['epochs']}: "
                     "not finished")
        recipe["init_from"] = dict(checkpoint=os.path.abspath(args.init_from), recipe=init["recipe"],
                                   epochs=init["epoch"] + init["recipe"].get("init_from", {}).get("epochs", 0))
    offset = recipe["init_from"]["epochs"] if init else 0  # epochs already trained before this run

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    model = build(args.model).to(memory_format=torch.channels_last)
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim == 1 else decay).append(p)  # no weight decay on BN affine and biases
    opt = torch.optim.SGD([dict(params=decay, weight_decay=args.weight_decay),
                           dict(params=no_decay, weight_decay=0.0)],
                          lr=args.lr, momentum=0.9, nesterov=True)
    n = len(train_x)
    steps_per_epoch = math.ceil(n / args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=args.pct_start, anneal_strategy="cos",
                                                div_factor=25.0, final_div_factor=1e4,
                                                cycle_momentum=False)
    criterion = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)

    epoch, step, wall, history = 0, 0, 0.0, []
    running, seen = 0.0, 0  # train loss sum / images of the current epoch
    if init and not os.path.exists(ckpt_path):
        model.load_state_dict(init["model"])
        wall, history = init["wall_seconds"], init["history"]
        log(f"fine-tuning from {args.init_from} (after {offset} epochs, test top-1 {history[-1]['test_top1']:.4f})")
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        if {"autocast": None, **ck["recipe"]} != recipe:  # checkpoints from before --bf16 lack the key
            sys.exit(f"{ckpt_path}: recipe differs from the command line ({ck['recipe']} vs {recipe}); "
                     "use another --ckpt-dir or the original arguments")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        torch.set_rng_state(ck["torch_rng"])
        random.setstate(ck["python_rng"])
        np.random.set_state(ck["numpy_rng"])
        epoch, step, wall, history = ck["epoch"], ck["step"], ck["wall_seconds"], ck["history"]
        running, seen = ck.get("running_loss", 0.0), ck.get("seen", 0)
        log(f"resumed from {ckpt_path}: epoch {epoch} step {step} ({wall:.0f} s trained so far)")

    def checkpoint(epoch, step):
        save_atomic(dict(model=model.state_dict(), optimizer=opt.state_dict(), scheduler=sched.state_dict(),
                         torch_rng=torch.get_rng_state(), python_rng=random.getstate(),
                         numpy_rng=np.random.get_state(), epoch=epoch, step=step, wall_seconds=wall,
                         history=history, recipe=recipe, model_name=args.model, running_loss=running,
                         seen=seen), ckpt_path)

    while epoch < args.epochs:
        model.train()
        perm = epoch_permutation(args.seed, offset + epoch, n)
        t_epoch = t_last = t_log = time.time()
        imgs_since_log = 0
        while step < steps_per_epoch:
            idx = perm[step * args.batch_size:(step + 1) * args.batch_size]
            x = prep(train_x[idx], step_generator(args.seed, offset + epoch, step))
            x = x.contiguous(memory_format=torch.channels_last)
            y = train_y[idx]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                loss = criterion(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            running += loss.item() * len(idx)
            seen += len(idx)
            imgs_since_log += len(idx)
            now = time.time()
            wall += now - t_last
            t_last = now
            if args.threads == "auto" and step % 50 == 0:
                set_threads(args.threads)
            if step % args.log_every == 0:
                log(f"{args.model} epoch {epoch + 1}/{args.epochs} step {step}/{steps_per_epoch} "
                    f"loss {running / seen:.4f} lr {sched.get_last_lr()[0]:.4f} "
                    f"{(now - t_log) / imgs_since_log * 1000:.2f} ms/img, {torch.get_num_threads()} threads")
                t_log, imgs_since_log = now, 0
            if args.ckpt_every_steps and step % args.ckpt_every_steps == 0 and step < steps_per_epoch:
                checkpoint(epoch, step)
        t0 = time.time()
        top1, top5 = evaluate(model, test_x, test_y, prep)
        wall += time.time() - t0
        epoch, step = epoch + 1, 0
        train_loss = running / max(seen, 1)
        running, seen = 0.0, 0
        history.append(dict(epoch=offset + epoch, train_loss=train_loss, test_top1=top1, test_top5=top5,
                            wall_seconds=wall))
        checkpoint(epoch, step)
        log(f"{args.model} epoch {epoch}/{args.epochs} done: train loss {train_loss:.4f} "
            f"test top1 {top1:.4f} top5 {top5:.4f} epoch time {time.time() - t_epoch:.0f} s "
            f"total {wall:.0f} s")
    return model, dict(recipe=recipe, wall_seconds=wall, history=history)


# ----------------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------------

def expected_graph(name):
    """The canonical graph of `name` (models/README.md): {node name: (op_type, [data inputs])}.

    Written from the architecture table, independently of the PyTorch modules, so the exported graph
    is checked against the naming contract rather than against itself."""
    arch = ARCHS[name]
    g = {"stem.conv": ("Conv", ["input"]), "stem.relu": ("Relu", ["stem.conv"])}
    x, cin = "stem.relu", arch["stem_width"]
    bottleneck = arch["block"] is Bottleneck
    for s, (w, d, st) in enumerate(zip(arch["widths"], arch["depths"], arch["strides"]), start=1):
        for b in range(d):
            p = f"layer{s}.{b}."
            cout = w * (4 if bottleneck else 1)
            g[p + "conv1"] = ("Conv", [x])
            g[p + "relu1"] = ("Relu", [p + "conv1"])
            g[p + "conv2"] = ("Conv", [p + "relu1"])
            last = p + "conv2"
            if bottleneck:
                g[p + "relu2"] = ("Relu", [p + "conv2"])
                g[p + "conv3"] = ("Conv", [p + "relu2"])
                last = p + "conv3"
            stride = st if b == 0 else 1
            shortcut = x
            if stride != 1 or cin != cout:
                g[p + "shortcut"] = ("Conv", [x])
                shortcut = p + "shortcut"
            g[p + "add"] = ("Add", [last, shortcut])
            g[p + "relu"] = ("Relu", [p + "add"])
            x, cin = p + "relu", cout
    g["avgpool"] = ("GlobalAveragePool", [x])
    g["flatten"] = ("Flatten", ["avgpool"])
    g["fc"] = ("Gemm", ["flatten"])
    return g


def module_path(node_name, modules):
    """Module path of a torch-exported node. torch 1.13 names nodes by scope, e.g.
    '/layer1/layer1.0/conv1/Conv' or '/stem/conv/Conv'; the shortest dotted suffix that is a module
    path is the module that emitted the node."""
    parts = node_name.strip("/").split("/")[:-1]
    for k in range(1, len(parts) + 1):
        candidate = ".".join(parts[-k:])
        if candidate in modules:
            return candidate
    return None


def export_onnx(folded, model_name, path_onnx):
    import onnx
    from onnx import numpy_helper, TensorProto

    tmp = path_onnx + ".torch.onnx"
    dummy = torch.zeros(1, 1, 32, 32)
    torch.onnx.export(folded, dummy, tmp, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    model = onnx.load(tmp)
    os.remove(tmp)
    g = model.graph
    allowed = {"Conv", "Relu", "Add", "GlobalAveragePool", "Flatten", "Gemm"}
    ops = {n.op_type for n in g.node}
    if not ops <= allowed:
        raise RuntimeError(f"unexpected ops after export: {sorted(ops - allowed)}")

    emitting = (nn.Conv2d, nn.ReLU, Add, nn.AdaptiveAvgPool2d, nn.Flatten, nn.Linear)
    modules = {n for n, m in folded.named_modules() if isinstance(m, emitting)}
    init_by_name = {t.name: t for t in g.initializer}
    rename_tensor = {}
    new_inits = []
    used = set()
    for node in g.node:
        full = module_path(node.name, modules)
        if full is None:
            raise RuntimeError(f"cannot map exported node {node.name} ({node.op_type}) to a module")
        if full in used:
            raise RuntimeError(f"two exported nodes map to {full}")
        used.add(full)
        node.name = full
        out_name = "logits" if full == "fc" else full
        rename_tensor[node.output[0]] = out_name
        if node.op_type in ("Conv", "Gemm"):
            for i, suffix in ((1, "weight"), (2, "bias")):
                src = init_by_name[node.input[i]]
                arr = numpy_helper.to_array(src).astype(np.float16)
                t = numpy_helper.from_array(arr, name=f"{full}.{suffix}")
                rename_tensor[node.input[i]] = t.name
                new_inits.append(t)
    if used != modules:
        raise RuntimeError(f"modules without an exported node: {sorted(modules - used)}")
    for node in g.node:
        for i, name in enumerate(node.input):
            if name in rename_tensor:
                node.input[i] = rename_tensor[name]
        for i, name in enumerate(node.output):
            if name in rename_tensor:
                node.output[i] = rename_tensor[name]
    # The graph must be exactly the canonical one: names, op types and wiring.
    weights = {t.name for t in new_inits}
    got = {n.name: (n.op_type, [i for i in n.input if i not in weights]) for n in g.node}
    want = expected_graph(model_name)
    if got != want:
        diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        raise RuntimeError(f"exported graph differs from the naming contract at {diff[:5]}")
    del g.initializer[:]
    g.initializer.extend(new_inits)
    del g.value_info[:]
    assert g.input[0].name == "input" and g.output[0].name == "logits"
    assert g.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    model.producer_name = "sparsedse tools/train/train.py"
    model.doc_string = "BN-folded, float16 initializers (no Cast nodes), float32 input/output"
    onnx.checker.check_model(model)  # structural check; it does not type-check fp16 weights vs fp32 input
    onnx.save(model, path_onnx + ".tmp")
    os.replace(path_onnx + ".tmp", path_onnx)
    return model


def run_onnx_reference(model, x):
    """Evaluate our six-op ONNX graph straight from the protobuf with numpy in float64 (ONNX operator
    semantics written out independently of PyTorch; fp16 initializers widened). Returns float64 logits."""
    from onnx import helper, numpy_helper
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    env[model.graph.input[0].name] = np.asarray(x, dtype=np.float64)
    for node in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input]
        if node.op_type == "Conv":
            assert a.get("group", 1) == 1 and list(a.get("dilations", [1, 1])) == [1, 1]
            assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
            top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
            sh, sw = a.get("strides", [1, 1])
            w = ins[1]
            kh, kw = w.shape[2:]
            xp = np.pad(ins[0], ((0, 0), (0, 0), (top, bottom), (left, right)))
            win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
            y = np.einsum("nchwij,ocij->nohw", win, w, optimize=True)  # [N,C,Ho,Wo,kh,kw] x [O,C,kh,kw]
            if len(ins) > 2:
                y = y + ins[2][None, :, None, None]
        elif node.op_type == "Relu":
            y = np.maximum(ins[0], 0.0)
        elif node.op_type == "Add":
            y = ins[0] + ins[1]
        elif node.op_type == "GlobalAveragePool":
            y = ins[0].mean(axis=(2, 3), keepdims=True)
        elif node.op_type == "Flatten":
            axis = a.get("axis", 1)
            y = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif node.op_type == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            y = a.get("alpha", 1.0) * (A @ B) + a.get("beta", 1.0) * ins[2]
        else:
            raise RuntimeError(f"unsupported op {node.op_type}")
        env[node.output[0]] = y
    return env[model.graph.output[0].name]


def export(args, model, info, prep, mean, std, test_x, test_y):
    os.makedirs(args.out_dir, exist_ok=True)
    model.eval()
    folded = fold_batchnorm(model, args.model)
    # Folding check (float32): BN model vs folded model.
    with torch.no_grad():
        xs = prep(test_x[:256])
        d_fold = (model(xs) - folded(xs)).abs().max().item()
    round_to_fp16_(folded)
    path_onnx = os.path.join(args.out_dir, f"{args.model}.onnx")
    onnx_model = export_onnx(folded, args.model, path_onnx)

    top1, top5 = evaluate(folded, test_x, test_y, prep)
    # ReLU zero fractions on the full test set, keyed by node name.
    zeros, totals = {}, {}

    def hook(name):
        def f(_m, _i, out):
            zeros[name] = zeros.get(name, 0) + int((out == 0).sum())
            totals[name] = totals.get(name, 0) + out.numel()
        return f
    handles = [m.register_forward_hook(hook(n)) for n, m in folded.named_modules() if isinstance(m, nn.ReLU)]
    evaluate(folded, test_x, test_y, prep)
    for h in handles:
        h.remove()
    relu_sparsity = {n: zeros[n] / totals[n] for n in sorted(zeros)}

    with torch.no_grad():
        x100 = prep(test_x[:100])
        logits = folded(x100)
    t0 = time.time()
    logits_onnx = np.concatenate([run_onnx_reference(onnx_model, x100[i:i + 20].numpy())
                                  for i in range(0, len(x100), 20)])
    d_onnx = float(np.abs(logits.double().numpy() - logits_onnx).max())
    log(f"numpy float64 ONNX reference on 100 images: {time.time() - t0:.0f} s, max |diff| {d_onnx:.2e}")
    scale = max(1.0, float(logits.abs().max()))
    if d_onnx > 1e-5 * scale or d_fold > 1e-4 * scale:  # float32 rounding only, relative to |logits|
        raise RuntimeError(f"export mismatch: fold {d_fold}, onnx {d_onnx} (max |logit| {scale})")

    arch = ARCHS[args.model]
    sidecar = dict(
        name=args.model,
        onnx=f"{args.model}.onnx",
        architecture=dict(block=arch["block"].__name__, stem_width=arch["stem_width"], widths=arch["widths"],
                          depths=arch["depths"], strides=arch["strides"], shortcut="1x1 stride-s projection "
                          "+ BN (option B) where the shape changes, identity otherwise", num_classes=NUM_CLASSES,
                          parameters=sum(p.numel() for p in folded.parameters()),
                          onnx_ops=sorted({n.op_type for n in onnx_model.graph.node}),
                          onnx_nodes=len(onnx_model.graph.node), batchnorm="folded into conv weights/bias",
                          initializers="FLOAT16", opset=13),
        dataset="Fashion-MNIST (Debian dataset-fashion-mnist, /usr/share/datasets/fashion-mnist)",
        preprocessing=dict(order="scale to [0,1], zero-pad 28x28 -> 32x32, (x - mean) / std", scale=1.0 / 255.0,
                           pad=[PAD, PAD, PAD, PAD], pad_order="[top, right, bottom, left]", mean=[mean],
                           std=[std], channels=1, input_shape=[1, 1, 32, 32],
                           mean_std_source="60000 train images, unpadded 28x28, scaled to [0,1], float64, "
                                           "population std"),
        training=info["recipe"],
        epochs=info["recipe"]["epochs"] + info["recipe"].get("init_from", {}).get("epochs", 0),
        seed=info["recipe"]["seed"],
        wall_seconds=round(info["wall_seconds"], 1),
        history=info["history"],
        torch_version=torch.__version__,
        framework_top1=top1,
        framework_top5=top5,
        framework_eval="full 10k test set, exported float16 weights computed in float32 (PyTorch)",
        export_check=dict(max_abs_diff_bn_vs_folded_fp32=d_fold, max_abs_diff_torch_fp32_vs_onnx_numpy_fp64=d_onnx),
        relu_sparsity=relu_sparsity,
        relu_sparsity_eval="fraction of exact zeros in each ReLU output over the 10k test set",
        labels=[int(v) for v in test_y[:100]],
        logits=[[float(v) for v in row] for row in logits.double()],
    )
    path_json = os.path.join(args.out_dir, f"{args.model}.json")
    with open(path_json + ".tmp", "w") as f:
        json.dump(sidecar, f, indent=1)
        f.write("\n")
    os.replace(path_json + ".tmp", path_json)
    log(f"exported {path_onnx} and {path_json}: top1 {top1:.4f} top5 {top5:.4f} "
        f"(fold diff {d_fold:.2e}, onnx diff {d_onnx:.2e})")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, choices=sorted(ARCHS))
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1, help="OneCycle peak learning rate")
    p.add_argument("--pct-start", type=float, default=0.25)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bf16", action="store_true", help="train with CPU autocast to bfloat16 (fp32 master "
                   "weights; ~2x faster on CPUs with AVX512-BF16); evaluation and export stay float32")
    p.add_argument("--threads", default="2", help="intra-op threads, or 'auto': 2 while the 1-minute load "
                   "average is below 2.5, else 1 (re-checked every 50 steps; under oversubscription a "
                   "single thread avoids OpenMP barrier stalls and is ~3x faster than 2)")
    p.add_argument("--limit-train", type=int, default=0, help="use only the first N train images (smoke test)")
    p.add_argument("--limit-test", type=int, default=0, help="use only the first N test images (smoke test)")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--ckpt-every-steps", type=int, default=100, help="mid-epoch checkpoint interval (0: off)")
    p.add_argument("--ckpt-dir", default=None, help="default /var/tmp/sparsedse-train/<model>")
    p.add_argument("--out-dir", default=os.path.join(REPO, "models"))
    p.add_argument("--init-from", default=None, help="fine-tune: start from the weights of this finished "
                   "checkpoint (last.pt of an earlier run) with a new optimiser and OneCycle schedule over --epochs "
                   "further epochs; use a new --ckpt-dir")
    p.add_argument("--export-only", action="store_true", help="export the finished checkpoint, no training")
    p.add_argument("--no-export", action="store_true")
    args = p.parse_args()
    if args.ckpt_dir is None:
        args.ckpt_dir = os.path.join("/var/tmp/sparsedse-train", args.model)

    set_threads(args.threads)
    train_x, train_y = load_split("train")
    test_x, test_y = load_split("test")
    mean, std = train_statistics(train_x)  # always over all 60k images, independent of --limit-train
    log(f"train mean {mean!r} std {std!r}")
    if args.limit_train:
        train_x, train_y = train_x[:args.limit_train], train_y[:args.limit_train]
    if args.limit_test:
        test_x, test_y = test_x[:args.limit_test], test_y[:args.limit_test]
    prep = Preprocess(mean, std)

    if args.export_only:
        ck = torch.load(os.path.join(args.ckpt_dir, "last.pt"))
        if ck["epoch"] < ck["recipe"]["epochs"]:
            sys.exit(f"checkpoint is at epoch {ck['epoch']} of {ck['recipe']['epochs']}: not finished")
        model = build(args.model)
        model.load_state_dict(ck["model"])
        info = dict(recipe=ck["recipe"], wall_seconds=ck["wall_seconds"], history=ck["history"])
    else:
        model, info = train(args, prep, train_x, train_y, test_x, test_y)
    if not args.no_export:
        export(args, model, info, prep, mean, std, test_x, test_y)


if __name__ == "__main__":
    main()
