"""Every user mistake gets a message that names the problem (shapes, devices, dtypes) and the fix."""
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.tensor import Tensor


def test_matmul_inner_dimensions():
    a, b = mg.zeros(2, 3), mg.zeros(4, 5)
    with pytest.raises(RuntimeError, match=re.escape("(2, 3) @ (4, 5): inner dimensions 3 and 4 differ")):
        a @ b


def test_matmul_vector_inner_dimension():
    with pytest.raises(RuntimeError, match=re.escape("(3,) @ (2,): inner dimensions 3 and 2 differ")):
        mg.zeros(3) @ mg.zeros(2)


def test_matmul_of_0d_tensor():
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        mg.tensor(1.0) @ mg.zeros(2)


def test_matmul_dtype_mismatch():
    with pytest.raises(RuntimeError, match=r"same dtype, got float32 and float64.*\.float\(\) or \.double\(\)"):
        mg.zeros(2, 2) @ mg.zeros(2, 2, dtype=mg.float64)


def test_device_mismatch_names_both_devices():
    # The low-level constructor wraps an array already on the device; for "cudasim" that is a
    # NumPy array, so no CUDA backend is needed to build one.
    on_cpu = mg.zeros(2, 3)
    on_sim = Tensor._wrap(np.zeros((2, 3), dtype=np.float32), mg.device("cudasim"))
    with pytest.raises(RuntimeError, match=r"one device, but found 'cpu' and 'cudasim'.*\.to\("):
        on_cpu + on_sim
    with pytest.raises(RuntimeError, match=r"'cudasim' and 'cpu'"):
        on_sim @ on_cpu.T


def test_unknown_device():
    with pytest.raises(ValueError, match=r"unknown device 'tpu'; use one of 'cpu', 'cuda', 'cudasim'"):
        mg.zeros(2, device="tpu")


def test_backward_on_non_scalar():
    y = mg.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"non-scalar output \(shape \(2,\)\).*loss.sum\(\)"):
        y.backward()


def test_second_backward_through_freed_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"a second time.*backward\(retain_graph=True\)"):
        loss.backward()


def test_in_place_change_of_saved_value():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    scale = mg.tensor([3.0, 4.0])
    y = (x * scale).sum()
    scale.mul_(2)
    with pytest.raises(RuntimeError, match=r"shape \(2,\) that Mul saved.*changed in place.*clone\(\)"):
        y.backward()


def test_in_place_on_tensor_that_requires_grad():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: a leaf tensor that requires grad.*cannot be changed in place.*mg.no_grad"):
        w.add_(1.0)


def test_int_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match=r"only floating-point tensors can require gradients "
                                           r"\(this one is int64\).*\.float\(\)"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        mg.zeros(2, dtype=mg.int64).requires_grad_()


def test_bad_reshape():
    with pytest.raises(RuntimeError, match=re.escape("reshape: shape (4, 2) is invalid for a tensor of shape "
                                                     "(2, 3) (6 elements)")):
        mg.zeros(2, 3).reshape(4, 2)


def test_bad_index():
    with pytest.raises(IndexError, match=r"index 5 is invalid for a tensor of shape \(2, 3\)"):
        mg.zeros(2, 3)[5]
    with pytest.raises(IndexError, match=r"invalid for a tensor of shape \(2, 3\)"):
        mg.zeros(2, 3)[0, 0, 0]


def test_bad_dim():
    with pytest.raises(IndexError, match="dim 2 is out of range for a tensor with 2 dimension"):
        mg.zeros(2, 3).sum(2)


def test_bad_permute_and_expand():
    with pytest.raises(RuntimeError, match=r"permute: \(0, 0\) is not a reordering of the 2 axes of shape \(2, 3\)"):
        mg.zeros(2, 3).permute(0, 0)
    with pytest.raises(RuntimeError, match=r"expand: cannot expand shape \(2, 3\) to \(2, 4\)"):
        mg.zeros(2, 3).expand(2, 4)


def test_cat_shape_mismatch():
    with pytest.raises(RuntimeError, match=r"cat: shapes \(2, 3\) and \(2, 4\) must match except in dimension 0"):
        mg.cat([mg.zeros(2, 3), mg.zeros(2, 4)])


def test_cross_entropy_target_out_of_range():
    with pytest.raises(IndexError, match=r"target 5 is not a class index in \[0, 3\)"):
        F.cross_entropy(mg.zeros(2, 3), mg.tensor([0, 5]))


def test_cross_entropy_float_target():
    with pytest.raises(TypeError, match=r"int64 class indices \(got float32\).*\.long\(\)"):
        F.cross_entropy(mg.zeros(2, 3), mg.tensor([0.0, 1.0]))


def test_cross_entropy_target_shape():
    with pytest.raises(RuntimeError, match=r"logits of shape \(2, 3\) need targets of shape \(2,\), got \(3,\)"):
        F.cross_entropy(mg.zeros(2, 3), mg.tensor([0, 1, 2]))


def test_loss_argument_errors():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.mse_loss(mg.zeros(2), mg.zeros(2), reduction="avg")
    with pytest.raises(RuntimeError, match=r"mse_loss: input shape \(2,\) and target shape \(3,\) differ"):
        F.mse_loss(mg.zeros(2), mg.zeros(3))
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        F.hinge_loss(mg.zeros(2), mg.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="p must be 1 or 2, got 3"):
        F.multi_margin_loss(mg.zeros(2, 3), mg.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\], got 1.5"):
        F.dropout(mg.zeros(2), p=1.5)


def test_embedding_index_out_of_range():
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 4\), got values from 0 to 7"):
        F.embedding(mg.tensor([0, 7]), mg.zeros(4, 2))


def test_linear_feature_mismatch():
    with pytest.raises(RuntimeError, match=r"input of shape \(2, 3\) has 3 features but the weight \(4, 5\) "
                                           r"expects 5"):
        F.linear(mg.zeros(2, 3), mg.zeros(4, 5))


def test_singular_matrix_inverse():
    with pytest.raises(RuntimeError, match="singular"):
        mg.linalg.inv(mg.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"square matrices \(..., n, n\), got shape \(2, 3\)"):
        mg.linalg.inv(mg.zeros(2, 3))


def test_item_of_many_elements():
    with pytest.raises(RuntimeError, match=r"only a tensor with one element.*shape \(2, 2\)"):
        mg.zeros(2, 2).item()


def test_broadcast_mismatch_names_both_shapes_and_the_fix():
    a, b = mg.zeros(2, 3), mg.zeros(2)
    for op in (lambda: a + b, lambda: a * b, lambda: mg.where(a > 0, a, b), lambda: mg.maximum(a, b)):
        with pytest.raises(RuntimeError, match=r"\(2, 3\) and \(2,\) cannot be broadcast together.*unsqueeze"):
            op()


def test_cuda_without_a_gpu_explains_the_options():
    if mg.cuda.is_available():
        pytest.skip("this machine has a GPU, so 'cuda' works")  # the message only exists without one
    with pytest.raises(RuntimeError) as error:
        mg.tensor([1.0, 2.0], device="cuda")
    message = str(error.value)
    assert "device 'cuda'" in message
    assert "pip install" in message and "cudasim" in message and "cpu" in message
