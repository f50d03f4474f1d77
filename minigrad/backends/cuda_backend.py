"""The GPU backend: the course formulas run as minigrad's own Numba CUDA kernels.

Two devices share this class:

``"cuda"``     arrays are CuPy arrays in GPU memory; the kernels of ``kernels/`` are compiled
               for the real GPU.  CuPy does the glue (reshapes, elementwise arithmetic).
``"cudasim"``  arrays are ordinary NumPy arrays; the *same* kernel functions are executed by
               Numba's CUDA simulator, thread by thread, in Python.  Slow, but it needs no GPU,
               so every machine can run — and test — every kernel.

Numba decides between the real GPU and the simulator once, when ``numba.cuda`` is first
imported (the environment variable ``NUMBA_ENABLE_CUDASIM=1``).  So a process can use
"cuda" or "cudasim", not both; ``_import_numba_cuda`` makes that choice and explains it when
it is too late to change.

Where a kernel family is a ladder of versions (matmul, softmax, layer norm, cross-entropy),
the backend runs the version each family names as its ``versions.current``: the fastest by
the napkin math in the family's docstring (``python -m kernels.<family>`` measures them), or
on the simulator, for matmul, the one cheapest to simulate.
"""
import math
import os
import sys
import warnings

import numpy as np

INSTALL_HINT = (
    "Install the GPU extra with `pip install 'minigrad[gpu]'` (CuPy for CUDA 12 and numba-cuda) on a machine "
    "with an NVIDIA GPU. No GPU? device='cudasim' runs the very same CUDA kernels on the CPU under Numba's "
    "simulator (slow, but fine for learning and testing), and device='cpu' is the fast NumPy path.")


def _import_numba_cuda(simulate):
    """Import numba.cuda in the requested mode (simulator or real GPU), or explain why not."""
    already = "numba.cuda" in sys.modules
    if not already:
        if simulate:
            os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        if "numba" in sys.modules:  # numba read its settings already: read them again
            from numba.core import config
            config.reload_config()
    from numba import cuda
    from numba.core import config

    simulated = bool(config.ENABLE_CUDASIM)
    if simulate and not simulated:
        raise RuntimeError(
            "device 'cudasim' needs Numba's CUDA simulator, but this process already loaded numba.cuda for a "
            "real GPU. Start a new Python process and use 'cudasim' before anything uses 'cuda' (or set "
            "NUMBA_ENABLE_CUDASIM=1 before importing minigrad).")
    if not simulate and simulated:
        raise RuntimeError(
            "device 'cuda' is not available in this process: Numba's CUDA simulator is switched on "
            "(NUMBA_ENABLE_CUDASIM=1, or 'cudasim' was used first). Start a new process without it to use the "
            "GPU, or keep using device='cudasim'.")
    return cuda


class SimulatorWarning(UserWarning):
    """Device 'cudasim' is a simulator: correct, and very slow."""


#: Issued once per process, when the "cudasim" backend starts (e.g. ``train --device cudasim``).
#: The figure was measured on a busy 2-core machine: one Adam step of an MLP 32-128-128-10 on a
#: batch of 64 took 75 s on "cudasim" and 0.33 ms on "cpu".
SIMULATOR_NOTE = (
    "device 'cudasim' runs minigrad's CUDA kernels in Numba's CUDA simulator, one Python thread per GPU "
    "thread. It is there to learn from and to test the kernels without a GPU, not to train: it is more than "
    "100,000 times slower than device 'cpu' (one training step of a small MLP, 32-128-128-10 on a batch "
    "of 64: ~75 s against ~0.3 ms), so a training run can show no progress for many minutes. To train, "
    "use device 'cpu' (NumPy), or 'cuda' on a machine with an NVIDIA GPU.")


def _import_cupy():
    try:
        import cupy
    except ImportError:
        raise RuntimeError(f"device 'cuda' needs CuPy, which is not installed. {INSTALL_HINT}") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CuPy raises its own driver errors when no GPU/driver is present
        raise RuntimeError(f"device 'cuda': CuPy is installed but found no usable NVIDIA GPU "
                           f"({type(error).__name__}). {INSTALL_HINT}") from None
    if count == 0:
        raise RuntimeError(f"device 'cuda': no NVIDIA GPU found. {INSTALL_HINT}")
    return cupy


