"""Checkers for lesson 01, tensors and linear algebra."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, exercise, passed


def _as_array(value, what):
    if isinstance(value, mg.Tensor):
        return value.numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ExerciseFailed(f"{what} returned {type(value).__name__}, which is not a matrix of numbers; "
                             "return a NumPy array, a nested list or a minigrad tensor") from None


class _NoMatmulArray(np.ndarray):
    """An array that refuses the library matrix products, so an exercise can ask for them to be written by hand."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:
            raise ExerciseFailed("you used np.matmul (the @ operator); the exercise is to build the product without it. "
                                 "Hint: C = sum over p of np.outer(A[:, p], B[p, :]).")
        plain = [np.asarray(x) if isinstance(x, _NoMatmulArray) else x for x in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        name = getattr(func, "__name__", "")
        if name in ("dot", "matmul", "einsum", "tensordot", "inner", "vdot", "multi_dot", "kron"):
            raise ExerciseFailed(f"you used np.{name}; the exercise is to build the product without it. "
                                 "Hint: C = sum over p of np.outer(A[:, p], B[p, :]).")
        plain = tuple(np.asarray(a) if isinstance(a, _NoMatmulArray) else a for a in args)
        return func(*plain, **kwargs)


def _guarded(array):
    return np.asarray(array).view(_NoMatmulArray)


@exercise("lesson01.exercise1")
def exercise1(matmul_outer):
    """``matmul_outer(A, B)`` computes A @ B as the sum over p of the outer products A[:, p] B[p, :],
    without @, np.dot, np.matmul, np.einsum or np.tensordot (A and B refuse them).
    """
    rng = np.random.default_rng(1)
    for m, k, n in [(2, 2, 2), (3, 4, 2), (1, 5, 3), (4, 1, 4)]:
        A, B = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        C = _as_array(matmul_outer(_guarded(A), _guarded(B)), "matmul_outer")
        expected = A @ B
        if C.shape != expected.shape:
            raise ExerciseFailed(f"for A of shape {A.shape} and B of shape {B.shape} your result has shape {C.shape}, "
                                 f"but A @ B has shape {expected.shape} (rows of A, columns of B)")
        if not np.allclose(C, expected, rtol=1e-9, atol=1e-12):
            i, j = np.unravel_index(np.argmax(np.abs(C - expected)), C.shape)
            hint = "Hint: C = sum_p outer(A[:, p], B[p, :]) — column p of A times row p of B."
            if k > 1 and (np.allclose(C, np.outer(A[:, 0], B[0, :])) or np.allclose(C, np.outer(A[:, -1], B[-1, :]))):
                hint = "Your C is a single outer product: add them up over every p (+=, not =)."
            elif m == n and np.allclose(C, (A @ B).T):
                hint = "Your C is transposed: outer(A[:, p], B[p, :]) has shape (m, n), rows from A."
            raise ExerciseFailed(f"for A {A.shape} @ B {B.shape}, C[{i},{j}] = {C[i, j]:.6g} but should be "
                                 f"{expected[i, j]:.6g}. {hint}")
    return passed("lesson01.exercise1", "Your sum of outer products equals A @ B on square and non-square shapes, "
                  "and used no library matrix product.")


@exercise("lesson01.exercise2")
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


@exercise("lesson01.exercise3")
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


@exercise("lesson01.exercise4")
def exercise4(solve_gradients):
    """``solve_gradients(A, b, G)`` returns ``(dL/dA, dL/db)`` for x = A^{-1} b and G = dL/dx (NumPy arrays)."""
    rng = np.random.default_rng(4)
    for n in (2, 4):
        A_np = rng.standard_normal((n, n)) + n * np.eye(n)
        b_np, G = rng.standard_normal(n), rng.standard_normal(n)
        A = mg.tensor(A_np, requires_grad=True)
        b = mg.tensor(b_np, requires_grad=True)
        (mg.linalg.inv(A) @ b).backward(mg.tensor(G))
        answer = solve_gradients(A_np.copy(), b_np.copy(), G.copy())
        if not isinstance(answer, (tuple, list)) or len(answer) != 2:
            raise ExerciseFailed("return a pair (dL/dA, dL/db)")
        dA, db = (_as_array(a, "solve_gradients") for a in answer)
        if db.shape != (n,) or not np.allclose(db, b.grad.numpy(), rtol=1e-9, atol=1e-12):
            hint = "Hint: dL/db = A^{-T} G (solve with the TRANSPOSE of A)."
            if db.shape == (n,) and np.allclose(db, np.linalg.solve(A_np, G)):
                hint = "You solved with A; the gradient needs A^{-T} G: np.linalg.solve(A.T, G)."
            raise ExerciseFailed(f"dL/db = {np.round(db, 6).tolist()} but autograd gives "
                                 f"{np.round(b.grad.numpy(), 6).tolist()}. {hint}")
        if dA.shape != (n, n) or not np.allclose(dA, A.grad.numpy(), rtol=1e-9, atol=1e-12):
            x = np.linalg.solve(A_np, b_np)
            hint = "Hint: dL/dA = -(A^{-T} G) x^T, an outer product with x = A^{-1} b."
            if dA.shape == (n, n) and np.allclose(dA, np.outer(np.linalg.solve(A_np.T, G), x)):
                hint = "Your dL/dA has the wrong sign: dx = -A^{-1} dA x, so dL/dA = -(A^{-T} G) x^T."
            elif dA.shape == (n, n) and np.allclose(dA, -np.outer(x, np.linalg.solve(A_np.T, G))):
                hint = "Your dL/dA is transposed: it is (A^{-T} G) x^T, with x on the right."
            raise ExerciseFailed(f"dL/dA differs from autograd's (largest gap "
                                 f"{np.abs(dA - A.grad.numpy()).max() if dA.shape == (n, n) else 'shape ' + str(dA.shape)}). {hint}")
    return passed("lesson01.exercise4", "dL/db = A^-T G and dL/dA = -(A^-T G) x^T agree with autograd.")
