"""References for bench/real_model_bench.cpp on a real model (SmolLM2-135M-Instruct), measured in the
same run on the same prompts and threads:

  transformers  the soar-converted model directory in PyTorch eager: `generate` (KV cache,
                multinomial sampling at temperature 1, exactly NEW tokens) and a plain
                policy-gradient training step (forward, log-probs at completion positions, backward,
                clipping, AdamW), as bench/rl_engine_reference.py
  llama.cpp     the llama-cpp-python package (llama.cpp built from source): the GGUF file as shipped
                (Q4_1) and the same weights dequantised to an F32 GGUF, decoding all sequences of a
                batch together (llama_batch with one sequence id per prompt, as llama.cpp's
                `batched` example) and drawing each token with llama.cpp's own sampler chain
                (temperature 1, dist)

    real_model_reference.py MODEL_DIR GGUF PROMPTS_JSON THREADS NEW TRAIN_BATCH ENGINES

PROMPTS_JSON holds {"batches": [1, 8, 64], "prompts": [[ids...], ...], "train_prompts": [[ids...], ...]}
(at least max(batches) prompts; batch b uses the first b; the training step samples one sequence
per train prompt, the first TRAIN_BATCH prompts where train_prompts is absent, and is skipped when
there are none). ENGINES is a comma list of transformers, llama-f32, llama-q4_1.
Prints one JSON line: tokens/s per engine and batch (best of 3 after a warm-up), versions; an engine
that is not installed is reported as {"missing": why}.
"""
import json
import os
import sys
import tempfile
import time


def best_of(fn, repeats=3):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def transformers_engine(model_dir, prompts, batches, threads, new_tokens, train_prompts):
    import torch
    import transformers

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
    model.eval()
    result = {"version": f"transformers {transformers.__version__}, torch {torch.__version__}", "sample": {}}
    sequences = None
    for b in batches:
        ids = torch.tensor(prompts[:b])

        def generate():
            nonlocal sequences
            with torch.no_grad():
                sequences = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=1.0, top_k=0,
                                           top_p=1.0, max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=0)

        result["sample"][str(b)] = b * new_tokens / best_of(generate)
    if not train_prompts:
        return result
    model.train()
    ids = torch.tensor(train_prompts)
    train_batch = len(train_prompts)
    with torch.no_grad():
        sequences = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, max_new_tokens=new_tokens,
                                   min_new_tokens=new_tokens, top_k=0, pad_token_id=0)
    prompt_length = ids.shape[1]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6)
    advantages = torch.randn(train_batch)

    def train_step():
        optimizer.zero_grad()
        logits = model(sequences).logits[:, prompt_length - 1:-1].float()
        logp = torch.log_softmax(logits, -1).gather(-1, sequences[:, prompt_length:].unsqueeze(-1)).squeeze(-1)
        loss = -(advantages.unsqueeze(1) * logp).sum() / train_batch
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    result["train"] = train_batch * sequences.shape[1] / best_of(train_step)
    return result


