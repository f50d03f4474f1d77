"""benchmarks/cnn.py runs end to end (quick mode) and compares equal computations.

No speed is asserted (timings depend on the machine); the script must run, write its JSON, and show
that minigrad and PyTorch computed the same logits and losses from the same weights."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_cnn_benchmark_quick_run(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    out = tmp_path / "cnn.json"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    completed = subprocess.run([sys.executable, "benchmarks/cnn.py", "--quick", "--json", str(out)], cwd=REPO,
                               env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    results = json.loads(out.read_text())
    assert results["parameters"] == 6186
    assert results["logit_gap"] < 1e-4 and results["loss_gap"] < 1e-4
    assert results["median_ratio"] > 0 and len(results["rounds"]) == 1
    for framework in ("minigrad", "torch"):
        assert 0.5 < results["training"][framework]["test_accuracy"] <= 1.0   # one epoch learns something
    assert "median minigrad/PyTorch" in completed.stdout
