"""Gather and scatter along one axis, and their index_* cousins.

gather:       z[p] = x[p with p[dim] replaced by index[p]]          (z has index's shape)
              Every z element is one x element, so gx = zeros, then gx[where z came from] += g
              (a scatter-add: an x element gathered twice gets both gradients).
scatter:      z = x, then z[p with p[dim] replaced by index[p]] = src[p]
              gx = g with the overwritten places set to 0,   gsrc[p] = g[where src[p] went] (a gather).
scatter_add:  z = x, then z[... index[p] ...] += src[p]
              gx = g,   gsrc = gather(g, dim, index).
index_add:    z = x, then z[..., index[k], ...] += alpha * source[..., k, ...]   (along ``dim``)
              gx = g,   gsource = alpha * g[..., index, ...].

"p with p[dim] replaced by index[p]" is built as a tuple of integer arrays (``_positions``), one
per axis: ``index`` itself for ``dim`` and a broadcast ``arange`` for every other axis; NumPy's
and CuPy's advanced indexing then gather (``x[positions]``) or scatter (``z[positions] = ...``).
"""
from minigrad.autograd.function import Op


def check_index(op_name, shape, dim, index, src_shape=None):
    """Refuse an index PyTorch refuses, with its reason: not int64, wrong number of dimensions,
    bigger than the input (outside ``dim``) or than ``src``, or out of bounds."""
    if index.dtype.kind != "i" or index.dtype.itemsize != 8:
        raise RuntimeError(f"{op_name}(): Expected dtype int64 for index, got {index.dtype}; convert it with .long()")
    if index.ndim != len(shape):
        raise RuntimeError(f"{op_name}(): Index tensor must have the same number of dimensions as input tensor "
                           f"(index has shape {tuple(index.shape)}, input {tuple(shape)})")
    for axis, (i, n) in enumerate(zip(index.shape, shape)):
        if axis != dim and i > n:
            raise RuntimeError(f"{op_name}(): Size does not match at dimension {axis}: expected index "
                               f"{list(index.shape)} to be no larger than self {list(shape)} apart from "
                               f"dimension {dim}")
        if src_shape is not None and i > src_shape[axis]:
            raise RuntimeError(f"{op_name}(): Expected index {list(index.shape)} to be no larger than src "
                               f"{list(src_shape)} at dimension {axis}")
    if index.size:
        low, high = int(index.min()), int(index.max())
        bad = low if low < 0 else high if high >= shape[dim] else None
        if bad is not None:
            raise RuntimeError(f"{op_name}(): index {bad} is out of bounds for dimension {dim} with size {shape[dim]}")


def _positions(xp, index, dim):
    """For every position p of ``index``: p with p[dim] replaced by index[p], as a tuple of arrays."""
    grids = []
    for axis, n in enumerate(index.shape):
        if axis == dim:
            grids.append(index)
        else:
            grids.append(xp.arange(n).reshape([n if a == axis else 1 for a in range(index.ndim)]))
    return tuple(grids)


def _leading_block(array, shape):
    """array[:shape[0], :shape[1], ...] — the part of ``src`` that ``index`` covers."""
    return array[tuple(slice(0, n) for n in shape)]


class Gather(Op):
    """z = gather(x, dim, index).    gx = scatter-add of g into zeros."""

    @staticmethod
    def forward(ctx, x, dim, index):
        check_index("gather", x.shape, dim, index)
        ctx.positions = _positions(ctx.backend.xp, index, dim)
        ctx.shape = x.shape
        return x[ctx.positions]

    @staticmethod
    def backward(ctx, g):
        gx = ctx.backend.xp.zeros(ctx.shape, dtype=g.dtype)
        ctx.backend.scatter_add(gx, ctx.positions, g)
        return gx, None, None


class Scatter(Op):
    """z = x with z[positions] = src (a tensor, or a number ``value``).
    gx = g with g[positions] = 0,   gsrc = g[positions] (in src's shape, 0 where src was not used)."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        is_array = hasattr(src, "shape")
        check_index("scatter", x.shape, dim, index, src.shape if is_array else None)
        ctx.positions = _positions(ctx.backend.xp, index, dim)
        ctx.src_shape, ctx.index_shape = (src.shape if is_array else None), index.shape
        z = x.copy()
        z[ctx.positions] = _leading_block(src, index.shape) if is_array else src
        return z

    @staticmethod
    def backward(ctx, g):
        xp = ctx.backend.xp
        gx = g.copy()
        gx[ctx.positions] = 0
        gsrc = None
        if ctx.src_shape is not None and ctx.needs_input_grad[3]:
            gsrc = xp.zeros(ctx.src_shape, dtype=g.dtype)
            gsrc[tuple(slice(0, n) for n in ctx.index_shape)] = g[ctx.positions]
        return gx, None, None, gsrc


class ScatterAdd(Op):
    """z = x with z[positions] += src (repeated positions add up).    gx = g,   gsrc = g[positions]."""

    @staticmethod
    def forward(ctx, x, dim, index, src):
        check_index("scatter_add", x.shape, dim, index, src.shape)
        ctx.positions = _positions(ctx.backend.xp, index, dim)
        ctx.src_shape, ctx.index_shape = src.shape, index.shape
        z = x.copy()
        ctx.backend.scatter_add(z, ctx.positions, _leading_block(src, index.shape))
        return z

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = ctx.backend.xp.zeros(ctx.src_shape, dtype=g.dtype)
            gsrc[tuple(slice(0, n) for n in ctx.index_shape)] = g[ctx.positions]
        return g, None, None, gsrc


class IndexAdd(Op):
    """z = x with z[..., index[k], ...] += alpha * source[..., k, ...] along ``dim``.
    gx = g,   gsource = alpha * g[..., index, ...]."""

    @staticmethod
    def forward(ctx, x, dim, index, source, alpha):
        expected = x.shape[:dim] + (index.shape[0],) + x.shape[dim + 1:]
        if source.shape != expected:
            raise RuntimeError(f"index_add_(): source has shape {source.shape} but must have {expected}: the "
                               f"input's shape {x.shape} with dimension {dim} replaced by len(index) = "
                               f"{index.shape[0]}")
        ctx.where = (slice(None),) * dim + (index,)
        ctx.alpha = alpha
        z = x.copy()
        ctx.backend.scatter_add(z, ctx.where, source * alpha if alpha != 1 else source)
        return z

    @staticmethod
    def backward(ctx, g):
        gsource = g[ctx.where] * ctx.alpha if ctx.needs_input_grad[3] else None
        return g, None, None, gsource, None
