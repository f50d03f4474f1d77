"""The int8 linear kernels against the CPU backend's int8_linear (the one reference), on the simulator here."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from kernel_testing import CPU, assert_close

from kernels import _launch
from kernels import quantized as q

HAND_WRITTEN = ["naive", "tiled"]
REPO = Path(__file__).resolve().parents[2]


def _operands(rng, n, k, m, dtype=np.float64, extreme=False):
    if extreme:   # every product at its largest: the int32 sum must still be exact
        x_q = np.full((n, k), -127, np.int8)
        w_q = np.full((m, k), 127, np.int8)
    else:
        x_q = rng.integers(-127, 128, (n, k)).astype(np.int8)
        w_q = rng.integers(-127, 128, (m, k)).astype(np.int8)
    scales = (np.asarray([rng.uniform(0.01, 0.1)], dtype), rng.uniform(0.01, 0.1, m).astype(dtype),
              rng.standard_normal(m).astype(dtype))
    return (x_q, w_q) + scales


@pytest.mark.parametrize("version", q.INT8_LINEAR_VERSIONS)
def test_the_integer_sums_are_exact(rng, version):
    # scales 1 and bias 0 in float64: the output is the int32 sum itself, which float64 holds exactly.
    # N = 17 straddles a tile, K = 35 needs three K-steps, M = 5 is less than a tile.
    x_q, w_q, *_ = _operands(rng, 17, 35, 5)
    ones, zeros = np.ones(1), np.zeros(5)
    y = q.int8_linear(x_q, w_q, ones, np.ones(5), zeros, version=version)
    expected = x_q.astype(np.int64) @ w_q.astype(np.int64).T
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(CPU.int8_linear(x_q, w_q, ones, np.ones(5), zeros), expected)
    extreme = _operands(rng, 3, 300, 2, extreme=True)[:2]
    big = q.int8_linear(*extreme, ones, np.ones(2), np.zeros(2), version=version)
    np.testing.assert_array_equal(big, np.full((3, 2), -127 * 127 * 300.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("version", q.INT8_LINEAR_VERSIONS)
def test_every_version_matches_the_cpu_formula(rng, version, dtype):
    operands = _operands(rng, 5, 17, 17, dtype)   # two column blocks, two K-steps
    y = q.int8_linear(*operands, version=version)
    reference = CPU.int8_linear(*operands[:2], *(a.astype(np.float64) for a in operands[2:]))
    assert_close(y, reference, dtype)


@pytest.mark.parametrize("version", HAND_WRITTEN)
def test_tiny_and_empty_shapes(rng, version):
    x_q, w_q, xs, ws, b = _operands(rng, 1, 1, 1)
    assert_close(q.int8_linear(x_q, w_q, xs, ws, b, version=version), CPU.int8_linear(x_q, w_q, xs, ws, b), np.float64)
    no_k = q.int8_linear(np.zeros((2, 0), np.int8), np.zeros((3, 0), np.int8), xs, ws[:1].repeat(3), b[:1].repeat(3),
                         version=version)
    np.testing.assert_array_equal(no_k, np.broadcast_to(b[:1].repeat(3), (2, 3)))   # a sum of nothing: the bias
    assert q.int8_linear(np.zeros((0, 4), np.int8), np.zeros((3, 4), np.int8), xs, ws[:1].repeat(3),
                         b[:1].repeat(3), version=version).shape == (0, 3)


def test_bad_operands_are_explained(rng):
    x_q, w_q, xs, ws, b = _operands(rng, 2, 3, 4)
    with pytest.raises(TypeError, match="int8"):
        q.int8_linear(x_q.astype(np.int16), w_q, xs, ws, b)
    with pytest.raises(TypeError, match="share one float32 or float64 dtype"):
        q.int8_linear(x_q, w_q, xs.astype(np.float32), ws, b)
    with pytest.raises(ValueError, match="same K"):
        q.int8_linear(x_q, w_q[:, :2], xs, ws, b)
    with pytest.raises(ValueError, match=r"x_scale must be \(1,\)"):
        q.int8_linear(x_q, w_q, np.ones(2), ws, b)


@pytest.mark.parametrize("version", HAND_WRITTEN)
def test_grid_limits_are_never_exceeded(version):
    plan = q.launch_plan(version, 10_000_000, 3)
    for kernel, grid, block, first_row_block in plan:
        _launch.check_launch(grid, block)
    rows_per_block = plan[0][2][1]
    assert sum(grid[1] for _, grid, _, _ in plan) == -(-10_000_000 // rows_per_block) and len(plan) > 1


def test_the_ladder_checks_every_rung(tmp_path, capsys):
    out = tmp_path / "ladder.jsonl"
    assert q.main(["--shape", "5", "17", "--json", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["version"] for r in records} == set(q.INT8_LINEAR_VERSIONS) and all(r["ok"] for r in records)
    assert len(records) == 2 * len(q.INT8_LINEAR_VERSIONS)
    assert "int8 linear 17 x 17 int8 -> float32" in capsys.readouterr().out


def test_the_compiler_turns_the_tiled_sums_into_dp4a():
    """sm_90 machine code of the tiled kernel: 4 IDP.4A (4-way int8 dot products into int32) per K-step of 16."""
    script = ("import os, tempfile\nos.environ['NUMBA_ENABLE_CUDASIM'] = '0'\nfrom kernels import sass\n"
              "sass._stand_in_device()\nfrom kernels import quantized\n"
              "spec = quantized.kernel_launches('float32')[1]\n"
              "with tempfile.TemporaryDirectory() as d:\n    report, text = sass.assemble(sass.ptx_for(spec), d, 'k')\n"
              "print(text.count('IDP.4A.S8.S8'), text.count('I2FP.F32.S32'))\n")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    dp4a, int32_to_float = map(int, done.stdout.split())
    assert dp4a == 4 and int32_to_float == 1   # the accumulator is int32, converted to float once, at the store