class CudaBackend:
    def __init__(self, simulate):
        self.simulate = simulate
        self.name = "cudasim" if simulate else "cuda"
        if simulate:
            self.xp = np
        else:
            self.xp = _import_cupy()
        _import_numba_cuda(simulate)
        if simulate:
            warnings.warn(SIMULATOR_NOTE, SimulatorWarning, stacklevel=2)
        # The kernels import numba.cuda themselves, so they are loaded only now, after the mode is set.
        from kernels import activations, embedding, layernorm, losses, matmul, optim, reduce, softmax
        from kernels import batchnorm, conv, pool, quantized
        self.k_activations, self.k_embedding, self.k_layernorm = activations, embedding, layernorm
        self.k_losses, self.k_matmul, self.k_optim, self.k_reduce, self.k_softmax = (
            losses, matmul, optim, reduce, softmax)
        self.k_conv, self.k_pool, self.k_batchnorm, self.k_quantized = conv, pool, batchnorm, quantized

    def _row_block(self, row_length):
        """Threads per block for the one-block-per-row kernels.

        On a GPU the kernels' default (256) is right.  The simulator runs every thread as a
        Python thread, so there a block no wider than the row (rounded up to a power of two,
        as the tree reductions need) saves most of the time and changes no result.
        """
        if not self.simulate:
            return self.k_reduce.DEFAULT_BLOCK_SIZE
        block = 1
        while block < min(row_length, self.k_reduce.DEFAULT_BLOCK_SIZE):
            block *= 2
        return block

    # ------------------------------------------------------------------ moving data
    def asarray(self, data, dtype=None):
        if self.simulate:
            return np.asarray(data, dtype=dtype)
        return self.xp.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return array if self.simulate else self.xp.asnumpy(array)

    # ------------------------------------------------------------------ linear algebra
    def matmul(self, a, b, transpose_a=False, transpose_b=False):
        """C = op(A) @ op(B) with broadcast batch axes, on the matmul kernel chosen in kernels.matmul.

        The kernel takes 3-D operands (batch, rows, cols): batch axes are broadcast and flattened
        into one, and the transposes are done by the kernel's indexing, not by copying.
        """
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a3 = self._batch_of_matrices(a, batch)
        b3 = self._batch_of_matrices(b, batch)
        c3 = self.k_matmul.matmul(a3, b3, transpose_a=transpose_a, transpose_b=transpose_b)
        return c3.reshape(batch + c3.shape[-2:])

    def _batch_of_matrices(self, x, batch):
        """(..., r, c) -> (prod(batch), r, c), copying only where a batch axis is broadcast.

        The batch size is spelled out, not -1: an empty matrix (r or c = 0) leaves -1 undefined."""
        if x.shape[:-2] != batch:
            x = self.xp.broadcast_to(x, batch + x.shape[-2:])
        return x.reshape((math.prod(batch),) + x.shape[-2:])

    def sum(self, x, axis=None, keepdims=False):
        """Sum over ``axis`` with the row-reduction kernel: the summed axes are moved to the end
        and flattened, so every sum is "add up each row of a 2-D array"."""
        xp = self.xp
        if x.dtype.kind != "f" or x.size == 0 or x.ndim == 0:
            return xp.sum(x, axis=axis, keepdims=keepdims)
        if axis is None:
            axes = tuple(range(x.ndim))
        else:
            axes = tuple(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis))
        kept = tuple(i for i in range(x.ndim) if i not in axes)
        moved = xp.transpose(x, kept + axes)
        rows = 1
        for i in kept:
            rows *= x.shape[i]
        flat = xp.ascontiguousarray(moved.reshape(rows, -1))
        totals = self.k_reduce.sum_last(flat, block_size=self._row_block(flat.shape[1]))
        if keepdims:
            return totals.reshape(tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
        return totals.reshape(tuple(x.shape[i] for i in kept))

    def scatter_add(self, target, index, values):
        if self.simulate:
            np.add.at(target, index, values)
        else:
            import cupyx
            cupyx.scatter_add(target, index, values)

    # ------------------------------------------------------------------ activations
    def relu(self, x):
        return self.k_activations.relu_forward(x)

    def relu_backward(self, grad, x):
        return self.k_activations.relu_backward(grad, x)

    def sigmoid(self, x):
        return self.k_activations.sigmoid_forward(x)

    def sigmoid_backward(self, grad, y):
        return self.k_activations.sigmoid_backward(grad, y)

    def tanh(self, x):
        return self.k_activations.tanh_forward(x)

    def tanh_backward(self, grad, y):
        return self.k_activations.tanh_backward(grad, y)

    def gelu(self, x, approximate="none"):
        return self.k_activations.gelu_forward(x, approximate)

    def gelu_backward(self, grad, x, approximate="none"):
        return self.k_activations.gelu_backward(grad, x, approximate)

    # ------------------------------------------------------------------ softmax family (last axis)
    def _rows(self, kernel, *arrays):
        """Run a one-block-per-row kernel on arrays of any shape, rows being the last axis."""
        shape = arrays[0].shape
        flat = [self.xp.ascontiguousarray(a.reshape(-1, shape[-1])) for a in arrays]
        return kernel(*flat, block_size=self._row_block(shape[-1])).reshape(shape)

    def softmax(self, x):
        return self._rows(self.k_softmax.softmax_forward, x)

    def softmax_backward(self, grad, y):
        return self._rows(self.k_softmax.softmax_backward, grad, y)

    def masked_softmax(self, x, keep, scale):
        """NumpyBackend.masked_softmax, as glue around the softmax kernel: forbidden entries become
        -inf, and a row with nothing kept is given zeros (the kernel's e^(-inf - -inf) would be nan)
        and then zeroed."""
        xp = self.xp
        z = x * scale
        if keep is None:
            return self.softmax(z)
        z = xp.where(keep, z, xp.asarray(-np.inf, dtype=z.dtype))
        empty = (z == -np.inf).all(axis=-1, keepdims=True)
        zero = xp.zeros((), dtype=z.dtype)
        return xp.where(empty, zero, self.softmax(xp.where(empty, zero, z)))

    def masked_softmax_backward(self, grad, y, scale):
        gx = self.softmax_backward(grad, y)
        if scale != 1:
            gx *= scale
        return gx

    def log_softmax(self, x):
        return self._rows(self.k_softmax.log_softmax_forward, x)

    def log_softmax_backward(self, grad, y):
        return self._rows(self.k_softmax.log_softmax_backward, grad, y)

    # ------------------------------------------------------------------ losses (fused forward + backward)
    def cross_entropy(self, logits, target, ignore_index=-100, label_smoothing=0.0):
        return self.k_losses.cross_entropy_forward_backward(
            logits, target, ignore_index=ignore_index, label_smoothing=label_smoothing,
            block_size=self._row_block(logits.shape[1]))

    def mse(self, pred, target):
        return self.k_losses.mse_forward_backward(pred, target)

    def hinge(self, scores, y):
        return self.k_losses.hinge_forward_backward(scores, y)

    def multi_margin(self, x, target, p=1, margin=1.0):
        return self.k_losses.multi_margin_forward_backward(x, target, p=p, margin=margin,
                                                          block_size=self._row_block(x.shape[1]))

    # ------------------------------------------------------------------ layer norm
    def layer_norm(self, x, weight, bias, eps):
        return self.k_layernorm.layernorm_forward(x, weight, bias, eps, block_size=self._row_block(x.shape[1]))

    def layer_norm_backward(self, grad, x, mean, rstd, weight):
        return self.k_layernorm.layernorm_backward(grad, x, mean, rstd, weight,
                                                   block_size=self._row_block(x.shape[1]))

    # ------------------------------------------------------------------ embedding
    def embedding(self, weight, indices):
        return self.k_embedding.embedding_forward(weight, indices)

    def embedding_backward(self, grad, indices, num_embeddings, padding_idx=-1):
        return self.k_embedding.embedding_backward(grad, indices, num_embeddings, padding_idx)

    # ------------------------------------------------------------------ optimizer updates (in place)
    def sgd_step(self, param, grad, momentum_buffer, **options):
        self.k_optim.sgd_step(param, grad, momentum_buffer, **options)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, **options):
        self.k_optim.adam_step(param, grad, exp_avg, exp_avg_sq, **options)

    # ------------------------------------------------------------------ convolution, pooling, batch norm
    # The kernels of kernels/conv.py, pool.py and batchnorm.py; the formulas: NumpyBackend's methods of the same names.
    def im2col(self, x, kernel_size, stride, padding, dilation):
        return self.k_conv.im2col(x, kernel_size, stride, padding, dilation)

    def col2im(self, cols, x_shape, kernel_size, stride, padding, dilation):
        return self.k_conv.col2im(cols, x_shape, kernel_size, stride, padding, dilation)

    def max_pool2d(self, x, kernel_size, stride, padding, dilation, out_size):
        return self.k_pool.max_pool2d_forward(x, kernel_size, stride, padding, dilation, out_size)

    def max_pool2d_backward(self, grad, indices, x_shape, kernel_size, stride, padding, dilation):
        return self.k_pool.max_pool2d_backward(grad, indices, x_shape, kernel_size, stride, padding, dilation)

    def batch_norm(self, x, weight, bias, eps):
        values_per_channel = x.shape[0] * x.shape[2]
        return self.k_batchnorm.batchnorm_forward(x, weight, bias, eps, block_size=self._row_block(values_per_channel))

    def batch_norm_backward(self, grad, x, mean, var, weight, eps):
        values_per_channel = x.shape[0] * x.shape[2]
        return self.k_batchnorm.batchnorm_backward(grad, x, mean, var, weight, eps,
                                                   block_size=self._row_block(values_per_channel))

    # ------------------------------------------------------------------ int8 linear (quantized inference)
    def int8_linear(self, x_q, w_q, x_scale, w_scale, bias):
        """The CPU formula (numpy_backend.int8_linear) on the int8 kernel of kernels/quantized.py."""
        return self.k_quantized.int8_linear(x_q, w_q, x_scale.reshape(1), w_scale, bias)
