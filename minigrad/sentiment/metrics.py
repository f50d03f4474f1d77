"""Classification metrics from predicted and true labels (plain NumPy).

For one class c (the "positive" class of a binary task is c = 1)::

    TP = #(pred = c and true = c)    FP = #(pred = c and true != c)    FN = #(pred != c and true = c)
    precision = TP / (TP + FP)       of the sentences we called c, how many were c
    recall    = TP / (TP + FN)       of the sentences that were c, how many we found
    F1        = 2 P R / (P + R)      their harmonic mean (0 when both are 0)

The confusion matrix ``M[t][p]`` counts sentences of true class t predicted as p (rows: truth).
With two classes precision/recall/F1 are reported for class 1; with more, their macro average.
"""
from __future__ import annotations

import numpy as np


def confusion_matrix(true, pred, num_classes: int) -> np.ndarray:
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true, dtype=np.int64), np.asarray(pred, dtype=np.int64)), 1)
    return matrix


def _safe_div(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def per_class_scores(matrix: np.ndarray, c: int) -> tuple[float, float, float]:
    tp = matrix[c, c]
    fp = matrix[:, c].sum() - tp
    fn = matrix[c, :].sum() - tp
    precision, recall = _safe_div(tp, tp + fp), _safe_div(tp, tp + fn)
    return precision, recall, _safe_div(2 * precision * recall, precision + recall)


def classification_metrics(true, pred, num_classes: int = 2) -> dict:
    """``{"accuracy", "precision", "recall", "f1", "confusion_matrix", "n"}`` (JSON-ready)."""
    true, pred = np.asarray(true), np.asarray(pred)
    matrix = confusion_matrix(true, pred, num_classes)
    if num_classes == 2:
        precision, recall, f1 = per_class_scores(matrix, 1)
    else:
        scores = np.array([per_class_scores(matrix, c) for c in range(num_classes)])
        precision, recall, f1 = (float(v) for v in scores.mean(axis=0))
    return {
        "accuracy": _safe_div(np.trace(matrix), matrix.sum()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "confusion_matrix": matrix.tolist(),
        "n": int(matrix.sum()),
    }


def format_metrics(metrics: dict) -> str:
    return (f"acc {metrics['accuracy']:.4f}  P {metrics['precision']:.4f}  R {metrics['recall']:.4f}  "
            f"F1 {metrics['f1']:.4f}  confusion {metrics['confusion_matrix']}")
