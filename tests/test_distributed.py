"""Data parallelism on MPI: the pieces alone (no MPI needed), then real 2-process runs under ``mpiexec -n 2``.

The 2-process tests need ``minigrad[distributed]`` (mpi4py + the mpich wheel).  Without it they skip,
saying so — except in CI (CI=true), which installs it, where a missing MPI is a failure.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.distributed import launch, process_group
from minigrad.distributed.process_group import check_launcher, choose_transport
from minigrad.nn.parallel.distributed import make_buckets
from minigrad.utils.data import DistributedSampler

REPO = Path(__file__).resolve().parents[1]
PROGRAMS = Path(__file__).resolve().parent / "mpi_programs"
# 619 sentences, batch 32: 20 steps, the last one of 11 sentences (5 on rank 0, 6 on rank 1); no dropout, so the
# two runs make the same random draws (word dropout is drawn for the whole batch, then shared out)
SENTIMENT = ["--max-train", "619", "--epochs", "1", "--batch-size", "32", "--d-model", "16", "--heads", "2",
             "--layers", "1", "--ema", "0.9", "--lr", "0.01", "--dropout", "0", "--no-progress"]


def environment(**extra):
    env = launch.single_threaded_environment()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def mpi_or_skip():
    if launch.find_mpiexec() is None or not _mpi4py_loads():
        message = f"needs MPI for the 2-process tests: {launch.INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail("CI installs minigrad[distributed], but " + message)
        pytest.skip(message)


def _mpi4py_loads():
    return subprocess.run([sys.executable, "-c", "from mpi4py import MPI"], capture_output=True,
                          env=environment()).returncode == 0


def run_mpi(arguments, processes=2, timeout=120, cwd=REPO):
    mpi_or_skip()
    command = launch.mpiexec_command(processes, arguments)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment(), cwd=cwd,
                          stdin=subprocess.DEVNULL)


def run_python(arguments, timeout=60, **env):
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True, timeout=timeout,
                          env=environment(**env), cwd=REPO, stdin=subprocess.DEVNULL)


def one_error_line(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return lines[0]


# ---------------------------------------------------------------------------------------------- no MPI needed
def test_post_accumulate_grad_hook_sees_the_complete_accumulated_gradient():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * w + 3 * w).sum().backward()          # w used twice in one backward: one call, with the sum 2w + 3
    assert seen == [[5.0, 7.0]]
    (2 * w).sum().backward()                  # a second backward accumulates first: the hook sees 5+2, 7+2
    assert seen[-1] == [7.0, 9.0]
    w.grad = None
    y = mg.tensor([1.0], requires_grad=True)
    (w.sum() * y).sum().backward(inputs=[w])  # backward(inputs=...) accumulates too
    assert seen[-1] == [1.0, 1.0]
    handle.remove()
    (w * 1).sum().backward()
    assert len(seen) == 3
    mg.autograd.grad((w * 2).sum(), w)        # autograd.grad accumulates nothing: no call
    assert len(seen) == 3
    with pytest.raises(RuntimeError, match="only works on leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="only works on leaf tensors"):
        mg.zeros(2).register_post_accumulate_grad_hook(lambda p: None)


def test_buckets_follow_reverse_parameter_order_size_cap_and_dtype():
    model = mg.nn.Sequential(mg.nn.Linear(4, 8), mg.nn.Linear(8, 2))   # 32 + 8 + 16 + 2 floats of 4 bytes
    params = list(model.parameters())
    one = make_buckets(params, 25 * 2 ** 20)
    assert len(one) == 1 and one[0].params == params[::-1] and one[0].nbytes == 58 * 4
    small = make_buckets(params, 100)         # 100 bytes: [2.bias, 2.weight (72 bytes)], [1.bias], [1.weight]
    assert [[p.shape for p in b.params] for b in small] == [[(2,), (2, 8)], [(8,)], [(8, 4)]]
    mixed = [mg.zeros(3, requires_grad=True), mg.zeros(3, dtype=mg.float64, requires_grad=True)]
    assert len(make_buckets(mixed, 10 ** 9)) == 2


def test_distributed_sampler_has_pytorchs_semantics():
    shares = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)) for r in range(3)]
    assert shares == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]              # padded from the start
    dropped = [list(DistributedSampler(range(10), 3, r, shuffle=False, drop_last=True)) for r in range(3)]
    assert dropped == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]
    assert len(DistributedSampler(range(10), 3, 0)) == 4
    assert len(DistributedSampler(range(10), 3, 0, drop_last=True)) == 3
    samplers = [DistributedSampler(range(101), num_replicas=4, rank=r, seed=5) for r in range(4)]
    first = [list(s) for s in samplers]
    everything = sum(first, [])
    assert len(everything) == 104 and set(everything) == set(range(101))    # all covered; 3 padded (seen twice)
    assert first == [list(s) for s in samplers]                              # same epoch: same order
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first and set(sum(second, [])) == set(range(101))
    assert list(DistributedSampler(range(101), 4, 2, seed=5)) == first[2]    # every rank computes the same order


def test_distributed_sampler_gives_pytorchs_shares_without_shuffling():
    pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (7, 4, False), (2, 5, False), (9, 2, True)]:
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
            theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs), (n, replicas, rank, drop_last)


def test_distributed_sampler_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(5), num_replicas=3, rank=3)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(5))


def test_choose_transport_nccl_only_for_cuda_with_nccl_and_one_gpu_per_rank():
    two_gpus = [("node", "0000:01:00.0"), ("node", "0000:02:00.0")]
    assert choose_transport("cpu", True, two_gpus)[0] == "mpi"
    assert choose_transport("cudasim", True, two_gpus)[0] == "mpi"
    assert choose_transport("cuda", True, two_gpus) == ("nccl", "cuda tensors go GPU to GPU through NCCL "
                                                                "(cupy.cuda.nccl)")
    how, why = choose_transport("cuda", False, two_gpus)
    assert how == "mpi" and "no NCCL" in why and "host" in why
    how, why = choose_transport("cuda", True, [("node", "0000:01:00.0"), None])
    assert how == "mpi" and "not every rank has a GPU" in why
    how, why = choose_transport("cuda", True, [("node", "0000:01:00.0")] * 2)
    assert how == "mpi" and "share one GPU" in why
    assert choose_transport("cuda", True, [("a", "0000:01:00.0"), ("b", "0000:01:00.0")])[0] == "nccl"  # 2 machines


def test_a_launcher_that_is_not_this_mpis_is_refused_in_one_sentence():
    check_launcher(1, {})                                     # python train.py: a world of 1, fine
    check_launcher(2, {"WORLD_SIZE": "2"})                    # MPI connected them: fine
    check_launcher(1, {"WORLD_SIZE": "1", "PMI_SIZE": "1"})
    for variable, who in [("WORLD_SIZE", "torchrun"), ("OMPI_COMM_WORLD_SIZE", "Open MPI"),
                          ("PMI_SIZE", "an mpiexec of another MPI")]:
        with pytest.raises(RuntimeError, match=f"started by {who}.* one of 4 processes.*sees a world of 1.*-n 4"):
            check_launcher(1, {variable: "4"})


def test_rank_and_world_size_need_a_process_group():
    import minigrad.distributed as dist

    assert dist.is_available() and not dist.is_initialized()
    with pytest.raises(ValueError, match="has not been initialized.*mpiexec -n N"):
        dist.get_rank()
    with pytest.raises(ValueError, match="has not been initialized"):
        dist.all_reduce(mg.zeros(1))
    with pytest.raises(ValueError, match="runs on MPI; use backend='mpi'"):
        dist.init_process_group(backend="gloo")
    with pytest.raises(ValueError, match="has not been initialized"):
        mg.nn.parallel.DistributedDataParallel(mg.nn.Linear(2, 2))
    with pytest.raises(NotImplementedError, match=r"find_unused_parameters=True\) is not supported.*requires_grad_"):
        mg.nn.parallel.DistributedDataParallel(mg.nn.Linear(2, 2), find_unused_parameters=True)


def test_mpiexec_is_found_next_to_this_python_or_the_error_says_how_to_install(monkeypatch):
    found = launch.find_mpiexec()
    if found is not None:
        assert os.access(found, os.X_OK)
        assert launch.mpiexec_command(2, ["python", "x.py"]) == [found, "-n", "2", "python", "x.py"]
    monkeypatch.setattr(launch, "find_mpiexec", lambda: None)
    with pytest.raises(RuntimeError, match=r"no mpiexec found .*pip install 'minigrad\[distributed\]'"):
        launch.mpiexec_command(2, ["python"])


BLOCK_MPI4PY = "import sys; sys.modules['mpi4py'] = None; "


def test_mpi_not_installed_is_one_error_with_the_install_command(tmp_path):
    code = BLOCK_MPI4PY + "import minigrad.distributed as d; d.init_process_group()"
    result = run_python(["-c", code])
    assert result.returncode == 1 and "mpi4py is not installed: pip install 'minigrad[distributed]'" in result.stderr
    # mpi4py present but no MPI library to load (what `pip install mpi4py` alone gives on a bare machine)
    fake = tmp_path / "mpi4py"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "MPI.py").write_text("raise RuntimeError('cannot load MPI library\\nlibmpi.so: not found')\n")
    result = run_python(["-c", "import minigrad.distributed as d; d.init_process_group()"],
                        PYTHONPATH=os.pathsep.join((str(tmp_path), str(REPO))))
    assert "could not load an MPI library (cannot load MPI library); pip install 'minigrad[distributed]'" \
        in result.stderr, result.stderr
    # and the command line says it in one error line
    cli = BLOCK_MPI4PY + "from minigrad.sentiment.cli import main; sys.exit(main(sys.argv[1:]))"
    result = run_python(["-c", cli, "train", "--distributed", "--out", str(tmp_path / "run")] + SENTIMENT)
    assert result.returncode == 2, result.stderr
    line = one_error_line(result.stderr)
    assert "--distributed:" in line and "pip install 'minigrad[distributed]'" in line
    assert not (tmp_path / "run").exists()


def test_a_launcher_without_mpi_is_one_error_naming_the_right_launcher(tmp_path):
    mpi_or_skip()
    # what torchrun gives each process it starts: WORLD_SIZE/RANK, and no MPI connection between them
    result = run_python(["-m", "minigrad.sentiment", "train", "--distributed", "--out", str(tmp_path / "run")]
                        + SENTIMENT, WORLD_SIZE="2", RANK="0", LOCAL_RANK="0")
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "started by torchrun" in line and "sees a world of 1 process" in line and "mpiexec -n 2 python" in line
    assert not (tmp_path / "run").exists()
    result = run_python(["-m", "minigrad.sentiment", "train", "--distributed", "--out", str(tmp_path / "run")]
                        + SENTIMENT, WORLD_SIZE="2", RANK="1", LOCAL_RANK="1")
    assert result.returncode == 2 and result.stderr == ""      # the other process stays quiet: one line in all


# ---------------------------------------------------------------------------------------------- 2 processes
def test_two_ranks_collectives_and_data_parallel_mlp_equal_one_process():
    """The program checks every collective, then trains an MLP for 20 steps (float64, DistributedSampler,
    several buckets, rank 1 starting from other weights) against one process on the same global batches,
    checks no_sync accumulation against one big batch, and that different models on the ranks are refused."""
    result = run_mpi([sys.executable, str(PROGRAMS / "data_parallel_mlp.py")])
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.split("REPORT ", 1)[1])
    assert report["mlp_max_difference"] < 1e-10 and report["no_sync_max_difference"] < 1e-12
    assert report["mlp_buckets"] >= 3
    assert "the model on rank 1 differs from rank 0's ('0.weight' is float32 [16, 5] on rank 0 but float32 [17, 5]" \
        in report["mismatch_error"]


def _weights(run):
    from minigrad.sentiment.run_folder import read_tensors, tensor_file

    return {name: np.asarray(value) for name, value in read_tensors(tensor_file(run)).items()}


def _history(run):
    return json.loads((run / "metrics.json").read_text())["history"]


def test_sentiment_cli_on_two_ranks_equals_one_process(tmp_path, monkeypatch):
    from minigrad.sentiment import cli, load_run, loop
    from minigrad.sentiment.datasets import load_sentiment_data
    from minigrad.sentiment.train import predict_proba

    result = run_mpi([sys.executable, "-m", "minigrad.sentiment", "train", "--distributed",
                      "--out", str(tmp_path / "two")] + SENTIMENT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wrote ") == 1 and result.stdout.count("epoch 1/1") == 1   # rank 0 alone reports
    assert "data parallel on 2 processes" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["two"]
    assert cli.main(["train", "--out", str(tmp_path / "one")] + SENTIMENT) == 0
    one, two = _history(tmp_path / "one"), _history(tmp_path / "two")
    assert one["steps"] == two["steps"] == 20 and two["options"]["batch_size"] == 32
    assert np.abs(np.subtract(one["step_loss"], two["step_loss"])).max() < 1e-6     # every global batch's loss
    data = load_sentiment_data("embedded", seed=0)
    probabilities = [predict_proba(*load_run(tmp_path / name)[:2], data.test.texts) for name in ("one", "two")]
    assert np.abs(probabilities[0] - probabilities[1]).max() < 1e-6                  # what the model says
    # The weights: the same to 1e-6, except where float32 itself cannot do better.  AdamW divides by the root of
    # a gradient's running square, so a gradient that is pure rounding noise (the attention key bias, whose exact
    # gradient is 0) moves by whole steps either way.  The floor: the SAME process, each batch's rows summed in
    # another order (all the data parallelism changes is the order of the sums).
    monkeypatch.setattr(loop.SingleProcess, "part", lambda self, n: np.random.default_rng(n).permutation(n))
    assert cli.main(["train", "--out", str(tmp_path / "reordered")] + SENTIMENT) == 0
    one_w, two_w, floor_w = _weights(tmp_path / "one"), _weights(tmp_path / "two"), _weights(tmp_path / "reordered")
    for name in one_w:
        difference = np.abs(one_w[name] - two_w[name]).max()
        floor = np.abs(one_w[name] - floor_w[name]).max()
        assert difference <= max(1e-6, 10 * floor), (name, difference, floor)
    close = [n for n in one_w if np.abs(one_w[n] - two_w[n]).max() <= 1e-6]
    assert len(close) >= len(one_w) - 2, sorted(set(one_w) - set(close))


def test_a_batch_that_does_not_split_over_the_ranks_is_one_error(tmp_path):
    result = run_mpi([sys.executable, "-m", "minigrad.sentiment", "train", "--distributed",
                      "--out", str(tmp_path / "run")] + SENTIMENT + ["--batch-size", "33"])
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "--batch-size 33 does not split evenly over 2 processes" in line and "e.g. 32 or 34" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("rank_1_options, message", [
    (["--d-model", "8"], "the model on rank 1 differs from rank 0's ('token_embedding.weight' is float32 [116, 16] on "
                         "rank 0 but float32 [116, 8] there)"),
    (["--max-train", "600"], "rank 1 read different training data than rank 0: every process must read the same files"),
], ids=["parameters differ", "data differ"])
def test_ranks_that_start_differently_are_one_error(tmp_path, rank_1_options, message):
    """An MPMD launch (``mpiexec -n 1 A : -n 1 B``) gives rank 1 other options than rank 0."""
    train = [sys.executable, "-m", "minigrad.sentiment", "train", "--distributed", "--out", str(tmp_path / "run")]
    result = run_mpi(train + SENTIMENT + [":", "-n", "1"] + train + SENTIMENT + rank_1_options, processes=1)
    assert result.returncode == 2
    assert message in one_error_line(result.stderr)
    assert not (tmp_path / "run").exists()


def test_the_benchmark_reports_both_models_on_one_and_two_processes(tmp_path):
    mpi_or_skip()
    out = tmp_path / "distributed.json"
    done = run_python([str(REPO / "benchmarks" / "distributed.py"), "--quick", "--json", str(out)], timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(out.read_text())
    assert {(r["model"], r["ranks"], r["threads"]) for r in rows} == {
        (m, p, t) for m in ("mlp", "sentiment") for p, t in ((1, 1), (1, 2), (2, 1))}
    for row in rows:
        assert row["step_seconds"] > 0 and row["compute_seconds"] > 0
        if row["ranks"] == 2:   # two ranks all-reduce every step, in one bucket (the gradients are < 25 MiB)
            assert row["communication_seconds"] > 0 and row["transfer_seconds"] > 0 and row["buckets"] == 1
        else:
            assert row["communication_seconds"] == 0
    assert "| mlp | 2 x 1 |" in done.stdout and "speed-up vs 1 x 1" in done.stdout


def test_distillation_on_two_ranks_equals_one_process(tmp_path):
    """With --teacher each rank mixes the teacher's term into the loss of its own rows of the batch (the loss hook
    gets the slice this process computed), so the global batches' losses are one process's."""
    from minigrad.sentiment import cli, load_run
    from minigrad.sentiment.datasets import load_sentiment_data
    from minigrad.sentiment.train import predict_proba

    teacher = tmp_path / "teacher"
    assert cli.main(["train", "--out", str(teacher), "--seed", "1"] + SENTIMENT) == 0
    distil = ["--teacher", str(teacher), "--temperature", "2", "--alpha", "0.7"]
    result = run_mpi([sys.executable, "-m", "minigrad.sentiment", "train", "--distributed",
                      "--out", str(tmp_path / "two")] + SENTIMENT + distil)
    assert result.returncode == 0, result.stderr
    assert cli.main(["train", "--out", str(tmp_path / "one")] + SENTIMENT + distil) == 0
    one, two = _history(tmp_path / "one"), _history(tmp_path / "two")
    assert one["steps"] == two["steps"] == 20
    assert np.abs(np.subtract(one["step_loss"], two["step_loss"])).max() < 1e-6
    data = load_sentiment_data("embedded", seed=0)
    probabilities = [predict_proba(*load_run(tmp_path / name)[:2], data.test.texts) for name in ("one", "two")]
    assert np.abs(probabilities[0] - probabilities[1]).max() < 1e-6
    assert cli.main(["train", "--out", str(tmp_path / "plain")] + SENTIMENT) == 0   # the same run without a teacher
    assert np.abs(np.subtract(one["step_loss"], _history(tmp_path / "plain")["step_loss"])).max() > 1e-3
