#!/usr/bin/python3
"""Decodes the TensorBoard event file of a real `aurum rl train` run with the independent reader of
rl_tfevents_decode.py (own CRC-32C, hand-written protobuf wire parser): every CRC valid, the first
record "brain.Event:2", every training tag present at every update's step, and the values equal
to the run's metrics.csv (as float32).

usage: rl_train_tfevents_decode.py AURUM_BINARY WORK_DIR
"""
import csv
import glob
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rl_tfevents_decode import parse_event, records  # noqa: E402

CONFIG = """name: decode-agent
market: {shape: momentum, momentum: 0.5, days: 400, seed: 11}
agent: {episode_bars: 64, envs: 4, rollout_steps: 64, updates: 6}
ppo: {hidden: 8, layers: 1, minibatch: 64, seed: 5}
"""

# tag -> metrics.csv column
TAGS = {
    "tactical/reward": "reward",
    "tactical/reward/market": "reward_market",
    "tactical/reward/fees": "reward_fees",
    "tactical/value_estimate": "value_estimate",
    "tactical/mean_target": "mean_target",
    "tactical/policy_entropy": "policy_entropy",
    "tactical/approx_kl": "approx_kl",
    "tactical/clip_fraction": "clip_fraction",
    "tactical/policy_loss": "policy_loss",
    "tactical/value_loss": "value_loss",
    "tactical/shield_interventions": "shield_interventions",
}


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def main():
    aurum, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "config"))
    with open(os.path.join(work, "config", "rl.yaml"), "w") as f:
        f.write(CONFIG)
    subprocess.run([aurum, "--home", work, "rl", "train", "--run", "decode", "--no-register"],
                   check=True, capture_output=True, text=True)
    run = os.path.join(work, "runs", "decode")
    files = glob.glob(os.path.join(run, "events.out.tfevents.*"))
    assert len(files) == 1, files
    with open(files[0], "rb") as f:
        events = [parse_event(r) for r in records(f.read())]
    assert events[0].get("file_version") == "brain.Event:2", events[0]
    got = {}
    for e in events[1:]:
        for tag, value in e["scalars"]:
            got[(tag, e["step"])] = value
    with open(os.path.join(run, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6, len(rows)
    for row in rows:
        step = int(row["env_steps"])
        for tag, column in TAGS.items():
            assert (tag, step) in got, f"{tag} missing at step {step}"
            want = f32(float(row[column]))
            assert abs(got[(tag, step)] - want) <= 1e-6 * max(1.0, abs(want)), (tag, step)
        if int(row["episodes"]) > 0:
            assert ("tactical/episode_length", step) in got, step
    assert any(tag == "tactical/episode_length" for tag, _ in got), "no episode ended"
    print(f"ok: {len(events)} records, {len(got)} scalars over {len(rows)} updates")


if __name__ == "__main__":
    main()