def f32_gguf(source, directory):
    """The GGUF file with every tensor dequantised to F32 and the metadata kept (gguf-py)."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(source)
    path = os.path.join(directory, "f32.gguf")
    arch = reader.fields["general.architecture"]
    writer = gguf.GGUFWriter(path, bytes(arch.parts[arch.data[0]]).decode())
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in ("general.architecture", "general.file_type"):
            continue
        value_type = field.types[0]
        if value_type == gguf.GGUFValueType.ARRAY:
            sub = field.types[1]
            if sub == gguf.GGUFValueType.STRING:
                value = [bytes(field.parts[i]).decode("utf-8", "surrogateescape") for i in field.data]
            else:
                value = [field.parts[i].tolist()[0] for i in field.data]
            writer.add_array(field.name, value)
        elif value_type == gguf.GGUFValueType.STRING:
            writer.add_string(field.name, bytes(field.parts[field.data[0]]).decode("utf-8", "surrogateescape"))
        else:
            writer.add_key_value(field.name, field.parts[field.data[0]].tolist()[0], value_type)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    for tensor in reader.tensors:
        data = gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        writer.add_tensor(tensor.name, data.reshape([int(d) for d in reversed(tensor.shape)]))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def llama_engine(gguf_path, prompts, batches, threads, new_tokens):
    import llama_cpp

    llama_cpp.llama_backend_init()
    model_params = llama_cpp.llama_model_default_params()
    model = llama_cpp.llama_model_load_from_file(gguf_path.encode(), model_params)
    if not model:
        raise RuntimeError(f"llama.cpp cannot load {gguf_path}")
    result = {"version": f"llama-cpp-python {llama_cpp.__version__}", "sample": {}}
    prompt_length = len(prompts[0])
    for b in batches:
        context_params = llama_cpp.llama_context_default_params()
        context_params.n_ctx = b * (prompt_length + new_tokens)
        context_params.n_batch = max(b * prompt_length, b)
        context_params.n_ubatch = min(512, context_params.n_batch)
        context_params.n_seq_max = b
        context_params.n_threads = threads
        context_params.n_threads_batch = threads
        context = llama_cpp.llama_init_from_model(model, context_params)
        if not context:
            raise RuntimeError(f"llama.cpp cannot make a context for batch {b}")
        batch = llama_cpp.llama_batch_init(max(b * prompt_length, b), 0, b)
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_temp(1.0))
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_dist(1234))

        def add(token, position, sequence, logits):
            i = batch.n_tokens
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = sequence
            batch.logits[i] = logits
            batch.n_tokens += 1

        def generate():
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(context), True)
            batch.n_tokens = 0
            for s in range(b):
                for p, token in enumerate(prompts[s]):
                    add(token, p, s, p == prompt_length - 1)
            if llama_cpp.llama_decode(context, batch) != 0:
                raise RuntimeError("llama_decode failed on the prompts")
            rows = [s * prompt_length + prompt_length - 1 for s in range(b)]
            for step in range(new_tokens):
                tokens = [llama_cpp.llama_sampler_sample(chain, context, row) for row in rows]
                if step == new_tokens - 1:
                    break
                batch.n_tokens = 0
                for s, token in enumerate(tokens):
                    add(token, prompt_length + step, s, True)
                if llama_cpp.llama_decode(context, batch) != 0:
                    raise RuntimeError("llama_decode failed while decoding")
                rows = list(range(b))

        result["sample"][str(b)] = b * new_tokens / best_of(generate)
        llama_cpp.llama_sampler_free(chain)
        llama_cpp.llama_batch_free(batch)
        llama_cpp.llama_free(context)
    llama_cpp.llama_model_free(model)
    return result


def main():
    model_dir, gguf_path, prompts_json = sys.argv[1:4]
    threads, new_tokens, train_batch = map(int, sys.argv[4:7])
    engines = sys.argv[7].split(",")
    spec = json.load(open(prompts_json))
    prompts, batches = spec["prompts"], spec["batches"]
    out = {}
    for engine in engines:
        try:
            if engine == "transformers":
                out[engine] = transformers_engine(model_dir, prompts, batches, threads, new_tokens,
                                                  spec.get("train_prompts", prompts[:train_batch]))
            elif engine == "llama-q4_1":
                out[engine] = llama_engine(gguf_path, prompts, batches, threads, new_tokens)
            elif engine == "llama-f32":
                with tempfile.TemporaryDirectory() as directory:
                    out[engine] = llama_engine(f32_gguf(gguf_path, directory), prompts, batches, threads, new_tokens)
            else:
                sys.exit(f"real_model_reference: unknown engine {engine}")
        except ImportError as e:
            out[engine] = {"missing": str(e)}
        print(f"{engine}: {out[engine]}", file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
