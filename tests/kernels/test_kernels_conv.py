"""The convolution kernels (kernels/conv.py) against the CPU backend's formulas in float64, on the
simulator (or a GPU): im2col, col2im, and both forward versions, odd shapes, several block sizes."""
import numpy as np
import pytest
from kernel_testing import CPU, assert_close, reference

import minigrad as mg
from kernels import conv

DTYPES = [np.float32, np.float64]
# (x shape, weight shape, stride, padding, dilation, groups): odd sizes, every option used somewhere
GEOMETRIES = [
    ((1, 1, 1, 1), (1, 1, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    ((2, 3, 5, 4), (4, 3, 3, 2), (1, 1), (1, 0), (1, 1), 1),
    ((1, 4, 6, 5), (6, 2, 2, 3), (2, 1), (1, 2), (2, 1), 2),
]


def cpu_conv2d(x, weight, stride, padding, dilation, groups):
    """minigrad's Conv2d op on the CPU (the CPU backend's im2col + a NumPy matmul), in float64."""
    x, weight = (mg.from_numpy(a.astype(np.float64)) for a in (x, weight))
    return mg.nn.functional.conv2d(x, weight, None, stride, padding, dilation, groups).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: f"x{g[0]}-w{g[1]}")
def test_im2col_col2im_and_both_forwards_match_the_cpu(rng, geometry, dtype):
    x_shape, w_shape, stride, padding, dilation, groups = geometry
    x = rng.standard_normal(x_shape).astype(dtype)
    weight = rng.standard_normal(w_shape).astype(dtype)
    kernel_size = w_shape[2:]
    cols = conv.im2col(x, kernel_size, stride, padding, dilation, block_size=32)
    assert_close(cols, reference("im2col", x, kernel_size, stride, padding, dilation), dtype)
    u = rng.standard_normal(cols.shape).astype(dtype)
    assert_close(conv.col2im(u, x_shape, kernel_size, stride, padding, dilation, block_size=64),
                 reference("col2im", u, x_shape, kernel_size, stride, padding, dilation), dtype)
    expected = cpu_conv2d(x, weight, stride, padding, dilation, groups)
    for version in conv.versions.names:
        got = conv.conv2d_forward(x, weight, stride, padding, dilation, groups, version=version, block_size=32)
        assert_close(got, expected, dtype)


def test_the_cpu_reference_is_the_definition(rng):
    """The reference itself against the formula written as loops (cols[(c,i,j), (oy,ox,n)])."""
    x = rng.standard_normal((2, 2, 4, 3))
    cols = CPU.im2col(x, (2, 2), (2, 1), (1, 0), (1, 2))
    oh, ow = conv.conv_output_size((4, 3), (2, 2), (2, 1), (1, 0), (1, 2))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    for c in range(2):
        for i in range(2):
            for j in range(2):
                for oy in range(oh):
                    for ox in range(ow):
                        for n in range(2):
                            assert cols[(c * 2 + i) * 2 + j, (oy * ow + ox) * 2 + n] == padded[n, c, oy * 2 + i, ox + 2 * j]
    # col2im is im2col's adjoint: <im2col(x), u> = <x, col2im(u)> for every u
    u = rng.standard_normal(cols.shape)
    back = CPU.col2im(u, x.shape, (2, 2), (2, 1), (1, 0), (1, 2))
    np.testing.assert_allclose((cols * u).sum(), (x * back).sum(), rtol=1e-12)


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="4-D"):
        conv.im2col(np.zeros((2, 3, 4)), (1, 1), (1, 1), (0, 0), (1, 1))
    with pytest.raises(ValueError, match="unknown conv version"):
        conv.conv2d_forward(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 1, 1)), (1, 1), (0, 0), (1, 1), version="fft")
    with pytest.raises(ValueError, match="cols has shape"):
        conv.col2im(np.zeros((4, 5)), (1, 1, 3, 3), (2, 2), (1, 1), (0, 0), (1, 1))
