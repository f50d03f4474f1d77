"""Embedding lookup:  y[n] = W[i_n]  — row i_n of the table W for each index i_n.

Backward: row r of W was copied to every position n with i_n = r, so
    gW[r] = sum over {n : i_n = r} of g[n]          (a scatter-add)
and the padding row (if any) gets no gradient, so it stays as it is.
"""
from minigrad.autograd.function import Op


class Embedding(Op):
    """y = W[indices].    gW = scatter-add of g into the rows that were picked."""

    @staticmethod
    def forward(ctx, indices, weight, padding_idx):
        flat = indices.reshape(-1)
        if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= weight.shape[0]):
            raise IndexError(f"embedding: indices must lie in [0, {weight.shape[0]}), got values from "
                             f"{int(flat.min())} to {int(flat.max())}")
        ctx.save_for_backward(flat)
        ctx.num_embeddings = weight.shape[0]
        ctx.padding_idx = -1 if padding_idx is None else padding_idx
        rows = ctx.backend.embedding(weight, flat)
        return rows.reshape(indices.shape + (weight.shape[1],))

    @staticmethod
    def backward(ctx, g):
        (flat,) = ctx.saved_tensors
        g2 = ctx.backend.xp.ascontiguousarray(g.reshape(-1, g.shape[-1]))
        return None, ctx.backend.embedding_backward(g2, flat, ctx.num_embeddings, ctx.padding_idx), None
