"""Benchmark: train the tiny Transformer from scratch on GLUE SST-2 and report dev accuracy and time.

    python benchmarks/sst2.py [SST2_DIR] [--epochs 3] [--threads 1] [--out runs/sst2-bench]

SST2_DIR defaults to $MINIGRAD_SST2_DIR, else ../shared/data/sst2 (relative to the current folder,
then to this repo).  The data are split as by ``python -m minigrad.sentiment train --data sst2``:
688 full sentences of train.tsv (their phrases removed from training) pick the best epoch;
the GLUE dev set is used once, for the number reported at the end.

The recipe is the command line's default (``minigrad/sentiment/recipe.py``; any setting can be
overridden here), and ``--models`` models that differ only in their seed make an ensemble whose
probabilities are averaged.  Each member's own dev accuracy is reported too.

If PyTorch is installed, the script also builds the *same* model in PyTorch (same architecture,
initial weights copied from the minigrad model), checks that both give the same logits, and times
training steps on identical batches in both; it reports the step-time ratio minigrad / PyTorch.

``--threads`` sets the number of BLAS threads (and PyTorch's intra-op threads).  It must be set
before NumPy is imported, hence the environment variables at the top.  One thread is the default:
the matrices of this small model are too small for a second thread to pay off, and on a busy
machine an OpenBLAS thread that waits for a core makes every matmul many times slower.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sst2_dir", nargs="?", default=None, help="folder with train.tsv and dev.tsv")
    # Every training setting defaults to the command line's (minigrad/sentiment/recipe.py), so this measures them.
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--d-model", type=int, default=None)
    parser.add_argument("--layers", type=int, default=None)
    parser.add_argument("--heads", type=int, default=None)
    parser.add_argument("--d-ff", type=int, default=None)
    parser.add_argument("--dropout", type=float, default=None)
    parser.add_argument("--pooling", default=None, choices=("cls", "mean", "max"))
    parser.add_argument("--ngram-widths", default=None, help="n-gram detector widths, e.g. 3,4,5; none = off")
    parser.add_argument("--ngram-channels", type=int, default=None)
    parser.add_argument("--activation", default="relu", choices=("relu", "gelu"))
    parser.add_argument("--label-smoothing", type=float, default=None)
    parser.add_argument("--min-freq", type=int, default=None, help="words seen fewer times become <unk>")
    parser.add_argument("--max-train", type=int, default=None)
    parser.add_argument("--ema", type=float, default=None,
                        help="decay of the moving average of the weights that is validated and kept (0: off)")
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument("--models", type=int, default=3,
                        help="train this many models (seeds seed, seed+1, ...) and average their probabilities")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--torch-steps", type=int, default=40, help="steps timed in each framework (0: skip)")
    parser.add_argument("--out", default=None, help="also save the trained run folder here")
    parser.add_argument("--json", default=None, help="write the results as JSON to this file")
    return parser.parse_args(argv)


ARGS = parse_args()
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(ARGS.threads)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from minigrad.sentiment.datasets import load_sentiment_data  # noqa: E402
from minigrad.sentiment.encoding import SentenceEncoder, build_vocab  # noqa: E402
from minigrad.sentiment.model import TransformerClassifier  # noqa: E402
from minigrad.sentiment.metrics import classification_metrics  # noqa: E402
from minigrad.sentiment.recipe import train_defaults  # noqa: E402
from minigrad.sentiment.train import TrainOptions, batches, fit, predict_proba  # noqa: E402

from benchmarks.torch_twin import build_torch_twin  # noqa: E402


def find_sst2_dir(given):
    if given is not None:
        return Path(given)
    for candidate in (Path(os.environ.get("MINIGRAD_SST2_DIR") or Path("..") / "shared" / "data" / "sst2"),
                      Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "sst2"):
        if (candidate / "train.tsv").is_file():
            return candidate
    sys.exit("no SST-2 found in $MINIGRAD_SST2_DIR or ../shared/data/sst2; pass the folder holding train.tsv and dev.tsv "
             "(get it with: python -c \"from minigrad.data import download_sst2; download_sst2('DIR')\")")


def compare_with_torch(model, encoder, train, args, log):
    """Step-time ratio minigrad / PyTorch on identical batches, from identical initial weights."""
    try:
        import torch
    except ImportError:
        log("PyTorch not installed: skipping the speed comparison (pip install torch==2.13.0)")
        return None
    torch.set_num_threads(args.threads)
    twin = build_torch_twin(model)
    id_lists = encoder.encode_all(train.texts[: args.batch_size * (args.torch_steps + 5)])
    batch_list = list(batches(id_lists, train.labels, encoder, args.batch_size, shuffle=True, seed=123))

    model.eval()
    twin.eval()
    ids, mask, _ = batch_list[0]
    with mg.no_grad():
        ours = model(mg.tensor(ids), mg.tensor(mask)).numpy()
    with torch.no_grad():
        theirs = twin(torch.tensor(ids), torch.tensor(mask)).numpy()
    max_difference = float(np.abs(ours - theirs).max())
    log(f"same weights, same batch: max |logits difference| minigrad vs PyTorch = {max_difference:.2e}")

    def time_steps(step):
        step(batch_list[0])  # warm-up (first-call costs)
        began = time.perf_counter()
        for batch in batch_list[1:1 + args.torch_steps]:
            step(batch)
        return (time.perf_counter() - began) / min(args.torch_steps, len(batch_list) - 1)

    import minigrad.nn.functional as F
    model.train()
    ours_opt = mg.optim.AdamW(model.parameters(), lr=1e-4)

    def minigrad_step(batch):
        ids, mask, labels = batch
        loss = F.cross_entropy(model(mg.tensor(ids), mg.tensor(mask)), mg.tensor(labels), label_smoothing=0.1)
        ours_opt.zero_grad()
        loss.backward()
        ours_opt.step()

    twin.train()
    theirs_opt = torch.optim.AdamW(twin.parameters(), lr=1e-4)

    def torch_step(batch):
        ids, mask, labels = batch
        loss = torch.nn.functional.cross_entropy(twin(torch.tensor(ids), torch.tensor(mask)),
                                                 torch.tensor(labels), label_smoothing=0.1)
        theirs_opt.zero_grad()
        loss.backward()
        theirs_opt.step()

    ours_time = time_steps(minigrad_step)
    theirs_time = time_steps(torch_step)
    ratio = ours_time / theirs_time
    log(f"training step, batch {args.batch_size}: minigrad {ours_time * 1000:.1f} ms, PyTorch "
        f"{theirs_time * 1000:.1f} ms -> minigrad/PyTorch = {ratio:.2f}x ({args.threads} thread(s))")
    return {"minigrad_step_ms": ours_time * 1000, "torch_step_ms": theirs_time * 1000, "ratio": ratio,
            "max_logit_difference": max_difference, "torch_version": torch.__version__}


def main():
    args = ARGS
    log = print
    command = "python " + " ".join([sys.argv[0]] + sys.argv[1:])
    folder = find_sst2_dir(args.sst2_dir)
    log(f"command: {command}")
    log(f"SST-2 from {folder.resolve()}, {args.threads} BLAS thread(s)")

    began = time.perf_counter()
    mg.manual_seed(args.seed)
    data = load_sentiment_data("sst2", folder, max_train=args.max_train, seed=args.seed)
    recipe = train_defaults("sst2", len(data.train))
    for name in ("epochs", "batch_size", "lr", "d_model", "layers", "heads", "d_ff", "dropout", "pooling",
                 "label_smoothing", "min_freq", "ema", "patience", "ngram_widths", "ngram_channels"):
        if getattr(args, name) is None:
            setattr(args, name, recipe[name])
    if isinstance(args.ngram_widths, str):
        args.ngram_widths = () if args.ngram_widths in ("0", "none") else tuple(map(int, args.ngram_widths.split(",")))
    vocab = build_vocab(data.train.texts, min_freq=args.min_freq)
    encoder = SentenceEncoder(vocab, max_len=64)
    config = dict(vocab_size=len(vocab), d_model=args.d_model, n_heads=args.heads, n_layers=args.layers,
                  d_ff=args.d_ff, max_len=64, dropout=args.dropout, pooling=args.pooling,
                  activation=args.activation, ngram_widths=args.ngram_widths, ngram_channels=args.ngram_channels)
    log(f"train {len(data.train)} / val (held out from train) {len(data.val)} / dev {len(data.test)} sentences, "
        f"vocabulary {len(vocab)} words")

    speed = None
    if args.torch_steps > 0:
        mg.manual_seed(args.seed + 1)
        speed = compare_with_torch(TransformerClassifier(**config), encoder, data.train, args, log)

    # An ensemble: each model differs only in its seed (initial weights, batch order, dropout);
    # averaging their probabilities cancels part of each one's own errors.
    members, dev_probabilities = [], []
    train_began = time.perf_counter()
    for member in range(args.models):
        seed = args.seed + member
        mg.manual_seed(seed)
        model = TransformerClassifier(**config)
        options = TrainOptions(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                               label_smoothing=args.label_smoothing, unk_dropout=recipe["unk_dropout"], seed=seed,
                               ema_decay=args.ema, patience=args.patience, progress=None)
        log(f"model {member + 1} of {args.models} (seed {seed})")
        history = fit(model, encoder, data.train, data.val, options, log=log)
        probabilities = predict_proba(model, encoder, data.test.texts)
        dev_probabilities.append(probabilities)
        member_dev = classification_metrics(data.test.labels, probabilities.argmax(axis=1), 2)
        members.append({"seed": seed, "dev_accuracy": member_dev["accuracy"], "best_epoch": history["best_epoch"],
                        "best_val_accuracy": history["best_val_accuracy"], "train_seconds": history["train_seconds"]})
        log(f"model {member + 1}: SST-2 dev accuracy {member_dev['accuracy']:.4f}")
        if args.out and member == 0:
            from minigrad.sentiment import run_folder
            run_folder.save_run(args.out, model, vocab, kind="classifier", label_names=data.label_names,
                                training=dict(options.__dict__, data="sst2"),
                                metrics={"history": history, "test": member_dev, "test_name": "dev"})
    train_seconds = time.perf_counter() - train_began
    averaged = np.mean(dev_probabilities, axis=0)
    dev = classification_metrics(data.test.labels, averaged.argmax(axis=1), 2)
    wall = time.perf_counter() - began
    results = {"command": command, "dev_accuracy": dev["accuracy"], "dev": dev, "models": members,
               "ema_decay": args.ema, "train_seconds": train_seconds, "wall_seconds": wall,
               "threads": args.threads, "model": config, "speed_vs_torch": speed}
    singles = ", ".join(f"{m['dev_accuracy']:.4f}" for m in members)
    log(f"SST-2 dev accuracy {dev['accuracy']:.4f} (F1 {dev['f1']:.4f}, average of {args.models} model(s); "
        f"single models: {singles}); training {train_seconds:.0f} s, "
        f"total wall time {wall:.0f} s (including the PyTorch comparison)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
