#!/usr/bin/env python3
"""Writes the libFuzzer seed corpora test/fuzz/corpus/<harness>/ from real files of the repository
(configs/, models/, test/data/), the ONNX test data (Debian libonnx-testdata), the Fashion-MNIST test set
(Debian dataset-fashion-mnist) and files the CLI writes (stats, designs). Run from the repository root
after building the release preset:  python3 test/fuzz/make_corpus.py [build/release/sparsedse]
Seeds stay small (< 64 KiB each): the fuzzers run with -max_len=65536."""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "test/fuzz/corpus")
CLI = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/release/sparsedse"))
ONNX_DATA = "/usr/share/libonnx-testdata/data"
FMNIST = "/usr/share/datasets/fashion-mnist"


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    assert len(data) <= 65536, (harness, name, len(data))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def pair(first, second):
    """Two files in one input (test/fuzz/fuzz.hpp split()): u32 LE length of the first, then both."""
    return struct.pack("<I", len(first)) + first + second


def copy_dir(harness, directory):
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json"):
            put(harness, name, read(os.path.join(directory, name)))


def cli(*args):
    subprocess.run([CLI, *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    copy_dir("platform", os.path.join(ROOT, "configs/platforms"))
    copy_dir("optimiser", os.path.join(ROOT, "configs/optimisers"))
    copy_dir("dataset_spec", os.path.join(ROOT, "configs/datasets"))
    copy_dir("job", os.path.join(ROOT, "configs/jobs"))
    put("dataset_spec", "raw-f32.json", json.dumps(
        {"format": "raw-f32", "images": "x.f32", "labels": "y.bin", "shape": [1, 3, 3], "label_type": "int32",
         "pad": 1, "mean": 0.5, "std": [2.0]}).encode())
    put("dataset_spec", "cifar10.json", json.dumps(
        {"format": "cifar10-bin", "images": ["data_batch_1.bin", "data_batch_2.bin"], "channels": 3,
         "mean": [0.49, 0.48, 0.45], "std": [0.25, 0.24, 0.26]}).encode())
    put("job", "sweep.json", json.dumps(
        {"name": "sweep", "models": ["zoo:resnet20-cifar?in_channels=1&classes=10", "../../models/resnet20-fmnist.onnx"],
         "platforms": ["u250", "zcu102"], "dataset": {"calibration": {"dataset": "../datasets/fashion-mnist-test.json",
                                                                        "images": 64}},
         "optimiser": {"general": {"batch_size": 1}}, "policies": ["uniform", "latency-aware"],
         "thresholds": {"step": 0.05, "refinements": 0, "max_iterations": 2, "solver": "greedy"},
         "emit": {"html": False, "hls": "none"}, "threads": 1}).encode())

    # Thresholds files and thresholding configs (one harness reads both forms).
    put("thresholds", "uniform.json", b'{"default": 0.05}\n')
    put("thresholds", "per-relu.json", json.dumps({"default": 0.0, "relu": {"relu": 0.5, "/layer1/relu_1": 0.125}}).encode())
    put("thresholds", "config.json", json.dumps(
        {"policy": "both", "hardware": "both", "step": 0.05, "refinements": 2, "budget": 1.0, "max_iterations": 25,
         "solver": "greedy", "seed": 0}).encode())

    # JSON IR: the model JSON and its weights sidecar.
    tiny = os.path.join(ROOT, "test/data/frontend")
    put("json_ir", "tiny", pair(read(os.path.join(tiny, "tiny.json")), read(os.path.join(tiny, "tiny.weights.bin"))))

    with tempfile.TemporaryDirectory() as tmp:
        # ONNX: our own export of the tiny model and single-op models from the ONNX test data.
        cli("convert", os.path.join(tiny, "tiny.json"), "-o", os.path.join(tmp, "tiny.onnx"))
        put("onnx", "tiny.onnx", read(os.path.join(tmp, "tiny.onnx")))
        for group, test in [("pytorch-converted", "test_Conv2d"), ("pytorch-converted", "test_Conv2d_strided"),
                            ("pytorch-converted", "test_Conv2d_padding"), ("pytorch-converted", "test_BatchNorm2d_eval"),
                            ("pytorch-converted", "test_MaxPool2d"), ("pytorch-converted", "test_AvgPool2d"),
                            ("pytorch-converted", "test_Linear"), ("pytorch-converted", "test_ReLU"),
                            ("pytorch-converted", "test_Softmax"), ("node", "test_conv_with_strides_padding"),
                            ("node", "test_globalaveragepool"), ("node", "test_flatten_axis1"),
                            ("node", "test_gemm_default_single_elem_vector_bias"), ("node", "test_thresholdedrelu"),
                            ("node", "test_concat_1d_axis_0"), ("node", "test_matmul_2d"), ("node", "test_clip_default_min"),
                            ("node", "test_reshape_reduced_dims")]:
            path = os.path.join(ONNX_DATA, group, test, "model.onnx")
            if os.path.exists(path):
                put("onnx", test + ".onnx", read(path))

        # Statistics and a design of the tiny model, profiled on a raw-f32 set of 1x3x3 images.
        images = b"".join(struct.pack("<9f", *[((i * 7 + k * 3) % 11 - 5) / 4.0 for k in range(9)]) for i in range(8))
        labels = bytes(i % 2 for i in range(8))
        open(os.path.join(tmp, "x.f32"), "wb").write(images)
        open(os.path.join(tmp, "y.bin"), "wb").write(labels)
        json.dump({"format": "raw-f32", "images": "x.f32", "labels": "y.bin", "shape": [1, 3, 3]},
                  open(os.path.join(tmp, "tiny-set.json"), "w"))
        cli("profile", os.path.join(tiny, "tiny.json"), "--dataset", os.path.join(tmp, "tiny-set.json"),
            "--numerics", "float", "--threads", "1", "-o", os.path.join(tmp, "stats.json"))
        put("stats", "tiny-stats.json", read(os.path.join(tmp, "stats.json")))
        cli("optimise", os.path.join(tiny, "tiny.json"), "--solver", "greedy", "-o", os.path.join(tmp, "dense.json"))
        put("design", "tiny-dense.json", read(os.path.join(tmp, "dense.json")))
        cli("optimise", os.path.join(tiny, "tiny.json"), "--stats", os.path.join(tmp, "stats.json"), "--solver",
            "greedy", "--platform", "zcu102", "-o", os.path.join(tmp, "sparse.json"))
        put("design", "tiny-sparse-zcu102.json", read(os.path.join(tmp, "sparse.json")))

    # IDX: the first images and labels of the Fashion-MNIST test set, plain and gzipped, 3- and 4-dim.
    fm_images = gzip.decompress(read(os.path.join(FMNIST, "t10k-images-idx3-ubyte.gz")))
    fm_labels = gzip.decompress(read(os.path.join(FMNIST, "t10k-labels-idx1-ubyte.gz")))
    for n in (1, 3):
        img = struct.pack(">BBBBIII", 0, 0, 8, 3, n, 28, 28) + fm_images[16:16 + n * 784]
        lab = struct.pack(">BBBBI", 0, 0, 8, 1, n) + fm_labels[8:8 + n]
        put("idx", f"fmnist-{n}", pair(img, lab))
        put("idx", f"fmnist-{n}-gz", pair(gzip.compress(img, mtime=0), gzip.compress(lab, mtime=0)))
    img4 = struct.pack(">BBBBIIII", 0, 0, 8, 4, 2, 1, 28, 28) + fm_images[16:16 + 2 * 784]
    put("idx", "fmnist-2-4dim", pair(img4, struct.pack(">BBBBI", 0, 0, 8, 1, 2) + fm_labels[8:10]))

    # CIFAR-10 binary records (label byte + R, G, B planes of 32x32) made from Fashion-MNIST images:
    # each 28x28 image zero-padded to 32x32, the planes scaled differently.
    def record(i):
        img = fm_images[16 + i * 784:16 + (i + 1) * 784]
        plane = b"".join(b"\0\0" + img[r * 28:(r + 1) * 28] + b"\0\0" if 2 <= r + 2 < 30 else b"" for r in range(28))
        plane = bytes(32 * 2) + plane + bytes(32 * 2)
        planes = [plane, bytes(v // 2 for v in plane), bytes(255 - v for v in plane)]
        return bytes([fm_labels[8 + i]]) + b"".join(planes)
    put("cifar10", "batch-1", record(0))
    put("cifar10", "batch-4", b"".join(record(i) for i in range(4)))
    put("cifar10", "batch-4-gz", gzip.compress(b"".join(record(i) for i in range(4)), mtime=0))


if __name__ == "__main__":
    main()
