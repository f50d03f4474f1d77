"""benchmarks/gpu_session.sh, the prepared run for a borrowed GPU, must not rot: its --dry-run runs
every step on the CUDA simulator at tiny sizes and packs the one archive, as on the GPU."""
import os
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STEPS = ("machine", "gpu_tests", "matmul", "softmax", "layernorm", "losses", "conv", "pool", "batchnorm",
         "crossover", "models", "summary")


def test_gpu_session_dry_run_runs_every_step_and_packs_one_archive(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1")
    env.pop("OUT", None)
    run = subprocess.run(["bash", str(REPO / "benchmarks" / "gpu_session.sh"), "--dry-run", "--out", str(tmp_path)],
                         cwd="/", env=env, capture_output=True, text=True, timeout=420)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert [p.name for p in tmp_path.iterdir()] == ["gpu_session.tar.gz"]  # one file comes back from the device
    with tarfile.open(tmp_path / "gpu_session.tar.gz") as archive:
        names = set(archive.getnames())
        steps = archive.extractfile("gpu_session/steps.txt").read().decode()
        summary = archive.extractfile("gpu_session/summary.md").read().decode()
    assert [line.split()[0] for line in steps.splitlines()] == list(STEPS)
    assert all("exit=0" in line for line in steps.splitlines()), steps
    assert {f"gpu_session/{s}.log" for s in STEPS} <= names
    assert {f"gpu_session/{f}" for f in ("ladders.jsonl", "crossover/results.json", "models/results.json")} <= names
    assert "ladder rungs checked: " in summary and "wrong or failed: 0" in summary
    assert "passed" in summary  # the tests' own summary line


def test_unknown_option_is_one_clear_error():
    run = subprocess.run(["bash", str(REPO / "benchmarks" / "gpu_session.sh"), "--fast"], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 2 and run.stderr.startswith("error: unknown option --fast")
