"""Checks the safetensors files that safetensors_written_test (C++) wrote, with the Python library.

Usage: check_safetensors_written.py DIR

For every file and checkpoint in DIR/manifest.json:
  * safetensors.safe_open loads it; metadata, names, dtypes and shapes are as listed;
  * every tensor's values equal the formula of safetensors_written_test.cpp, computed here with numpy;
  * the file equals what safetensors.torch.save writes for the same tensors and metadata: byte for
    byte when the metadata is {"format": "pt"} (larger metadata maps come out of the library in hash
    order, so there the parsed header and the data section are compared);
  * a checkpoint is split into shards exactly as huggingface_hub splits it, with the index text that
    transformers writes.
Exits non-zero with a message on the first mismatch.
"""

import json
import math
import os
import sys

import numpy as np
import torch
from huggingface_hub import split_torch_state_dict_into_shards
from safetensors import safe_open
from safetensors.torch import save

TORCH = {
    "BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16, "U16": torch.uint16,
    "I32": torch.int32, "U32": torch.uint32, "I64": torch.int64, "U64": torch.uint64,
    "F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64,
}


def expected_bytes(dtype, count):
    """Little-endian bytes of elements 0..count-1 (the formula of safetensors_written_test.cpp)."""
    i = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        u64 = i * np.uint64(0x9E3779B97F4A7C15) + np.uint64(3)
        u32 = (i * np.uint64(2654435761) + np.uint64(1)) & np.uint64(0xFFFFFFFF)
    small = (i * np.uint64(37) + np.uint64(11)) % np.uint64(256)
    mid = (i * np.uint64(4099) + np.uint64(7)) % np.uint64(65536)
    floats = (((i * np.uint64(37) + np.uint64(11)) % np.uint64(251)).astype(np.int64) - 125) / 8.0
    values = {
        "BOOL": (i % np.uint64(3) == 0).astype(np.uint8),
        "U8": small.astype("<u1"),
        "I8": (small.astype(np.int64) - 128).astype("<i1"),
        "U16": mid.astype("<u2"),
        "I16": (mid.astype(np.int64) - 32768).astype("<i2"),
        "U32": u32.astype("<u4"),
        "I32": u32.astype("<u4").view("<i4"),
        "U64": u64.astype("<u8"),
        "I64": u64.astype("<u8").view("<i8"),
        "F16": floats.astype("<f2"),
        "F32": floats.astype("<f4") / np.float32(3),
        "F64": floats.astype("<f8") / 3.0,
    }
    if dtype == "BF16":  # numpy has no bfloat16
        return torch.from_numpy(floats).to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    return values[dtype].tobytes()


def tensor_bytes(tensor):
    return tensor.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def fail(message):
    sys.exit(f"check_safetensors_written: {message}")


def split_header(blob):
    length = int.from_bytes(blob[:8], "little")
    return json.loads(blob[8:8 + length]), blob[8 + length:]


def check_file(path, metadata, tensors):
    """Checks one file; returns its tensors by name."""
    loaded = {}
    with safe_open(path, framework="pt") as f:
        if (f.metadata() or {}) != metadata:
            fail(f"{path}: metadata {f.metadata()} != {metadata}")
        if sorted(f.keys()) != sorted(t["name"] for t in tensors):
            fail(f"{path}: tensors {sorted(f.keys())} != {sorted(t['name'] for t in tensors)}")
        for t in tensors:
            tensor = f.get_tensor(t["name"])
            where = f"{path}: tensor {t['name']!r}"
            if tensor.dtype != TORCH[t["dtype"]] or list(tensor.shape) != t["shape"]:
                fail(f"{where}: {tensor.dtype} {list(tensor.shape)} != {t['dtype']} {t['shape']}")
            if tensor_bytes(tensor) != expected_bytes(t["dtype"], math.prod(t["shape"])):
                fail(f"{where}: values differ from the formula")
            loaded[t["name"]] = tensor

    with open(path, "rb") as f:
        ours = f.read()
    theirs = save(loaded, metadata=metadata)
    if metadata == {"format": "pt"}:
        if ours != theirs:
            fail(f"{path}: bytes differ from safetensors.torch.save: {ours[:200]!r} vs {theirs[:200]!r}")
    else:
        (our_header, our_data), (their_header, their_data) = split_header(ours), split_header(theirs)
        if our_header != their_header or our_data != their_data:
            fail(f"{path}: header or data differ from safetensors.torch.save: {our_header} vs {their_header}")
        if (8 + int.from_bytes(ours[:8], "little")) % 8 != 0:
            fail(f"{path}: data section is not 8-byte aligned")
    return loaded


def check_checkpoint(directory, max_shard_bytes, tensors):
    state_dict = {}
    for t in tensors:
        state_dict[t["name"]] = torch.from_numpy(
            np.frombuffer(expected_bytes(t["dtype"], math.prod(t["shape"])), dtype=np.uint8).copy()
        ).view(TORCH[t["dtype"]]).reshape(t["shape"])
    split = split_torch_state_dict_into_shards(
        state_dict, filename_pattern="model{suffix}.safetensors", max_shard_size=max_shard_bytes)
    expected_files = set(split.filename_to_tensors)
    if split.is_sharded:
        index = {"metadata": {"total_size": split.metadata["total_size"]}, "weight_map": split.tensor_to_filename}
        expected_files.add("model.safetensors.index.json")
        with open(os.path.join(directory, "model.safetensors.index.json"), encoding="utf-8") as f:
            text = f.read()
        if text != json.dumps(index, indent=2, sort_keys=True) + "\n":
            fail(f"{directory}: index differs from transformers':\n{text}")
    if set(os.listdir(directory)) != expected_files:
        fail(f"{directory}: files {sorted(os.listdir(directory))} != {sorted(expected_files)}")
    by_name = {t["name"]: t for t in tensors}
    for filename, names in split.filename_to_tensors.items():
        check_file(os.path.join(directory, filename), {"format": "pt"}, [by_name[n] for n in names])
    return len(split.filename_to_tensors)


def main():
    directory = sys.argv[1]
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if len(manifest["files"]) < 2 or len(manifest["checkpoints"]) < 2:
        fail("manifest lists too little")
    for filename, entry in manifest["files"].items():
        check_file(os.path.join(directory, filename), entry["metadata"], entry["tensors"])
    shard_counts = {
        name: check_checkpoint(os.path.join(directory, name), entry["max_shard_bytes"], entry["tensors"])
        for name, entry in manifest["checkpoints"].items()
    }
    if shard_counts["sharded"] < 3 or shard_counts["single"] != 1:
        fail(f"unexpected shard counts {shard_counts}")
    print(f"check_safetensors_written: OK ({len(manifest['files'])} files, shards {shard_counts})")


if __name__ == "__main__":
    main()
