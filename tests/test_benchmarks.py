"""The benchmark harness runs end to end and writes a well-formed report.

No test here asserts a speed: timings depend on the machine.  They check that every suite ran
without error, that results.json / report.md / the figures exist and hold what they claim, and
that the hand-written NumPy and PyTorch contestants compute the same losses as minigrad (a
benchmark that compares different computations would be meaningless).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_benchmarks(out_dir, *args, extra_env=None):
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg", **(extra_env or {}))
    # one BLAS thread: the test suite may run in parallel (pytest-xdist) and threads would fight
    completed = subprocess.run([sys.executable, "-m", "benchmarks", *args, "--quick", "--threads", "1",
                                "--out", str(out_dir)],
                               cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout


def check_results_folder(out_dir, expected_suites, device):
    payload = json.loads((out_dir / "results.json").read_text())
    assert payload["machine"]["cores"] == os.cpu_count()
    assert payload["machine"]["versions"]["numpy"]
    ran = {(r["suite"], r["device"]) for r in payload["results"]}
    assert ran == {(s, device) for s in expected_suites}
    report = (out_dir / "report.md").read_text()
    for result in payload["results"]:
        assert result["error"] is None, result["error"]
        assert result["tables"], f"{result['suite']} produced no table"
        for table in result["tables"]:
            assert table["rows"], f"empty table {table['title']}"
            assert all(len(row) == len(table["columns"]) for row in table["rows"])
            assert table["title"] in report
        for figure in result["figures"]:
            path = out_dir / figure
            assert path.read_bytes()[:8] == PNG_MAGIC, f"{figure} is not a PNG"
            assert f"]({figure})" in report
    return payload


def records(payload, suite):
    return next(r for r in payload["results"] if r["suite"] == suite)["records"]


@pytest.fixture(scope="module")
def cpu_quick_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bench_cpu")
    stdout = run_benchmarks(out_dir, "--device", "cpu")
    return out_dir, stdout, json.loads((out_dir / "results.json").read_text())


def test_cpu_quick_run_writes_a_complete_report(cpu_quick_run):
    out_dir, stdout, _ = cpu_quick_run
    payload = check_results_folder(out_dir, ["ops", "overhead", "models"], "cpu")
    assert "small-MLP training step" in stdout
    figures = [f for r in payload["results"] for f in r["figures"]]
    assert any(f.startswith("ops_cpu_matmul") for f in figures)


def test_ops_records_rates_against_measured_peaks(cpu_quick_run):
    _, _, payload = cpu_quick_run
    ops = records(payload, "ops")
    peaks = ops[0]["peaks"]
    assert peaks["gflops"] > 0 and peaks["gbps"] > 0
    measured = {(r["op"], r["pass_"]) for r in ops[1:]}
    for op in ("matmul", "relu", "softmax", "cross_entropy", "layer_norm"):
        assert (op, "forward") in measured and (op, "forward+backward") in measured
    assert ("adam_step", "step") in measured
    for r in ops[1:]:
        assert r["seconds"]["minigrad"] > 0 and r["seconds"]["numpy"] > 0
        assert r["fraction_of_peak"] == pytest.approx(r["minigrad_rate"] / r["peak"])


def test_mlp_contestants_compute_the_same_step(cpu_quick_run):
    _, _, payload = cpu_quick_run
    steps = [r for r in records(payload, "overhead") if r.get("kind") == "mlp_step"]
    assert {r["optimizer"] for r in steps} == {"sgd", "adam"}
    for r in steps:
        assert set(r["losses"]) >= {"minigrad", "numpy"}
        assert r["max_loss_difference"] < 1e-4
        assert r["minigrad_slowdown"]["numpy"] == pytest.approx(r["seconds"]["minigrad"] / r["seconds"]["numpy"])


def test_models_suite_copies_weights_into_torch(cpu_quick_run):
    pytest.importorskip("torch")
    _, _, payload = cpu_quick_run
    models = records(payload, "models")
    kinds = {(r["model"].split()[0], r["kind"]) for r in models}
    assert kinds == {(m, k) for m in ("MLP", "Transformer") for k in ("training step", "inference batch")}
    for r in models:
        assert r["max_loss_difference"] < 1e-3
        assert "torch" in r["seconds"]


def test_overhead_script_runs_standalone():
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("PYTHONPATH", None)
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "1"
    completed = subprocess.run([sys.executable, str(REPO / "benchmarks" / "overhead.py"), "--quick"], cwd="/",
                               env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "minigrad/numpy" in completed.stdout


def test_crossover_point():
    from benchmarks.crossover import crossover_point
    assert crossover_point([1, 2, 3, 4], [1, 1, 5, 9], [2, 2, 4, 3]) == 3
    assert crossover_point([1, 2, 3], [1, 9, 1], [2, 1, 2]) is None   # a later loss resets it
    assert crossover_point([1, 2], [1, 1], [2, 2]) is None


def test_gpu_suites_run_on_the_gpu_or_its_simulator(tmp_path, gpu_device):
    GPU_TEST_DEVICE = gpu_device  # noqa: N806  ("cuda" with a GPU, else "cudasim")
    extra_env = {"NUMBA_ENABLE_CUDASIM": "1"} if GPU_TEST_DEVICE == "cudasim" else {}
    run_benchmarks(tmp_path, "kernels", "crossover", "--device", GPU_TEST_DEVICE, extra_env=extra_env)
    payload = check_results_folder(tmp_path, ["kernels", "crossover"], GPU_TEST_DEVICE)
    kernels = records(payload, "kernels")
    ladder = {r["version"] for r in kernels if r["kernel"] == "matmul"}
    assert ladder == {"naive", "tiled", "register", "cublas"}
    assert all(r["max_error"] < 1e-3 for r in kernels if "max_error" in r)
    crossings = [r for r in records(payload, "crossover") if "crossover_with_copies" in r]
    assert {r["op"].split()[0] for r in crossings} == {"matmul", "relu", "gelu", "softmax"}
    if GPU_TEST_DEVICE == "cudasim":
        assert "simulator" in (tmp_path / "report.md").read_text().lower()
