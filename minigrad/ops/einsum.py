"""Einstein summation:  ``einsum("ij,jk->ik", a, b)`` is the matrix product.

Each operand's axes get a letter; letters shared between operands are multiplied together;
letters missing from the output (after "->") are summed over:

    z[out] = sum over the other letters of  prod_j  x_j[term_j]

Gradient of operand i.  z is linear in x_i, and dL/dx_i[term_i] = sum over the remaining letters
of g[out] * prod_{j != i} x_j[term_j] — itself an einsum of g and the other operands, with
term_i as its output.  Two details make that einsum well formed:

* a letter repeated in term_i (``"ii->i"``, a diagonal) reads only the diagonal of x_i, so only
  the diagonal gets a gradient: the second occurrence is renamed to a fresh letter and an
  identity matrix joins the einsum (``eye[i, i']`` puts the gradient on i = i');
* a letter of term_i found nowhere else (``"ij->i"`` summed j only inside x_i) gets a vector of
  ones, because z depends on every x_i[., j] the same way (this is the broadcast of a sum).

``parse`` turns PyTorch's equation forms into this explicit one: "..." becomes letters (aligned
from the right, as broadcasting does), and without "->" the output is the letters that appear
exactly once, in alphabetical order, after the "..." axes.
"""
import string

from minigrad.autograd.function import Op

_LETTERS = string.ascii_letters


def parse(equation, shapes):
    """(terms, output): one subscript string per operand and the output's, with no "..." left."""
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise RuntimeError(f"einsum(): the equation {equation!r} has more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): the equation {equation!r} has {len(terms)} operand(s) but {len(shapes)} "
                           "tensor(s) were given")
    for term in (*terms, rhs):
        bad_dots = term.replace("...", "").count(".") or term.count("...") > 1
        if bad_dots or any(c not in _LETTERS and c != "." for c in term):
            raise RuntimeError(f"einsum(): invalid subscripts {term!r} in {equation!r}: use letters a-z, A-Z and "
                               "at most one '...' per term")
    spare = [c for c in _LETTERS if c not in eq]
    ellipsis_dims = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." in term and len(shape) < named or "..." not in term and len(shape) != named:
            raise RuntimeError(f"einsum(): the subscripts {term!r} do not fit operand {i}, which has "
                               f"{len(shape)} dimension(s) (shape {tuple(shape)})")
        ellipsis_dims.append(len(shape) - named)
    widest = max(ellipsis_dims, default=0)
    letters = "".join(spare[:widest])
    terms = [t.replace("...", letters[widest - k:]) for t, k in zip(terms, ellipsis_dims)]
    if arrow:
        output = rhs.replace("...", letters)
    else:
        counts = "".join(terms)
        output = letters + "".join(sorted(c for c in set(counts) if counts.count(c) == 1 and c not in letters))
    for c in output:
        if output.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in {equation!r}")
        if not any(c in t for t in terms):
            raise RuntimeError(f"einsum(): output subscript {c} in {equation!r} does not appear in any operand")
    return terms, output


def letter_sizes(terms, shapes):
    """The size of each letter, broadcasting size-1 axes as PyTorch does; raises when sizes clash."""
    sizes = {}
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        seen = {}
        for c, n in zip(term, shape):
            if c in seen and seen[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {i} but the sizes don't match, "
                                   f"{seen[c]} != {n}")
            seen[c] = n
            if sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast "
                                   f"with previously seen size {sizes[c]}")
            sizes[c] = max(sizes.get(c, 1), n)
    return sizes


class Einsum(Op):
    """z = einsum(terms -> output) of the operands (sizes already agree: see ``letter_sizes``).
    gx_i = einsum of g and the other operands (+ identities / ones) -> term_i (module docstring)."""

    @staticmethod
    def forward(ctx, terms, output, *operands):
        ctx.terms, ctx.output = terms, output
        ctx.save_for_backward(*operands)
        return ctx.backend.xp.einsum(",".join(terms) + "->" + output, *operands, optimize=len(operands) > 2)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        grads = [None, None]
        for i in range(len(operands)):
            grads.append(_operand_gradient(ctx.backend.xp, g, ctx.terms, ctx.output, operands, i)
                         if ctx.needs_input_grad[2 + i] else None)
        return tuple(grads)


def _operand_gradient(xp, g, terms, output, operands, i):
    term, shape = terms[i], operands[i].shape
    fresh = (c for c in _LETTERS if c not in "".join(terms) + output)
    target, first_seen = [], {}
    extra_terms, extra_operands = [], []
    for c, n in zip(term, shape):
        if c in first_seen:  # a diagonal: only x[.., i, .., i, ..] is used
            renamed = next(fresh)
            target.append(renamed)
            extra_terms.append(c + renamed)
            extra_operands.append(xp.eye(n, dtype=g.dtype))
        else:
            first_seen[c] = n
            target.append(c)
    elsewhere = set(output).union(*(terms[j] for j in range(len(terms)) if j != i), *extra_terms)
    for c, n in first_seen.items():
        if c not in elsewhere:
            extra_terms.append(c)
            extra_operands.append(xp.ones(n, dtype=g.dtype))
    inputs = [output] + [terms[j] for j in range(len(terms)) if j != i] + extra_terms
    arrays = [g] + [operands[j] for j in range(len(terms)) if j != i] + extra_operands
    return xp.einsum(",".join(inputs) + "->" + "".join(target), *arrays, optimize=len(arrays) > 2)
