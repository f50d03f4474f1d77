"""Make the trained run folder that lessons 13 and 14 load: ``lessons/trained/sentiment_embedded/``.

It is the command-line recipe on the embedded corpus (``python -m minigrad.sentiment train``, seed 0:
8000 generated sentences, a 2-layer pre-norm Transformer of width 64, 6 epochs of AdamW with warm-up
and cosine decay), which lesson 12 also trains step by step. Shipping its result (about 0.4 MB)
keeps lessons 13 and 14 fast and their discussion of the model's mistakes tied to fixed numbers.

Run from the repository root (about 15 s on 2 idle cores):

    python lessons/_src/make_runs.py            # refuses to replace an existing folder
    python lessons/_src/make_runs.py --force    # replace it

The curves picture is left out to keep the repository small; config.json, vocab.json, the weights
and metrics.json are what ``minigrad.sentiment.load_run`` and the lessons read.  (The shipped folder
predates safetensors: its weights are ``weights.mg``, which still loads; a run made now writes
``weights.safetensors``.)
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LESSONS = Path(__file__).resolve().parents[1]
TARGET = LESSONS / "trained" / "sentiment_embedded"
COMMAND = ["-m", "minigrad.sentiment", "train", "--data", "embedded", "--seed", "0", "--threads", "1",
           "--no-progress"]
KEEP = ("config.json", "vocab.json", "weights.safetensors", "metrics.json")


def main(argv):
    if TARGET.exists() and "--force" not in argv:
        print(f"error: {TARGET} exists; pass --force to replace it", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "run"
        start = time.perf_counter()
        subprocess.run([sys.executable, *COMMAND, "--out", str(out)], check=True, cwd=LESSONS.parent)
        seconds = time.perf_counter() - start
        staged = Path(scratch) / "staged"
        staged.mkdir()
        for name in KEEP:
            shutil.copy2(out / name, staged / name)
        if TARGET.exists():
            shutil.rmtree(TARGET)
        TARGET.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), TARGET)          # the folder appears whole, never half old and half new
    print(f"wrote {TARGET.relative_to(LESSONS.parent)} in {seconds:.0f} s: python {' '.join(COMMAND)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
