"""Benchmark: the sentiment defaults on a small *sentence-level* data set, built from SST-2 at run time.

    python benchmarks/sst2_sentences.py [SST2_DIR] [--work DIR] [--seed 0] [-- extra train options]

Why: SST-2's train.tsv has 67,349 rows, but only ~6,900 are full sentences; the rest are their
phrases, each labelled.  Most sentiment data sets a user brings are just sentences (the common
movie-review polarity sets have ~10,000 of them, split 90/10), and a recipe tuned on 67,000 rows
can under-train on them.  This script measures the defaults on such data.

The data set (never stored in the repository; written to ``--work``, a temporary folder by default):

* ``train.tsv``: the rows of SST-2's train.tsv that are inside no longer row
  (``minigrad.data.longest_rows``): the full training sentences, 6,885 of them;
* ``dev.tsv``: SST-2's dev.tsv as it is, 872 full sentences: the reported score.

That is 89% / 11% of the 7,757 labelled full sentences SST-2 has (GLUE keeps the test labels
secret, so a larger sentence-level set cannot be built from it).  The run is then exactly what a
user would type: ``python -m minigrad.sentiment train --data WORK/sst2-sentences`` with every
default (10% of train.tsv is held out for validation).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minigrad.data import load_glue_sst2, longest_rows  # noqa: E402
from minigrad.sentiment.datasets import resolve_sst2_dir  # noqa: E402


def write_sentence_level_sst2(sst2_dir, folder) -> Path:
    """Write ``folder/train.tsv`` (SST-2's full training sentences) and ``folder/dev.tsv`` (SST-2 dev)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train = load_glue_sst2(sst2_dir, "train")
    sentences = [train[i] for i in longest_rows([text for text, _ in train])]
    for name, rows in (("train.tsv", sentences), ("dev.tsv", load_glue_sst2(sst2_dir, "dev"))):
        lines = ["sentence\tlabel"] + [f"{text}\t{label}" for text, label in rows]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sst2_dir", nargs="?", default=None, help="SST-2 folder (default: as for --data sst2)")
    parser.add_argument("--work", default=None, help="folder for the data set and the run (default: a temporary one)")
    parser.add_argument("--seed", default="0")
    args, extra = parser.parse_known_args(argv)
    extra = [option for option in extra if option != "--"]
    from minigrad.sentiment import cli

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="sst2-sentences-"))
    data = write_sentence_level_sst2(resolve_sst2_dir(args.sst2_dir), work / "sst2-sentences")
    print(f"sentence-level SST-2 written to {data}")
    out = work / f"run-seed{args.seed}"
    began = time.perf_counter()
    status = cli.main(["train", "--data", str(data), "--out", str(out), "--force", "--seed", args.seed] + extra)
    print(f"exit status {status}; wall time {time.perf_counter() - began:.0f} s; run folder {out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
