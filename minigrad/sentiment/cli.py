"""``python -m minigrad.sentiment`` (or the ``minigrad`` command): train, evaluate, predict, explain, pretrain,
compress.

    python -m minigrad.sentiment train                                 # embedded corpus -> a new runs/embedded-N
    python -m minigrad.sentiment train --data path/to/SST-2 --out runs/sst2   # any GLUE-style folder
    python -m minigrad.sentiment train --resume runs/sst2              # continue an interrupted run exactly
    python -m minigrad.sentiment evaluate runs/sst2 --data path/to/SST-2
    python -m minigrad.sentiment predict runs/sst2 "the film was not good"
    echo "a joy" | python -m minigrad.sentiment predict runs/sst2
    python -m minigrad.sentiment explain runs/sst2 "the plot was dull but the acting was superb"
    python -m minigrad.sentiment pretrain --data path/to/SST-2 --out runs/mlm
    python -m minigrad.sentiment train --data path/to/SST-2 --init runs/mlm --out runs/sst2-ft
    python -m minigrad.sentiment serve runs/sst2                       # JSON API + web page on 127.0.0.1:8000
    mpiexec -n 2 python -m minigrad.sentiment train --distributed    # data parallel on 2 processes (MPI)
    python -m minigrad.sentiment train --data sst2 --d-model 16 --heads 2 --d-ff 32 --teacher runs/sst2
    python -m minigrad.sentiment compress runs/sst2 --quantize int8      # or --prune 0.5, --low-rank 0.5

How long each takes is measured in the README ("Measured").  Every problem a user can fix (bad
option values, missing or malformed data, a run folder that would be overwritten, a damaged run
folder, no GPU) is printed as one ``error: ...`` line saying what to do, and the exit status is 2;
Ctrl-C keeps a checkpoint, says where, and exits with 130.
"""
from __future__ import annotations

import argparse
import math
import sys

from .recipe import DISTILLATION, PRETRAIN, PRETRAIN_TARGET_STEPS, describe_defaults


class CliError(Exception):
    """A problem the user can fix; main() prints it as one line, without a traceback."""


