"""The differentiable ops.  Each is an ``Op`` (a ``Function`` on raw arrays) with a forward, a
hand-derived backward, and a docstring giving the formula and its derivative (g = dL/d(output)
throughout).

One file per family:  elementwise.py  reductions.py  matmul.py  linalg.py  shape.py
indexing.py  activations.py  softmax.py  losses.py  normalization.py  embedding.py  dropout.py
trigonometry.py  exponential.py  powers.py  rounding.py  special.py (erf)  scan.py (cumsum, cumprod)
norms.py  gather.py (gather, scatter, index_add)  reorder.py (roll, flip)  diagonal.py  einsum.py
padding.py  normalize.py
convolution.py  pooling.py  batchnorm.py  (convolutional networks)
"""
