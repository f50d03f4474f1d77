"""Benchmark: what each way of compressing the SST-2 classifier costs in accuracy, and what it saves.

    python benchmarks/compression.py REFERENCE_RUN OTHER_RUN ... [--sst2-dir DIR] [--ensemble RUN ...]
                                     [--repeats 3] [--json out.json] [--plot out.png]

For every run folder (trained with ``python -m minigrad.sentiment train`` or made by ``... compress``)
it measures, in one process, one after another, with one BLAS thread:

* the accuracy on the run's test split (SST-2 dev for ``--data sst2``), as ``evaluate`` computes it;
* the size: bytes of the weights file, bytes of the state dict's tensors, how many of its numbers are 0;
* the speed: the median time of ``--repeats`` passes over the test sentences (batches of 256, eval
  mode, no gradients), and its ratio to the reference run's -- measured interleaved, run after run in
  every repeat (each repeat starting with the next run), so that a machine getting busier slows them
  all alike and none is always first.

``--ensemble RUN ...`` also scores the average of those runs' probabilities (e.g. the teachers of a
distilled student).  The table goes to stdout; ``--json`` keeps every figure, ``--plot`` draws accuracy
against size.  The commands that made the runs are in README.md ("Making it cheaper").
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from minigrad.compression import nonzero_count, parameter_count, state_bytes  # noqa: E402
from minigrad.sentiment.compress import _run_data  # noqa: E402
from minigrad.sentiment.metrics import classification_metrics  # noqa: E402
from minigrad.sentiment.run_folder import load_run, tensor_file  # noqa: E402
from minigrad.sentiment.train import predict_proba  # noqa: E402


def describe(config) -> str:
    steps = config.get("compression") or []
    if not steps:
        spec = config.get("training", {}).get("spec", {})
        model = config["model"]
        shape = f"d_model {model['d_model']}, {model['n_layers']} layers, d_ff {model['d_ff']}"
        if not spec.get("teachers"):
            return shape
        return (shape + f", distilled from {len(spec['teachers'])} teacher(s), T {spec['temperature']:g}, "
                f"alpha {spec['alpha']:g}")
    names = []
    for step in steps:
        if step["method"] == "prune":
            names.append(f"pruned {step['amount']:.0%} ({step['steps']} rounds)")
        elif step["method"] == "low-rank":
            names.append(f"low-rank {step['rank'] or ''}{'energy ' + str(step['energy']) if step['energy'] else ''}")
        else:
            names.append("int8")
    return " + ".join(names)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders; the first is the reference")
    parser.add_argument("--sst2-dir", default=None)
    parser.add_argument("--ensemble", nargs="*", default=[], help="also score the average of these runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None)
    parser.add_argument("--plot", default=None)
    args = parser.parse_args(argv)

    loaded = []
    for run_dir in args.runs:
        model, encoder, config = load_run(run_dir)
        loaded.append((run_dir, model, encoder, config))
    data = _run_data(args, loaded[0][3])
    texts, labels = data.test.texts, np.asarray(data.test.labels)
    print(f"{len(texts)} {data.test_name} sentences of {data.name}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")

    times = {run_dir: [] for run_dir, *_ in loaded}
    probabilities = {}
    for repeat in range(args.repeats + 1):           # the first pass is a warm-up
        turn = repeat % len(loaded)                   # a different run goes first each time
        for run_dir, model, encoder, _ in loaded[turn:] + loaded[:turn]:
            began = time.perf_counter()
            probabilities[run_dir] = predict_proba(model, encoder, texts)
            if repeat:
                times[run_dir].append(time.perf_counter() - began)

    rows = []
    for run_dir, model, _, config in loaded:
        accuracy = classification_metrics(labels, probabilities[run_dir].argmax(axis=1), 2)["accuracy"]
        numbers = parameter_count(model)
        rows.append({"run": str(run_dir), "what": describe(config), "accuracy": accuracy,
                     "file_bytes": tensor_file(run_dir).stat().st_size, "state_bytes": state_bytes(model.state_dict()),
                     "numbers": numbers, "nonzero": nonzero_count(model) / numbers,
                     "seconds": statistics.median(times[run_dir])})
    reference = rows[0]
    for row in rows:
        row["accuracy_change"] = row["accuracy"] - reference["accuracy"]
        row["size_ratio"] = row["file_bytes"] / reference["file_bytes"]
        row["time_ratio"] = row["seconds"] / reference["seconds"]
    ensemble = None
    if args.ensemble:
        members = []
        for run_dir in args.ensemble:
            model, encoder, _ = load_run(run_dir)
            members.append(predict_proba(model, encoder, texts))
        ensemble = {"runs": args.ensemble, "accuracy": classification_metrics(
            labels, np.mean(members, axis=0).argmax(axis=1), 2)["accuracy"]}

    print(f"\n| run | what | {data.test_name} accuracy | change | weights file | vs reference | nonzero | "
          f"test pass | vs reference |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {Path(row['run']).name} | {row['what']} | {row['accuracy']:.4f} | {100 * row['accuracy_change']:+.1f} "
              f"pt | {row['file_bytes'] / 1e6:.2f} MB | {row['size_ratio']:.1%} | {row['nonzero']:.1%} | "
              f"{row['seconds']:.2f} s | {row['time_ratio']:.2f}x |")
    if ensemble:
        print(f"\nensemble of {len(args.ensemble)} runs ({', '.join(Path(r).name for r in args.ensemble)}): "
              f"{data.test_name} accuracy {ensemble['accuracy']:.4f}")
    result = {"command": "python " + " ".join([sys.argv[0]] + (argv if argv is not None else sys.argv[1:])),
              "test_name": data.test_name, "sentences": len(texts), "load_average": os.getloadavg(),
              "cores": os.cpu_count(), "rows": rows, "ensemble": ensemble}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.plot:
        plot(rows, args.plot, data.test_name)
    return result


def plot(rows, path, test_name):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for row in rows:
        for axis, x in ((left, row["file_bytes"] / 1e6), (right, row["time_ratio"])):
            axis.scatter(x, 100 * row["accuracy"])
            axis.annotate(row["what"], (x, 100 * row["accuracy"]), fontsize=7, xytext=(4, 4),
                          textcoords="offset points")
    left.set_xlabel("weights file (MB)")
    right.set_xlabel("time of a test pass / the reference's")
    for axis in (left, right):
        axis.set_ylabel(f"{test_name} accuracy (%)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    main()
