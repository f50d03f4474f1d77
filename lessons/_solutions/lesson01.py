"""Reference solutions for lesson 01. The tests write each one into the notebook in place of its stub."""
import numpy as np

import minigrad as mg


def matmul_outer(A, B):
    C = np.zeros((A.shape[0], B.shape[1]))
    for p in range(A.shape[1]):
        C += np.outer(A[:, p], B[p, :])
    return C


def broadcast_shape(shape_a, shape_b):
    n = max(len(shape_a), len(shape_b))
    a = (1,) * (n - len(shape_a)) + tuple(shape_a)
    b = (1,) * (n - len(shape_b)) + tuple(shape_b)
    result = []
    for x, y in zip(a, b):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"sizes {x} and {y} do not broadcast")
        result.append(max(x, y))
    return tuple(result)


def my_cross(a, b):
    return mg.stack([a[1] * b[2] - a[2] * b[1],
                     a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def solve_gradients(A, b, G):
    x = np.linalg.solve(A, b)
    db = np.linalg.solve(A.T, G)
    return -np.outer(db, x), db
