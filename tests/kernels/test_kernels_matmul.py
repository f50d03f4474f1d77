import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference

from kernels import _launch
from kernels import matmul as mm

HAND_WRITTEN = ["naive", "tiled", "register"]
TRANSPOSES = [(False, False), (False, True), (True, False), (True, True)]


def _expected(a, b, transpose_a=False, transpose_b=False):
    """The CPU backend's matmul (np.matmul) of the operands as the product sees them, in float64."""
    a = a.transpose(0, 2, 1) if transpose_a else a
    b = b.transpose(0, 2, 1) if transpose_b else b
    return reference("matmul", a, b)


def _operands(rng, batch, m, k, n, transpose_a, transpose_b, dtype):
    a = rng.standard_normal((batch, k, m) if transpose_a else (batch, m, k)).astype(dtype)
    b = rng.standard_normal((batch, n, k) if transpose_b else (batch, k, n)).astype(dtype)
    return a, b


@pytest.mark.parametrize("transpose_a, transpose_b", TRANSPOSES)
@pytest.mark.parametrize("version", mm.MATMUL_VERSIONS)
def test_every_version_and_transpose_float64(rng, version, transpose_a, transpose_b):
    # M = 17 straddles the 16-wide tile, K = 18 needs two K-steps, N = 5 is less than a tile.
    a, b = _operands(rng, 1, 17, 18, 5, transpose_a, transpose_b, np.float64)
    c = mm.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b, version=version)
    assert_close(c, _expected(a, b, transpose_a, transpose_b), np.float64)


@pytest.mark.parametrize("version", mm.MATMUL_VERSIONS)
def test_every_version_float32_batched(rng, version):
    a, b = _operands(rng, 2, 5, 33, 17, False, True, np.float32)
    c = mm.matmul(a, b, transpose_b=True, version=version)
    expected = _expected(a, b, transpose_b=True)
    np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5)
    assert c.dtype == np.float32


def test_register_version_across_its_64_wide_block(rng):
    # 65 rows need two row-blocks of the register kernel; the second holds a single row.
    a, b = _operands(rng, 1, 65, 3, 2, True, False, np.float64)
    c = mm.matmul(a, b, transpose_a=True, version="register")
    assert_close(c, _expected(a, b, transpose_a=True), np.float64)


@pytest.mark.parametrize("version", HAND_WRITTEN)
def test_tiny_and_empty_shapes(rng, version):
    a, b = _operands(rng, 1, 1, 1, 1, False, False, np.float64)
    assert_close(mm.matmul(a, b, version=version), a * b, np.float64)
    empty_k = mm.matmul(np.zeros((2, 3, 0)), np.zeros((2, 0, 4)), version=version)
    assert_close(empty_k, np.zeros((2, 3, 4)), np.float64)  # a sum over no terms is 0
    assert mm.matmul(np.zeros((0, 3, 2)), np.zeros((0, 2, 4)), version=version).shape == (0, 3, 4)


def test_cpu_matmul_matches_the_sum_over_k(rng):
    a, b, c = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 3, 6))
    np.testing.assert_allclose(CPU.matmul(a, b, transpose_b=True), np.einsum("bik,bjk->bij", a, b))
    np.testing.assert_allclose(CPU.matmul(a, c, transpose_a=True), np.einsum("bki,bkj->bij", a, c))


@pytest.mark.parametrize("version", HAND_WRITTEN)
def test_grid_limits_are_never_exceeded(version):
    # 10 million rows and 70,000 batch items would need more than 65,535 blocks along y and z:
    # the plan cuts them into pieces the GPU can launch, covering every block exactly once.
    m, batch = 10_000_000, 70_000
    plan = mm.launch_plan(version, batch, m, 3)
    rows_per_block = plan[0][2][1] * (mm.PER_THREAD if version == "register" else 1)
    row_blocks = -(-m // rows_per_block)
    covered = set()
    for kernel, grid, block, first_row_block, first_batch in plan:
        _launch.check_launch(grid, block)  # raises if any dimension is over its limit
        covered.add((first_row_block, grid[1], first_batch, grid[2]))
    assert sum(g[1] for _, g, _, _, fb in plan if fb == 0) == row_blocks
    assert sum(g[2] for _, g, _, fr, _ in plan if fr == 0) == batch
    assert len(covered) == len(plan) > 1


@pytest.mark.parametrize("version", HAND_WRITTEN)
def test_a_product_launched_in_pieces_is_complete(rng, version, monkeypatch):
    # The same cutting on the simulator, with the limits shrunk to 2 blocks along y and z.
    monkeypatch.setattr(_launch, "MAX_GRID_DIM", (2**31 - 1, 2, 2))
    a, b = _operands(rng, 5, 70, 3, 9, False, True, np.float64)
    assert len(mm.launch_plan(version, 5, 70, 9)) > 1
    assert_close(mm.matmul(a, b, transpose_b=True, version=version), _expected(a, b, transpose_b=True), np.float64)


def test_version_switch_and_context_manager():
    from numba.core import config

    default = "naive" if config.ENABLE_CUDASIM else "register"  # the documented defaults
    assert mm.get_matmul_version() == default
    with mm.use_matmul_version("tiled"):
        assert mm.get_matmul_version() == "tiled"
        with pytest.raises(ValueError, match="unknown matmul version 'fast'"):
            mm.set_matmul_version("fast")
    assert mm.get_matmul_version() == default
    mm.set_matmul_version("register")
    try:
        assert mm.get_matmul_version() == "register"
    finally:
        mm.set_matmul_version(default)


def test_naive_blocks_shrink_to_small_outputs():
    # a 3 x 5 output fits one 8 x 4 block; the result must not depend on the block shape
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3, 7)), rng.standard_normal((2, 7, 5))
    np.testing.assert_allclose(mm.matmul(a, b, version="naive"), a @ b, rtol=1e-12)
    big_a, big_b = rng.standard_normal((1, 19, 3)), rng.standard_normal((1, 3, 33))
    np.testing.assert_allclose(mm.matmul(big_a, big_b, version="naive"), big_a @ big_b, rtol=1e-12)


def test_shape_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"cannot multiply a \(1, 2, 3\)"):
        mm.matmul(np.zeros((1, 2, 3)), np.zeros((1, 4, 5)))
    with pytest.raises(TypeError, match="float32"):
        mm.matmul(np.zeros((1, 2, 3), np.float32), np.zeros((1, 3, 2)))
