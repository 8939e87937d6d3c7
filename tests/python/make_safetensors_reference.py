"""Writes safetensors files with the Python `safetensors` library for safetensors_reference_test.

Usage: make_safetensors_reference.py OUT_DIR

OUT_DIR/expected.json describes what the C++ reader must find: for each file its metadata, its
tensors in file (offset) order, and each tensor's dtype, shape and the sha256 of its bytes; for each
checkpoint directory, the same per tensor plus the shard it lives in.
"""

import hashlib
import json
import math
import os
import sys

import torch
from huggingface_hub import split_torch_state_dict_into_shards
from safetensors.torch import save_file

DTYPES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.uint16: "U16",
    torch.int32: "I32", torch.uint32: "U32", torch.int64: "I64", torch.uint64: "U64",
    torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
}

generator = torch.Generator().manual_seed(1234)
digests = {}  # id(tensor) -> sha256 of the bytes it was built from


def random_tensor(dtype, shape):
    """Random bit patterns (NaNs included for floats); BOOL gets 0/1 only."""
    count = math.prod(shape)
    if dtype == torch.bool:
        raw = torch.randint(0, 2, (count,), dtype=torch.uint8, generator=generator)
    else:
        itemsize = torch.empty((), dtype=dtype).element_size()
        raw = torch.randint(0, 256, (count * itemsize,), dtype=torch.uint8, generator=generator)
    tensor = raw.view(dtype).reshape(shape)
    digests[id(tensor)] = hashlib.sha256(raw.numpy().tobytes()).hexdigest()
    return tensor


def describe(tensor):
    return {"dtype": DTYPES[tensor.dtype], "shape": list(tensor.shape), "sha256": digests[id(tensor)]}


def file_order(path):
    """Tensor names by data offset, read from the header the library wrote."""
    with open(path, "rb") as f:
        length = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(length))
    header.pop("__metadata__", None)
    return sorted(header, key=lambda name: tuple(header[name]["data_offsets"]))


def save_and_describe(out_dir, filename, tensors, metadata):
    path = os.path.join(out_dir, filename)
    save_file(tensors, path, metadata=metadata)
    return {
        "metadata": metadata or {},
        "order": file_order(path),
        "tensors": {name: describe(t) for name, t in tensors.items()},
    }


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    expected = {"files": {}, "checkpoints": {}}

    shapes = [(), (0,), (7,), (3, 5), (2, 0, 4), (2, 3, 1, 4)]
    every_dtype = {}
    for dtype, name in DTYPES.items():
        for i, shape in enumerate(shapes):
            every_dtype[f"t{i}.{name.lower()}"] = random_tensor(dtype, shape)
    expected["files"]["dtypes.safetensors"] = save_and_describe(out_dir, "dtypes.safetensors", every_dtype, None)

    with_metadata = {
        "model.embed_tokens.weight": random_tensor(torch.bfloat16, (16, 8)),
        "model.norm.weight": random_tensor(torch.float32, (8,)),
        "caf\u00e9.\u2603": random_tensor(torch.int64, (3,)),
    }
    metadata = {"format": "pt", "author": "soar", "note": "h\u00e9llo \u2603 \"quoted\"\n"}
    expected["files"]["metadata.safetensors"] = save_and_describe(
        out_dir, "metadata.safetensors", with_metadata, metadata)

    # A sharded checkpoint as transformers writes one: huggingface_hub's split, save_file per shard
    # with {"format": "pt"}, then the index (json.dumps(indent=2, sort_keys=True)).
    state_dict = {}
    for layer in range(3):
        state_dict[f"model.layers.{layer}.self_attn.q_proj.weight"] = random_tensor(torch.bfloat16, (16, 16))
        state_dict[f"model.layers.{layer}.mlp.up_proj.weight"] = random_tensor(torch.float32, (8, 16))
        state_dict[f"model.layers.{layer}.input_layernorm.weight"] = random_tensor(torch.float16, (16,))
    state_dict["lm_head.weight"] = random_tensor(torch.float32, (32, 16))
    sharded_dir = os.path.join(out_dir, "sharded")
    os.makedirs(sharded_dir, exist_ok=True)
    split = split_torch_state_dict_into_shards(
        state_dict, filename_pattern="model{suffix}.safetensors", max_shard_size=1200)
    assert split.is_sharded and len(split.filename_to_tensors) > 2, split
    for filename, names in split.filename_to_tensors.items():
        save_file({n: state_dict[n] for n in names}, os.path.join(sharded_dir, filename), metadata={"format": "pt"})
    index = {"metadata": {"total_size": split.metadata["total_size"]}, "weight_map": split.tensor_to_filename}
    with open(os.path.join(sharded_dir, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    expected["checkpoints"]["sharded"] = {
        "tensors": {name: {**describe(t), "shard": split.tensor_to_filename[name]} for name, t in state_dict.items()},
    }

    single_dir = os.path.join(out_dir, "single")
    os.makedirs(single_dir, exist_ok=True)
    single = {"a.weight": random_tensor(torch.float32, (4, 4)), "b.bias": random_tensor(torch.bfloat16, (4,))}
    save_file(single, os.path.join(single_dir, "model.safetensors"), metadata={"format": "pt"})
    expected["checkpoints"]["single"] = {
        "tensors": {name: {**describe(t), "shard": "model.safetensors"} for name, t in single.items()},
    }

    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