class Stopped(Exception):
    """Training was interrupted after a checkpoint; the message says what was kept (exit status 130)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one ``error:`` line (argparse prints the whole usage first)."""

    def error(self, message):
        print(f"error: {message} (see: {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


# ------------------------------------------------------------------ option value checks
def _number(kind, text):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def device_name(text):
    """--device, parsed by minigrad's one device parser (the same as Tensor.to and mg.load)."""
    from minigrad.backends import check_device
    try:
        return str(check_device(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_int(text):
    value = _number(int, text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text):
    value = _number(int, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text):
    value = _number(float, text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def non_negative_float(text):
    value = _number(float, text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def fraction(text):
    """A number in [0, 1): dropout, label smoothing, the weight average's decay."""
    value = _number(float, text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def unit_interval(text):
    """A number in [0, 1]: the weight of the teacher's term in distillation."""
    value = _number(float, text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def open_fraction(text):
    """A number in (0, 1): the validation share."""
    value = _number(float, text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and below 1, got {text}")
    return value


def port_number(text):
    value = _number(int, text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port from 0 to 65535 (0 = any free port), got {value}")
    return value


def width_list(text):
    """--ngram-widths: positive whole numbers separated by commas, or 0 / none for no n-gram detectors."""
    if text.strip().lower() in ("0", "none"):
        return ()
    try:
        widths = tuple(int(part) for part in text.split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"expected window widths separated by commas (e.g. 3,4,5), or none, "
                                         f"got {text!r}")
    return widths


def label_list(text):
    names = [name.strip() for name in text.split(",")]
    if len(names) < 2 or not all(names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"expected at least two different class names separated by commas "
                                         f"(e.g. negative,positive), got {text!r}")
    return names


# ------------------------------------------------------------------ the parser
def distributed_option(p):
    p.add_argument("--distributed", action="store_true",
                   help="train data-parallel on the processes of an MPI launch: mpiexec -n N python -m "
                        "minigrad.sentiment train --distributed ... (needs minigrad[distributed]); each process "
                        "computes 1/N of every batch, --batch-size and --lr stay the whole batch's, rank 0 writes "
                        "the run folder")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m minigrad.sentiment",
                     description="A tiny Transformer that reads sentiment, built on minigrad.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    formatter = argparse.RawDescriptionHelpFormatter

    def data_options(p, default="embedded", labelled=True):
        p.add_argument("--data", default=default,
                       help=f"embedded (generated corpus, no download); sst2 (GLUE SST-2 from --sst2-dir, "
                            "$MINIGRAD_SST2_DIR or ../shared/data/sst2); a folder with train.tsv and dev.tsv "
                            "(+ test.tsv; .csv and .jsonl too), the GLUE layout; a folder with one CLASS.txt "
                            "file per class; or one labelled .tsv/.csv/.jsonl file"
                            + ("" if labelled else "; or a text file with one sentence per line")
                            + f" (default {default})")
        p.add_argument("--sst2-dir", default=None, help="with --data sst2: the folder holding SST-2's train.tsv and "
                                                         "dev.tsv (default $MINIGRAD_SST2_DIR, else ../shared/data/sst2)")
        p.add_argument("--text-column", default=None,
                       help="the column (or JSON key) holding the text (default: 'sentence' or 'text')")
        if labelled:
            p.add_argument("--label-column", default=None, help="the column (or JSON key) holding the label "
                                                                 "(default: 'label')")

    def tokenizer_options(p, what):
        p.add_argument("--tokenizer", choices=("word", "bpe"), default=None,
                       help=f"word: one id per word, unseen words become <unk> (default); bpe: byte-pair-encoding "
                            f"sub-word pieces learned from the {what} only, so unseen words still get pieces")
        p.add_argument("--bpe-vocab-size", type=positive_int, default=4000,
                       help="with --tokenizer bpe: the number of pieces to learn, specials included (default 4000)")

    def device_options(p):
        p.add_argument("--device", default="cpu", type=device_name,
                       help="cpu (NumPy, default), cuda (an NVIDIA GPU, needs minigrad[gpu]) or cudasim "
                            "(minigrad's CUDA kernels in Numba's simulator: very slow, for learning)")
        p.add_argument("--threads", type=positive_int, default=1,
                       help="BLAS threads for NumPy's matrix products (default 1: fastest for this small model, "
                            "and robust on a busy machine)")

    def run_options(p, kind):
        p.add_argument("--out", default=None,
                       help=f"the run folder to write (default: a new folder runs/{kind}NAME-N, printed at the start)")
        p.add_argument("--force", action="store_true",
                       help="replace the run already in --out (it stays until the new run's first checkpoint)")
        p.add_argument("--resume", default=None, metavar="RUN",
                       help="continue the interrupted run RUN with its own settings, data and random state: it ends "
                            "exactly as if it had never stopped (only --device/--threads/--no-progress/--distributed/"
                            "--checkpoint-minutes may be given with it; default: start a new run)")
        p.add_argument("--checkpoint-minutes", type=positive_float, default=5.0,
                       help="also write a checkpoint inside an epoch after this many minutes (default 5); one is "
                            "always written after every epoch and on Ctrl-C")
        p.add_argument("--no-progress", action="store_true",
                       help="no progress bar (it is shown only when stderr is a terminal anyway)")

    train = commands.add_parser("train", help="train a classifier and write a run folder", formatter_class=formatter,
                                epilog=describe_defaults())
    data_options(train)
    train.add_argument("--labels", type=label_list, default=None, metavar="A,B,...",
                       help="the classes in id order; file labels may then be these names or their ids 0, 1, ... "
                            "(default: learned from the training file; numbers in numeric order, words alphabetically)")
    run_options(train, "")
    device_options(train)
    train.add_argument("--epochs", type=positive_int, help="passes over the training data (default: from the data)")
    train.add_argument("--batch-size", type=positive_int, help="sentences per step (default: from the data)")
    train.add_argument("--lr", type=positive_float, help="peak learning rate of AdamW (default: from the data)")
    train.add_argument("--d-model", type=positive_int, help="width of the token vectors (default 64)")
    train.add_argument("--layers", type=positive_int, help="Transformer layers (default 2)")
    train.add_argument("--heads", type=positive_int, help="attention heads; must divide --d-model (default 4)")
    train.add_argument("--d-ff", type=positive_int, help="feed-forward width (default 2 * d_model)")
    train.add_argument("--dropout", type=fraction, help="dropout probability, in [0, 1) (default: from the data)")
    train.add_argument("--pooling", choices=("cls", "mean", "max"),
                       help="sentence vector: the <cls> position, or the mean or the maximum over the words "
                            "(default: from the data)")
    train.add_argument("--ngram-widths", type=width_list, metavar="W,W,...",
                       help="n-gram detectors beside the Transformer: convolution filters over this many consecutive "
                            "words, each sentence keeping each filter's strongest response; none = off "
                            "(default: from the data)")
    train.add_argument("--ngram-channels", type=positive_int, help="filters per n-gram width (default: from the data)")
    train.add_argument("--label-smoothing", type=fraction, help="in [0, 1) (default: from the data)")
    train.add_argument("--ema", type=fraction, help="decay of the moving average of the weights that is validated "
                                                    "and kept, in [0, 1); 0 = off (default: from the data)")
    train.add_argument("--min-freq", type=positive_int, help="word tokenizer: keep words seen this often "
                                                             "(default: from the data)")
    train.add_argument("--word-dropout", type=fraction, help="share of training words replaced by <unk> at each "
                                                             "step, in [0, 1) (default: from the data)")
    train.add_argument("--patience", type=positive_int, help="stop after this many epochs without a better "
                                                             "validation score (default: from the data)")
    train.add_argument("--val-fraction", type=open_fraction, default=0.1,
                       help="share of the training rows held out for validation (at most 2,000; default 0.1)")
    train.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    train.add_argument("--init", default=None, metavar="RUN",
                       help="start from the weights of a pretrain (or train) run folder (its tokenizer and model sizes "
                            "are reused; default: random weights)")
    tokenizer_options(train, "training sentences")
    train.add_argument("--max-train", type=positive_int, default=None, help="use at most N training sentences (default: all)")
    distributed_option(train)
    train.add_argument("--teacher", action="append", default=None, metavar="RUN",
                       help="knowledge distillation: also learn from the softened probabilities of this trained "
                            "classifier run; repeat for an ensemble, whose probabilities are averaged (see "
                            "minigrad/sentiment/distill.py; default: none, the labels only)")
    train.add_argument("--temperature", type=positive_float, help="with --teacher: the softening temperature T "
                                                                  f"(default {DISTILLATION['temperature']:g})")
    train.add_argument("--alpha", type=unit_interval, help="with --teacher: the weight of the teacher's term, in "
                                                           "[0, 1]; the labels get 1 - alpha "
                                                           f"(default {DISTILLATION['alpha']:g})")

    evaluate = commands.add_parser("evaluate", help="score a run folder on a data set")
    evaluate.add_argument("run_dir")
    data_options(evaluate)
    device_options(evaluate)

    predict = commands.add_parser("predict", help="label sentences (arguments, or one per line on stdin)")
    predict.add_argument("run_dir")
    predict.add_argument("sentences", nargs="*", help="sentences to label (default: read stdin, skipping empty lines)")
    device_options(predict)

    explain = commands.add_parser("explain", help="attention heatmaps and per-token saliency for one sentence "
                                                  "(words, or sub-word pieces for a bpe run)")
    explain.add_argument("run_dir")
    explain.add_argument("sentence")
    explain.add_argument("--out", default=None, help="folder for the PNGs (default: RUN_DIR/explain)")
    explain.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                         help="colour the saliency line: auto = only on a terminal, and not when NO_COLOR is set "
                              "(default auto)")
    explain.add_argument("--no-color", dest="color", action="store_const", const="never", help="same as --color never")
    device_options(explain)

    compress_options(commands.add_parser(
        "compress", help="a cheaper copy of a trained classifier in a new run folder: int8 weights, pruning, or a "
                         "low-rank factorization (see minigrad/sentiment/compress.py)"), device_options)

    pretrain = commands.add_parser("pretrain", help="masked-token pre-training on unlabelled text (a treebank's "
                                                    "full sentences only: its phrases repeat them)")
    data_options(pretrain, default="sst2", labelled=False)
    run_options(pretrain, "pretrain-")
    device_options(pretrain)
    p = PRETRAIN
    pretrain.add_argument("--epochs", type=positive_int, help=f"default: about {PRETRAIN_TARGET_STEPS:,} steps' "
                                                             "worth (at least 2, at most 200)")
    pretrain.add_argument("--batch-size", type=positive_int, help=f"default {p['batch_size']}")
    pretrain.add_argument("--lr", type=positive_float, help=f"default {p['lr']}")
    pretrain.add_argument("--d-model", type=positive_int, help=f"default {p['d_model']}")
    pretrain.add_argument("--layers", type=positive_int, help=f"default {p['layers']}")
    pretrain.add_argument("--heads", type=positive_int, help=f"must divide --d-model (default {p['heads']})")
    pretrain.add_argument("--d-ff", type=positive_int, help="default 2 * d_model")
    pretrain.add_argument("--dropout", type=fraction, help=f"in [0, 1) (default {p['dropout']})")
    pretrain.add_argument("--min-freq", type=positive_int,
                          help=f"word tokenizer: keep words seen this often (default {p['min_freq']})")
    pretrain.add_argument("--span", type=positive_int,
                          help=f"hide spans of this many words instead of single words (default {p['span']})")
    tokenizer_options(pretrain, "pre-training sentences")
    pretrain.add_argument("--max-train", type=positive_int, default=None, help="use at most N sentences (default: all)")
    pretrain.add_argument("--seed", type=int, default=0, help="default 0")

    serve = commands.add_parser("serve", help="serve a run folder: a JSON API (POST /predict, POST /explain, "
                                              "GET /health) and a web page at / that shows the model's reasoning")
    serve.add_argument("run_dir")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; only loopback addresses without --allow-remote)")
    serve.add_argument("--port", type=port_number, default=8000, help="TCP port (default 8000; 0 = any free port)")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a --host that other machines can reach (the server has no authentication)")
    serve.add_argument("--max-texts", type=positive_int, default=64, help="sentences per /predict request (default 64)")
    serve.add_argument("--max-chars", type=positive_int, default=2000, help="characters per sentence (default 2000)")
    serve.add_argument("--quiet", action="store_true", help="do not log each request on stderr")
    device_options(serve)
    return parser


def compress_options(compress, device_options):
    """The options of ``compress`` (what each method does: minigrad/sentiment/compress.py)."""
    compress.add_argument("run_dir", help="the trained classifier run to compress (it is left as it is)")
    method = compress.add_mutually_exclusive_group(required=True)
    one = "; one of the four methods is required, there is no default"
    method.add_argument("--quantize", choices=("int8",), help="int8 weights (a scale per row), activations per batch"
                                                              + one)
    method.add_argument("--prune", type=open_fraction, metavar="FRACTION",
                        help="set this share of every weight matrix to 0 (smallest magnitudes), with fine-tuning" + one)
    method.add_argument("--low-rank", type=open_fraction, metavar="FRACTION",
                        help="replace each Linear/Embedding whose factors are smaller by two through a truncated SVD "
                             "keeping this share of its rank, then fine-tune" + one)
    method.add_argument("--low-rank-energy", type=open_fraction, metavar="ENERGY",
                        help="as --low-rank, keeping the fewest singular values that hold this share of the energy"
                             + one)
    compress.add_argument("--prune-steps", type=positive_int, default=2,
                          help="with --prune: rounds of pruning, each followed by fine-tuning (default 2)")
    compress.add_argument("--fine-tune-epochs", type=non_negative_int, default=1,
                          help="epochs of fine-tuning after pruning (per round) or factorizing; 0 = none (default 1)")
    compress.add_argument("--fine-tune-lr", type=positive_float,
                          help="peak learning rate of the fine-tuning (default: a quarter of the run's)")
    compress.add_argument("--sst2-dir", default=None, help="where SST-2 is, for a run trained on --data sst2 "
                                                           "(default: as when it was trained)")
    compress.add_argument("--out", default=None, help="the run folder to write (default: a new folder RUN-int8-N, "
                                                      "RUN-pruned-N or RUN-lowrank-N beside RUN)")
    compress.add_argument("--force", action="store_true", help="replace the run already in --out")
    compress.add_argument("--no-progress", action="store_true", help="no progress bar while fine-tuning (it is shown "
                                                                     "only when stderr is a terminal anyway)")
    device_options(compress)


def main(argv=None, *, step_hook=None) -> int:
    """Run one command; returns the exit status (0 done, 2 a user mistake, 130 interrupted).
    ``step_hook(step)`` is called after every training step (tests stop training with it)."""
    from minigrad.data import DataError

    from . import commands, data_parallel
    from .datasets import DataSourceError
    from .run_folder import RunFolderError

    from threadpoolctl import threadpool_limits

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help (0), or an option mistake already printed as one line (2)
        return done.code
    # This model's matrices are small (e.g. 1536 x 64 @ 64 x 192): a second BLAS thread saves little,
    # and on a busy machine a BLAS thread waiting for a core made each product ~20x slower (measured).
    threadpool_limits(args.threads, user_api="blas")
    data_parallel.forget()
    # report_failure prints the line (once, on rank 0, for a --distributed run: data_parallel.py)
    try:
        commands.COMMANDS[args.command](args, step_hook=step_hook)
    except (CliError, RunFolderError, DataSourceError, DataError, FileNotFoundError,
            data_parallel.DataParallelError) as error:
        return data_parallel.report_failure("error: " + " ".join(str(error).split()), 2)
    except Stopped as stopped:
        return data_parallel.report_failure(str(stopped), 130)
    except KeyboardInterrupt:
        return data_parallel.report_failure("interrupted; a run folder being written keeps its last complete "
                                            "checkpoint", 130)
    except Exception:
        data_parallel.crashed()   # a --distributed run: print the traceback, stop every process
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
