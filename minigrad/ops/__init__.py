"""The differentiable ops.  Each is a ``Function`` with a forward, a hand-derived backward,
and a docstring giving the formula and its derivative (g = dL/d(output) throughout).

One file per family:  elementwise.py  reductions.py  matmul.py  linalg.py  shape.py
indexing.py  activations.py  softmax.py  losses.py  normalization.py  embedding.py  dropout.py
convolution.py  pooling.py  batchnorm.py  (convolutional networks)
"""
