"""``python -m minigrad.sentiment`` (or the ``minigrad`` command): train, evaluate, predict, explain, pretrain.

    python -m minigrad.sentiment train                                 # embedded corpus -> a new runs/embedded-N
    python -m minigrad.sentiment train --data path/to/SST-2 --out runs/sst2   # any GLUE-style folder
    python -m minigrad.sentiment train --resume runs/sst2              # continue an interrupted run exactly
    python -m minigrad.sentiment evaluate runs/sst2 --data path/to/SST-2
    python -m minigrad.sentiment predict runs/sst2 "the film was not good"
    echo "a joy" | python -m minigrad.sentiment predict runs/sst2
    python -m minigrad.sentiment explain runs/sst2 "the plot was dull but the acting was superb"
    python -m minigrad.sentiment pretrain --data path/to/SST-2 --out runs/mlm
    python -m minigrad.sentiment train --data path/to/SST-2 --init runs/mlm --out runs/sst2-ft

How long each takes is measured in the README ("Measured").  Every problem a user can fix (bad
option values, missing or malformed data, a run folder that would be overwritten, a damaged run
folder, no GPU) is printed as one ``error: ...`` line saying what to do, and the exit status is 2;
Ctrl-C keeps a checkpoint, says where, and exits with 130.
"""
from __future__ import annotations

import argparse
import math
import sys

from .recipe import PRETRAIN, PRETRAIN_TARGET_STEPS, describe_defaults


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


def open_fraction(text):
    """A number in (0, 1): the validation share."""
    value = _number(float, text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be above 0 and below 1, got {text}")
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
                            "exactly as if it had never stopped (only --device/--threads/--no-progress/"
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
    return parser


def main(argv=None, *, step_hook=None) -> int:
    """Run one command; returns the exit status (0 done, 2 a user mistake, 130 interrupted).
    ``step_hook(step)`` is called after every training step (tests stop training with it)."""
    from minigrad.data import DataError

    from . import commands
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
    try:
        commands.COMMANDS[args.command](args, step_hook=step_hook)
    except (CliError, RunFolderError, DataSourceError, DataError, FileNotFoundError) as error:
        print("error: " + " ".join(str(error).split()), file=sys.stderr)
        return 2
    except Stopped as stopped:
        print(str(stopped), file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted; a run folder being written keeps its last complete checkpoint", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
