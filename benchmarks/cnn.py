"""Benchmark: lesson 15's digits CNN, one training step in minigrad vs the same network in PyTorch.

    python benchmarks/cnn.py [--rounds 5] [--threads 1] [--device cpu|cuda] [--json FILE] [--quick]

The CNN (lessons/_src/15_convolutional_networks.py, section 8): conv 3x3 1->16, batch norm, ReLU,
max-pool 2; conv 3x3 16->32, batch norm, ReLU, max-pool 2; linear 128 -> 10 (6,186 parameters), on
scikit-learn's 8x8 handwritten digits, batches of 64, float32, Adam.

1. Both networks start from the same weights (PyTorch's copied into minigrad) and must compute the
   same thing: the logits of one batch and the first losses of a few identical training steps are
   compared (``loss gap``).
2. A *training step* (zero_grad, forward, cross-entropy, backward, Adam update) is timed in both,
   interleaved in one process (benchmarks/timing.py: warm-up, median of repeats, round-robin), so a
   machine that gets busier slows both alike; this is done ``--rounds`` times and the median ratio
   minigrad / PyTorch is reported with every round's ratio and the load average before and after.
3. Unless ``--no-train``: both train for 15 epochs from the same weights on the same batches, and
   their test accuracies and wall times are reported.

One BLAS thread by default (``--threads``): these matrices are small, and on a busy machine a BLAS
thread waiting for a core makes every matmul many times slower.
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds; the median ratio is reported")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for NumPy and PyTorch")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="where both frameworks run")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--no-train", action="store_true", help="skip the 15-epoch training runs")
    parser.add_argument("--quick", action="store_true", help="few repeats and 1 epoch (checks the script runs)")
    parser.add_argument("--json", default=None, help="write the results as JSON to this file")
    return parser.parse_args(argv)


ARGS = parse_args()
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from benchmarks.machine import describe, load_average, machine_info  # noqa: E402
from benchmarks.timing import Peer, format_seconds, measure  # noqa: E402


def load_data():
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        sys.exit("error: the digits come with scikit-learn: pip install scikit-learn (it is in the dev extra)")
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(labels))   # the lesson's split
    test, train = order[:360], order[360:]
    return images[train], labels[train], images[test], labels[test]


# ---------------------------------------------------------------------------------------------
# the CNN, written once for both libraries (they share the layer names and arguments)
# ---------------------------------------------------------------------------------------------
def digits_cnn(lib, functional):
    """Lesson 15's DigitsCNN built from ``lib`` (minigrad.nn or torch.nn) and its functional module."""

    class DigitsCNN(lib.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = lib.Conv2d(1, 16, 3, padding=1), lib.Conv2d(16, 32, 3, padding=1)
            self.bn1, self.bn2 = lib.BatchNorm2d(16), lib.BatchNorm2d(32)
            self.fc = lib.Linear(32 * 2 * 2, 10)

        def forward(self, x):
            x = functional.max_pool2d(functional.relu(self.bn1(self.conv1(x))), 2)
            x = functional.max_pool2d(functional.relu(self.bn2(self.conv2(x))), 2)
            return self.fc(x.flatten(1))

    return DigitsCNN()


def twins(torch, device):
    """(minigrad model, PyTorch model) with identical weights (PyTorch's, copied)."""
    torch.manual_seed(0)
    theirs = digits_cnn(torch.nn, torch.nn.functional)
    ours = digits_cnn(nn, F)
    ours.load_state_dict({k: mg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours.to(device), theirs.to(device)


def step_functions(ours, theirs, torch, device, batches):
    """One training step of each, cycling through the same batches (already on the device)."""
    ours_opt = mg.optim.Adam(ours.parameters(), lr=3e-3)
    theirs_opt = torch.optim.Adam(theirs.parameters(), lr=3e-3)
    state = {"ours": 0, "theirs": 0}

    def minigrad_step():
        x, y = batches["ours"][state["ours"] % len(batches["ours"])]
        state["ours"] += 1
        loss = F.cross_entropy(ours(x), y)
        ours_opt.zero_grad()
        loss.backward()
        ours_opt.step()
        return loss

    def torch_step():
        x, y = batches["theirs"][state["theirs"] % len(batches["theirs"])]
        state["theirs"] += 1
        loss = torch.nn.functional.cross_entropy(theirs(x), y)
        theirs_opt.zero_grad()
        loss.backward()
        theirs_opt.step()
        return loss

    return minigrad_step, torch_step


def make_batches(torch, x, y, batch_size, device, count, seed=0):
    order = np.random.default_rng(seed).permutation(len(y))
    picks = [order[i * batch_size:(i + 1) * batch_size] for i in range(count)]
    return {"ours": [(mg.tensor(x[p], device=device), mg.tensor(y[p], device=device)) for p in picks],
            "theirs": [(torch.tensor(x[p], device=device), torch.tensor(y[p], device=device)) for p in picks]}


def accuracy(model, x, y, to_tensor, no_grad):
    model.eval()
    with no_grad():
        predicted = model(to_tensor(x)).argmax(1)
    model.train()
    return float((np.asarray(predicted.cpu().numpy() if hasattr(predicted, "cpu") else predicted.numpy()) == y).mean())


def train_both(torch, device, data, epochs, batch_size, log):
    """15 epochs of each framework from the same weights on the same batches: accuracy and time."""
    x_train, y_train, x_test, y_test = data
    ours, theirs = twins(torch, device)
    results = {}
    for name, model in (("minigrad", ours), ("torch", theirs)):
        if name == "minigrad":
            optimizer, tensor = mg.optim.Adam(model.parameters(), lr=3e-3), lambda a: mg.tensor(a, device=device)
            loss_fn, no_grad = F.cross_entropy, mg.no_grad
        else:
            optimizer, tensor = torch.optim.Adam(model.parameters(), lr=3e-3), lambda a: torch.tensor(a, device=device)
            loss_fn, no_grad = torch.nn.functional.cross_entropy, torch.no_grad
        order_rng = np.random.default_rng(0)
        began = time.perf_counter()
        for _ in range(epochs):
            order = order_rng.permutation(len(y_train))
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                loss = loss_fn(model(tensor(x_train[batch])), tensor(y_train[batch]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        seconds = time.perf_counter() - began
        results[name] = {"test_accuracy": accuracy(model, x_test, y_test, tensor, no_grad), "train_seconds": seconds}
        log(f"{name:8s}: {epochs} epochs in {seconds:.1f} s, test accuracy {results[name]['test_accuracy']:.4f}")
    return results


def main():
    args = ARGS
    log = print
    try:
        import torch
    except ImportError:
        sys.exit("error: PyTorch is the peer of this benchmark: pip install torch==2.13.0")
    torch.set_num_threads(args.threads)
    device = mg.device(args.device)
    if device == "cuda" and not torch.cuda.is_available():
        sys.exit("error: --device cuda needs PyTorch with CUDA as well (for its side of the comparison)")
    sync = (lambda: (mg.cuda.synchronize(), torch.cuda.synchronize())) if device == "cuda" else None
    command = "python " + " ".join([sys.argv[0]] + sys.argv[1:])
    info = machine_info()
    log(f"command: {command}")
    log("\n".join(describe(info)))
    data = load_data()
    x_train, y_train = data[0], data[1]
    rounds = 1 if args.quick else args.rounds
    repeats = 3 if args.quick else 7

    # 1. the same computation: logits of one batch, then the first losses of identical steps
    ours, theirs = twins(torch, device)
    batches = make_batches(torch, x_train, y_train, args.batch_size, device, count=8)
    with mg.no_grad():
        ours_logits = ours(batches["ours"][0][0]).numpy()
    with torch.no_grad():
        theirs_logits = theirs(batches["theirs"][0][0]).cpu().numpy()
    logit_gap = float(np.abs(ours_logits - theirs_logits).max())
    minigrad_step, torch_step = step_functions(ours, theirs, torch, device, batches)
    losses = [(minigrad_step().item(), torch_step().item()) for _ in range(3)]
    loss_gap = max(abs(a - b) for a, b in losses)
    log(f"same weights: max |logit difference| {logit_gap:.2e}; first 3 training losses "
        f"{[round(a, 5) for a, _ in losses]} (minigrad) vs {[round(b, 5) for _, b in losses]} (PyTorch), "
        f"gap {loss_gap:.2e}")

    # 2. the training step, interleaved, several rounds
    ratios, rows = [], []
    load_before = load_average()
    for round_index in range(rounds):
        timings = measure([Peer("minigrad", minigrad_step, sync), Peer("torch", torch_step, sync)],
                          repeats=repeats, warmup=2)
        ratio = timings["minigrad"].median / timings["torch"].median
        ratios.append(ratio)
        rows.append({"minigrad_s": timings["minigrad"].median, "torch_s": timings["torch"].median, "ratio": ratio,
                     "load": load_average()})
        log(f"round {round_index + 1}/{rounds}: minigrad {format_seconds(timings['minigrad'].median)}, "
            f"PyTorch {format_seconds(timings['torch'].median)} -> {ratio:.2f}x (load {rows[-1]['load']})")
    median_ratio = statistics.median(ratios)
    log(f"training step, batch {args.batch_size}, {device}, {args.threads} thread(s): median minigrad/PyTorch = "
        f"{median_ratio:.2f}x over {rounds} round(s) (rounds: {', '.join(f'{r:.2f}x' for r in ratios)}); "
        f"load average {load_before} before, {load_average()} after, on {os.cpu_count()} cores")

    # 3. the whole training run, for the accuracy
    training = None
    if not args.no_train:
        training = train_both(torch, device, data, 1 if args.quick else args.epochs, args.batch_size, log)

    results = {"command": command, "machine": info, "device": str(device), "threads": args.threads,
               "batch_size": args.batch_size, "logit_gap": logit_gap, "loss_gap": loss_gap,
               "first_losses": losses, "rounds": rows, "median_ratio": median_ratio, "training": training,
               "parameters": sum(p.numel() for p in ours.parameters())}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
