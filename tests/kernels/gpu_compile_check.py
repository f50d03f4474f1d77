"""Compile every kernel for the real CUDA target (sm_90), float32 and float64, without a GPU.

The simulator runs kernels as Python, so it accepts code that the real Numba
CUDA compiler would reject (a type that cannot be unified, an unsupported
function).  This script runs Numba's real front end and lowering on each
kernel instead.  Without libnvrtc (a CPU-only machine) it stops at the NVVM
IR, which already proves typing and lowering; with it, it produces PTX.

Run it as a separate process with the simulator off:

    NUMBA_ENABLE_CUDASIM=0 python tests/kernels/gpu_compile_check.py

It uses two Numba internals (``_compile_pyfunc_with_fixup`` and a stand-in for
the current device's compute capability), because Numba's public
``compile_ptx`` needs libnvrtc.
"""
import os
import sys
from pathlib import Path

os.environ["NUMBA_ENABLE_CUDASIM"] = "0"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for `import kernels`

import numpy as np  # noqa: E402
import numba.cuda.dispatcher as numba_dispatcher  # noqa: E402
from numba.cuda import compiler  # noqa: E402

from kernels import activations, embedding, layernorm, losses, matmul, optim, reduce, softmax  # noqa: E402
from kernels import batchnorm, conv, pool  # noqa: E402

COMPUTE_CAPABILITY = (9, 0)


class _StandInDevice:
    """Device functions are compiled for "the current device"; there is none, so name one."""

    compute_capability = COMPUTE_CAPABILITY


numba_dispatcher.get_current_device = lambda: _StandInDevice()


def kernels_and_signatures(dtype):
    v, m, m3, idx = f"{dtype}[::1]", f"{dtype}[:, ::1]", f"{dtype}[:, :, ::1]", "int64[::1]"
    matmul_sig = f"({m3}, {m3}, {m3}, boolean, boolean)"
    m4, i4 = f"{dtype}[:, :, :, ::1]", "int64[:, :, :, ::1]"
    pairs = "int64, int64, int64, int64, int64, int64"              # stride, padding, dilation
    geometry = "int64, int64, " + pairs                             # kernel size, then the pairs
    return [
        (activations.relu_forward_kernel, f"({v}, {v})"),
        (activations.relu_backward_kernel, f"({v}, {v}, {v})"),
        (activations.sigmoid_forward_kernel, f"({v}, {v})"),
        (activations.sigmoid_backward_kernel, f"({v}, {v}, {v})"),
        (activations.tanh_forward_kernel, f"({v}, {v})"),
        (activations.tanh_backward_kernel, f"({v}, {v}, {v})"),
        (activations.gelu_forward_kernel, f"({v}, {v}, boolean)"),
        (activations.gelu_backward_kernel, f"({v}, {v}, {v}, boolean)"),
        (reduce.sum_last_kernel, f"({m}, {v})"),
        (reduce.sum_first_kernel, f"({m}, {v})"),
        (softmax.softmax_forward_kernel, f"({m}, {m})"),
        (softmax.log_softmax_forward_kernel, f"({m}, {m})"),
        (softmax.softmax_backward_kernel, f"({m}, {m}, {m})"),
        (softmax.log_softmax_backward_kernel, f"({m}, {m}, {m})"),
        (losses.cross_entropy_kernel, f"({m}, {idx}, int64, float64, {v}, {m})"),
        (losses.mse_kernel, f"({v}, {v}, {v}, {v})"),
        (losses.hinge_kernel, f"({v}, {v}, {v}, {v})"),
        (losses.multi_margin_kernel, f"({m}, {idx}, int64, float64, {v}, {m})"),
        (layernorm.layernorm_forward_kernel, f"({m}, {v}, {v}, float64, {m}, {v}, {v})"),
        (layernorm.layernorm_backward_input_kernel, f"({m}, {m}, {v}, {v}, {v}, {m})"),
        (layernorm.layernorm_backward_params_kernel, f"({m}, {m}, {v}, {v}, {v}, {v})"),
        (embedding.embedding_forward_kernel, f"({m}, {idx}, {m})"),
        (embedding.embedding_backward_kernel, f"({m}, {idx}, int64, {m})"),
        (optim.sgd_kernel, f"({v}, {v}, float64, float64)"),
        (optim.sgd_momentum_kernel, f"({v}, {v}, {v}, float64, float64, float64, float64, boolean, boolean)"),
        (
            optim.adam_kernel,
            f"({v}, {v}, {v}, {v}, float64, float64, float64, float64, float64, boolean, float64, float64)",
        ),
        (matmul.naive_kernel(np.dtype(dtype)), matmul_sig),
        (matmul.tiled_kernel(np.dtype(dtype)), matmul_sig),
        (matmul.register_kernel(np.dtype(dtype)), matmul_sig),
        # convolutional networks (issue 12): m4 = an NCHW image batch, m3 = (N, C, L), i4 = int64 indices
        (conv.im2col_kernel, f"({m4}, {m}, {geometry}, int64, int64)"),
        (conv.col2im_kernel(np.dtype(dtype)), f"({m}, {m4}, {geometry}, int64, int64)"),
        (conv.direct_kernel(np.dtype(dtype)), f"({m4}, {m4}, {m4}, {pairs}, int64)"),
        (pool.max_pool2d_forward_kernel, f"({m4}, {m4}, {i4}, {geometry})"),
        (pool.max_pool2d_backward_atomic_kernel, f"({m4}, {i4}, {v}, int64)"),
        (pool.max_pool2d_backward_gather_kernel(np.dtype(dtype)), f"({m4}, {i4}, {m4}, {geometry})"),
        (batchnorm.batchnorm_forward_naive_kernel, f"({m3}, {v}, {v}, float64, {m3}, {v}, {v})"),
        (batchnorm.batchnorm_backward_naive_kernel, f"({m3}, {m3}, {v}, {v}, {v}, float64, {m3}, {v}, {v})"),
        (batchnorm.fused_forward_kernel(np.dtype(dtype)), f"({m3}, {v}, {v}, float64, {m3}, {v}, {v})"),
        (batchnorm.fused_backward_kernel(np.dtype(dtype)), f"({m3}, {m3}, {v}, {v}, {v}, float64, {m3}, {v}, {v})"),
    ]


def compile_for_gpu(kernel, signature):
    """Return PTX, or the NVVM IR when libnvrtc is missing (typing and lowering have then succeeded)."""
    library, _ = compiler._compile_pyfunc_with_fixup(
        kernel.py_func, signature, device=False, abi="numba", cc=COMPUTE_CAPABILITY
    )
    try:
        return library.get_asm_strs(cc=COMPUTE_CAPABILITY)[0]
    except Exception as error:
        if "nvrtc" not in str(error):
            raise
        return "\n".join(library.llvm_strs)


def main():
    failures = 0
    for dtype in ("float32", "float64"):
        for kernel, signature in kernels_and_signatures(dtype):
            name = kernel.py_func.__name__
            try:
                code = compile_for_gpu(kernel, signature)
                # A float32 matmul must multiply-add in float32 (no silent promotion to double).
                if name.startswith("matmul") and dtype == "float32" and "fmul double" in code:
                    raise TypeError("float32 matmul multiplies in double precision")
                print(f"ok    {dtype} {name}")
            except Exception as error:  # report every kernel, then fail
                failures += 1
                print(f"FAIL  {dtype} {name}: {type(error).__name__}: {error}")
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
