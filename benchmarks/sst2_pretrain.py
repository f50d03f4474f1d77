"""Benchmark: does masked-token pre-training help the SST-2 classifier?  Pre-train once, then fine-tune
and train from scratch with the same seeds, and compare the dev accuracies.

    python benchmarks/sst2_pretrain.py [SST2_DIR] [--seeds 0 1 2] [--work DIR] [--pretrain-option ...]

Every run is the command line with its defaults, exactly as a user types it:

    python -m minigrad.sentiment pretrain --data SST2_DIR --out WORK/mlm [--pretrain-option ...]
    python -m minigrad.sentiment train --data SST2_DIR --seed S --out WORK/scratch-S
    python -m minigrad.sentiment train --data SST2_DIR --seed S --init WORK/mlm --out WORK/pretrained-S

Pre-training reads SST-2's 6,885 full training sentences (no labels; not the dev sentences, which
stay unseen).  The seeds change the fine-tuning (initial head, batch order, dropout); the
pre-trained model is the same for all of them.  The summary gives each dev accuracy, the mean and
standard deviation of each group, and the times.  The run folders stay in WORK (a temporary folder
by default), never in the repository.
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minigrad.sentiment import cli  # noqa: E402
from minigrad.sentiment.datasets import resolve_sst2_dir  # noqa: E402


def run(argv) -> float:
    began = time.perf_counter()
    status = cli.main(argv)
    if status != 0:
        sys.exit(f"{' '.join(argv)} failed with exit status {status}")
    return time.perf_counter() - began


def dev_accuracy(run_dir) -> float:
    return json.loads((Path(run_dir) / "metrics.json").read_text())["test"]["accuracy"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sst2_dir", nargs="?", default=None)
    parser.add_argument("--seeds", nargs="+", default=["0", "1", "2"])
    parser.add_argument("--work", default=None)
    parser.add_argument("--pretrain-option", action="append", default=[],
                        help="passed to pretrain, e.g. --pretrain-option=--span=3")
    args = parser.parse_args(argv)
    data = str(resolve_sst2_dir(args.sst2_dir))
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="sst2-pretrain-"))
    common = ["--data", data, "--no-progress", "--force"]
    seconds = {"pretrain": run(["pretrain", "--out", str(work / "mlm")] + common + args.pretrain_option)}
    results = {"scratch": {}, "pretrained": {}}
    for seed in args.seeds:
        for name, extra in (("scratch", []), ("pretrained", ["--init", str(work / "mlm")])):
            out = work / f"{name}-{seed}"
            seconds[f"{name}-{seed}"] = run(["train", "--out", str(out), "--seed", seed] + common + extra)
            results[name][seed] = dev_accuracy(out)
    print(f"\npre-training: {seconds['pretrain']:.0f} s ({work / 'mlm'})")
    for name, by_seed in results.items():
        values = list(by_seed.values())
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(f"{name:10s} dev accuracy: " + ", ".join(f"seed {s} {v:.4f}" for s, v in by_seed.items())
              + f"; mean {statistics.mean(values):.4f} +- {spread:.4f} (sd); "
              + f"{statistics.mean(seconds[f'{name}-{s}'] for s in by_seed):.0f} s per run")
    (work / "summary.json").write_text(json.dumps({"dev_accuracy": results, "seconds": seconds}, indent=2))
    print(f"summary: {work / 'summary.json'}")


if __name__ == "__main__":
    main()
