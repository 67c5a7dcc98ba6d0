#!/usr/bin/env python3
"""Writes the binary broken inputs of test/bad-inputs/files/ (the JSON ones there are written by hand).
Run from anywhere: python3 test/bad-inputs/make_files.py. Deterministic: the same bytes every run.

ONNX models are encoded with the minimal protobuf writer below (no onnx package needed); field numbers
from onnx.proto: ModelProto{ir_version=1, opset_import=8, producer_name=2, graph=7},
GraphProto{node=1, name=2, initializer=5, input=11, output=12}, NodeProto{input=1, output=2, name=3,
op_type=4, attribute=5}, TensorProto{dims=1, data_type=2, name=8, raw_data=9},
ValueInfoProto{name=1, type=2}, TypeProto{tensor_type=1}, TypeProto.Tensor{elem_type=1, shape=2},
TensorShapeProto{dim=1}, Dimension{dim_value=1}, OperatorSetIdProto{domain=1, version=2}."""
import gzip
import math
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")


def varint(n):
    if n < 0:
        n += 1 << 64  # int64 fields: two's complement, 10 bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, value):
    """int -> varint field; bytes/str -> length-delimited field."""
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(number << 3 | 2) + varint(len(value)) + value


FLOAT = 1


def tensor(name, dims, values):
    return b"".join(field(1, d) for d in dims) + field(2, FLOAT) + field(8, name) + \
        field(9, struct.pack(f"<{len(values)}f", *values))


def value_info(name, dims):
    shape = b"".join(field(1, field(1, d)) for d in dims)
    return field(1, name) + field(2, field(1, field(1, FLOAT) + field(2, shape)))


def node(op, inputs, outputs, name, attributes=b""):
    return b"".join(field(1, i) for i in inputs) + b"".join(field(2, o) for o in outputs) + \
        field(3, name) + field(4, op) + attributes


def model(nodes, initializers, inputs, outputs, name="tiny"):
    graph = b"".join(field(1, n) for n in nodes) + field(2, name) + \
        b"".join(field(5, t) for t in initializers) + \
        b"".join(field(11, v) for v in inputs) + b"".join(field(12, v) for v in outputs)
    return field(1, 8) + field(2, "sparsedse bad-inputs") + field(7, graph) + field(8, field(1, "") + field(2, 13))


def tiny(conv_w=None, conv_b=None, relu_op="Relu", relu_in="c", input_dims=(1, 1, 4, 4), w_dims=(2, 1, 3, 3),
         conv_in="x"):
    """x[1,1,4,4] -> Conv 3x3 (2 filters) -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> logits[1,3]."""
    w = conv_w if conv_w is not None else [((i * 5) % 7 - 3) / 8 for i in range(18)]
    b = conv_b if conv_b is not None else [0.125, -0.25]
    nodes = [node("Conv", [conv_in, "w", "b"], ["c"], "conv"),
             node(relu_op, [relu_in], ["r"], "relu"),
             node("GlobalAveragePool", ["r"], ["g"], "gap"),
             node("Flatten", ["g"], ["f"], "flatten"),
             node("Gemm", ["f", "fw", "fb"], ["logits"], "fc", field(5, field(1, "transB") + field(3, 1) + field(20, 2)))]
    inits = [tensor("w", w_dims, w), tensor("b", [2], b),
             tensor("fw", [3, 2], [0.5, -0.5, 0.25, 0.75, -1.0, 1.0]), tensor("fb", [3], [0.0, 0.1, -0.1])]
    return model(nodes, inits, [value_info("x", input_dims)], [value_info("logits", [1, 3])])


def write(name, data):
    with open(os.path.join(FILES, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(FILES, exist_ok=True)
    good = tiny()
    write("good.onnx", good)  # the reference the broken ones are made from (must import)
    write("truncated.onnx", good[:len(good) * 2 // 3])
    # Bit flip in the tag of the graph field (0x3a: field 7, length-delimited -> 0x3b: field 7, start group).
    at = len(field(1, 8) + field(2, "sparsedse bad-inputs"))
    flipped = bytearray(good)
    assert flipped[at] == 0x3A
    flipped[at] ^= 0x01
    write("bitflip.onnx", bytes(flipped))
    write("unsupported-op.onnx", tiny(relu_op="LeakyRelu"))
    write("cyclic.onnx", tiny(conv_in="r"))          # conv reads relu's output, relu reads conv's
    write("dangling.onnx", tiny(relu_in="conv_out"))  # no node produces 'conv_out'
    write("zero-dim.onnx", tiny(input_dims=(1, 1, 0, 4)))
    write("negative-dim.onnx", tiny(w_dims=(2, -1, 3, 3)))
    w = [((i * 5) % 7 - 3) / 8 for i in range(18)]
    w[7] = math.nan
    write("nan-weights.onnx", tiny(conv_w=w))
    write("inf-bias.onnx", tiny(conv_b=[0.125, math.inf]))

    # A valid raw-f32 set of 1x4x4 images for the tiny model (data/tiny.json describes it).
    images = b"".join(struct.pack("<16f", *[((i * 3 + k) % 9 - 4) / 4 for k in range(16)]) for i in range(6))
    write("tiny-images.f32", images)
    write("tiny-labels.u8", bytes(i % 3 for i in range(6)))

    # IDX: wrong magic (a PNG signature), truncated images (header says 3 images of 4x4, holds 2.5).
    labels = bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes([0, 1, 2])
    write("idx-labels", labels)
    write("idx-wrong-magic", b"\x89PNG\r\n\x1a\n" + bytes(48))
    write("idx-truncated", bytes([0, 0, 8, 3]) + struct.pack(">III", 3, 4, 4) + bytes(40))
    write("idx-truncated.gz", gzip.compress(bytes([0, 0, 8, 3]) + struct.pack(">III", 3, 4, 4) + bytes(48),
                                            mtime=0)[:-12])  # gzip stream cut off
    # CIFAR-10: two records minus 100 bytes; and a record with label 200.
    record = bytes([3]) + bytes(range(256)) * 12
    write("cifar-truncated.bin", (record * 2)[:-100])
    write("cifar-bad-label.bin", record + bytes([200]) + record[1:])

    # JSON IR (short.json, flipped.json: test/data/frontend/tiny.json pointing at these sidecars): a
    # sidecar shorter than the JSON says, and one with a bit flipped (CRC-32 mismatch).
    tiny_weights = open(os.path.join(HERE, "../data/frontend/tiny.weights.bin"), "rb").read()
    write("short.weights.bin", tiny_weights[:20])
    flipped = bytearray(tiny_weights)
    flipped[13] ^= 0x40
    write("flipped.weights.bin", bytes(flipped))


if __name__ == "__main__":
    main()
