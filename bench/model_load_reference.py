"""transformers reference for bench/model_load_bench.cpp: from_pretrained on the same checkpoint
as bf16 and as float32, and a policy clone (copy.deepcopy, how a PyTorch loop copies a model),
each the best of 3, with the rise of the process's peak resident set over it. Prints one JSON line."""
import copy
import json
import sys
import time

import torch
import transformers

model_dir, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)
transformers.utils.logging.disable_progress_bar()


def status_bytes(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return -1


def measure(operation, reps=3):
    best, peak = float("inf"), 0.0
    for _ in range(reps):
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM to the current VmRSS
        before = status_bytes("VmRSS:")
        start = time.perf_counter()
        operation()
        best = min(best, time.perf_counter() - start)
        peak = max(peak, (status_bytes("VmHWM:") - before) / 2**30)
    return {"seconds": best, "peak_gib": peak}


def load(dtype):
    return transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)


def read_every_value(model):
    # transformers maps the file and reads a value on first use: this is that first use.
    return sum(float(p.detach().sum()) for p in model.parameters())


result = {"transformers": transformers.__version__,
          "load_bf16": measure(lambda: load(torch.bfloat16)),
          "load_bf16_read": measure(lambda: read_every_value(load(torch.bfloat16))),
          "load_fp32": measure(lambda: load(torch.float32))}
policy = load(torch.bfloat16)
result["clone_bf16"] = measure(lambda: copy.deepcopy(policy))
print(json.dumps(result))
