"""Sentiment analysis with a tiny Transformer, end to end.

* ``model.py``      ``TransformerClassifier``: embeddings, a pre-norm Transformer encoder, a pooled head
* ``encoding.py``   sentences -> padded id batches with a mask
* ``train.py``      the training loop (AdamW, warm-up + cosine, clipping, validation, best checkpoint)
* ``pretrain.py``   masked-token pre-training on unlabelled text
* ``metrics.py``    accuracy, precision, recall, F1, confusion matrix
* ``run_folder.py`` saving and checking a run folder (config, vocab, weights, metrics, curves)
* ``explain.py``    attention heatmaps and gradient-times-input saliency
* ``distill.py``    ``train --teacher``: knowledge distillation through the training loop's loss hook
* ``compress.py``   ``compress``: int8, pruned or low-rank copies of a run, in new run folders
* ``cli.py``        ``python -m minigrad.sentiment train | evaluate | predict | explain | pretrain | compress``
"""
from .model import TransformerClassifier
from .run_folder import RunFolderError, load_run, save_run

__all__ = ["TransformerClassifier", "load_run", "save_run", "RunFolderError"]
