#!/usr/bin/env python3
"""TensorBoard's own event reader on the event file a soar run writes beside metrics.jsonl: every
number of every step record must come back as a scalar with the same step and value (as float32),
and a meta run's teacher datasets as text.

    tensorboard_events_test.py RUN_DIR [--text TAG]
"""
import glob
import json
import sys

import numpy as np
from tensorboard.backend.event_processing import event_accumulator


def flatten(prefix, value, out):
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        out[prefix] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("step", "event"):
                flatten(f"{prefix}/{key}" if prefix else key, item, out)


def main():
    run = sys.argv[1]
    files = glob.glob(f"{run}/events.out.tfevents.*")
    assert files, f"no event file in {run}"
    acc = event_accumulator.EventAccumulator(run, size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0})
    acc.Reload()
    expected = {}
    for line in open(f"{run}/metrics.jsonl"):
        record = json.loads(line)
        if not isinstance(record.get("step"), int):
            continue
        values = {}
        flatten(record.get("event", ""), record, values)
        for tag, value in values.items():
            expected.setdefault(tag, []).append((record["step"], value))
    tags = set(acc.Tags()["scalars"])
    assert set(expected) == tags, f"tags differ: only in metrics {set(expected) - tags}, only in events {tags - set(expected)}"
    checked = 0
    for tag, points in expected.items():
        got = [(e.step, e.value) for e in acc.Scalars(tag)]
        assert [s for s, _ in got] == [s for s, _ in points], f"{tag}: steps {[s for s, _ in got]} != {[s for s, _ in points]}"
        for (_, value), (_, want) in zip(got, points):
            assert value == np.float32(want) or (np.isnan(value) and np.isnan(want)), f"{tag}: {value} != {want}"
            checked += 1
    if "--text" in sys.argv:
        tag = sys.argv[sys.argv.index("--text") + 1]
        texts = acc.Tensors(tag)
        assert texts, f"no text under {tag}; tensor tags: {acc.Tags()['tensors']}"
        first = texts[0].tensor_proto.string_val[0].decode()
        assert first.startswith("```") and "### dataset 0" in first, first[:200]
        print(f"{len(texts)} texts under {tag}")
    print(f"ok: {len(tags)} tags, {checked} scalars equal to metrics.jsonl in {files[0]}")


main()
