"""Checkers for lesson 01, tensors and linear algebra."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed


def _as_array(value, what):
    if isinstance(value, mg.Tensor):
        return value.numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{what} returned {type(value).__name__}, which is not a matrix of numbers; "
                             "return a NumPy array, a nested list or a minigrad tensor") from None


def exercise1(matmul_loops):
    """``matmul_loops(A, B)`` computes C_ij = sum_k A_ik B_kj with Python loops.

    A and B are NumPy arrays; return anything array-like of shape (rows of A, columns of B).
    """
    rng = np.random.default_rng(1)
    for m, k, n in [(2, 2, 2), (3, 4, 2), (1, 5, 3), (4, 1, 4)]:
        A, B = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        C = _as_array(matmul_loops(A, B), "matmul_loops")
        expected = A @ B
        if C.shape != expected.shape:
            raise ExerciseFailed(f"for A of shape {A.shape} and B of shape {B.shape} your result has shape {C.shape}, "
                                 f"but A @ B has shape {expected.shape} (rows of A, columns of B)")
        if not np.allclose(C, expected, rtol=1e-9, atol=1e-12):
            i, j = np.unravel_index(np.argmax(np.abs(C - expected)), C.shape)
            raise ExerciseFailed(f"for A {A.shape} @ B {B.shape}, C[{i},{j}] = {C[i, j]:.6g} but should be "
                                 f"{expected[i, j]:.6g}. Hint: C_ij = sum_k A[i,k] * B[k,j] — row i of A "
                                 "against column j of B.")
    return passed("lesson01.exercise1", "Your loops agree with A @ B on square and non-square shapes.")


def exercise2(broadcast_shape):
    """``broadcast_shape(shape_a, shape_b)`` returns the broadcast shape as a tuple, or raises ValueError."""
    compatible = [((3, 1), (1, 4)), ((5, 3, 1), (4,)), ((), (2, 3)), ((2, 1, 3), (7, 1)), ((4,), (4,)),
                  ((1,), (3, 2)), ((8, 1, 6, 1), (7, 1, 5))]
    incompatible = [((3,), (4,)), ((2, 3), (3, 2)), ((5, 4), (5,))]
    for a, b in compatible:
        expected = np.broadcast_shapes(a, b)
        try:
            got = broadcast_shape(a, b)
        except ValueError as error:
            raise ExerciseFailed(f"broadcast_shape({a}, {b}) raised ValueError({error}) but the shapes are "
                                 f"compatible: the result is {expected}. Hint: line the shapes up from the RIGHT; "
                                 "a missing axis counts as 1.") from None
        if tuple(got) != expected:
            raise ExerciseFailed(f"broadcast_shape({a}, {b}) returned {tuple(got)} but should be {expected}. "
                                 "Hint: align the shapes at the right end; each pair of sizes must be equal or "
                                 "contain a 1, and the result takes the larger.")
    for a, b in incompatible:
        try:
            got = broadcast_shape(a, b)
        except ValueError:
            continue
        raise ExerciseFailed(f"broadcast_shape({a}, {b}) returned {got}, but these shapes do not broadcast "
                             "(sizes differ and neither is 1): raise ValueError instead.")
    return passed("lesson01.exercise2", f"Your rule matches np.broadcast_shapes on {len(compatible)} compatible "
                  f"and {len(incompatible)} incompatible pairs.")


def exercise3(cross):
    """``cross(a, b)`` returns the cross product of two minigrad tensors of shape (3,), written from the
    component formula with minigrad ops (indexing, *, -, mg.stack), so that gradients flow."""
    rng = np.random.default_rng(3)
    for _ in range(3):
        a_np, b_np = rng.standard_normal(3), rng.standard_normal(3)
        a, b = mg.tensor(a_np), mg.tensor(b_np)
        c = cross(a, b)
        if not isinstance(c, mg.Tensor):
            raise ExerciseFailed(f"cross returned {type(c).__name__}; build the result with minigrad ops "
                                 "(e.g. mg.stack([c0, c1, c2])) so it is a Tensor")
        c_np = c.numpy()
        expected = np.cross(a_np, b_np)
        if c_np.shape != (3,):
            raise ExerciseFailed(f"cross(a, b) has shape {c_np.shape}; it should be (3,)")
        if not np.allclose(c_np, expected, rtol=1e-9, atol=1e-12):
            wrong = [i for i in range(3) if not np.isclose(c_np[i], expected[i])]
            raise ExerciseFailed(f"component(s) {wrong} of a x b are wrong: got {c_np.round(6).tolist()}, expected "
                                 f"{expected.round(6).tolist()}. Hint: c = (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0) "
                                 "(0-based indices); each component uses the two *other* coordinates.")
    a = mg.tensor(rng.standard_normal(3), requires_grad=True)
    b = mg.tensor(rng.standard_normal(3), requires_grad=True)
    try:
        mg.autograd.gradcheck(cross, (a, b))
    except AssertionError as error:
        raise ExerciseFailed(f"the values are right but the gradient is not: {error}. Build the answer from "
                             "minigrad ops only (no .numpy() or .item() inside).") from None
    except RuntimeError as error:
        raise ExerciseFailed(f"no gradient flows through your cross: {error}. Build the answer from minigrad ops "
                             "only (no .numpy() or .item() inside).") from None
    return passed("lesson01.exercise3", "Your cross product matches np.cross, and gradcheck accepts its gradient.")
