"""Knowledge distillation (Hinton, Vinyals & Dean, 2015): a small *student* learns from a *teacher*'s
softened probabilities as well as from the labels.

A teacher that says "positive, 0.9" tells more than the label "positive": how sure it is, and for
many classes which wrong answers are nearly right.  Dividing the logits by a temperature T > 1
softens both distributions so that this "dark knowledge" is not lost in probabilities of 0.999::

    p_T(z) = softmax(z / T)
    loss   = alpha * T^2 * KL( p_T(teacher) || p_T(student) )  +  (1 - alpha) * hard loss (labels)

The T^2 keeps the soft term's gradient on the scale of the hard one: d KL / d z_student is
(p_T(student) - p_T(teacher)) / T, and for a large T each p_T(z)_i is about (1 + (z_i - mean z) / T) / C,
so the difference of the two is itself about (z_student - z_teacher) / (C T): without the T^2 the soft
gradient would shrink like 1/T^2 (Hinton et al., section 2.1).

An ensemble teaches as one: its softened distribution is the mean of its members' (``soften``).
"""
import numpy as np

import minigrad as mg
from minigrad.nn import functional as F


def soften(teacher_logits, temperature: float) -> np.ndarray:
    """log p_T of one teacher's logits ``(N, C)``, or of an ensemble's: a list of such arrays, whose softened
    probabilities are averaged (in float64)."""
    members = teacher_logits if isinstance(teacher_logits, (list, tuple)) else [teacher_logits]
    probabilities = np.mean([F.softmax(mg.tensor(np.asarray(z, dtype=np.float64) / temperature), dim=-1).numpy()
                             for z in members], axis=0)
    return np.log(np.maximum(probabilities, np.finfo(np.float64).tiny))


def distillation_loss(student_logits, teacher_log_probs, hard_loss, temperature: float, alpha: float):
    """``alpha * T^2 * KL(p_T(teacher) || p_T(student)) + (1 - alpha) * hard_loss`` (mean over the batch).

    ``teacher_log_probs``: log p_T of the teacher (``soften``), a Tensor on the student's device."""
    student_log_probs = F.log_softmax(student_logits / temperature, dim=-1)
    soft = F.kl_div(student_log_probs, teacher_log_probs.to(student_log_probs.dtype), reduction="batchmean",
                    log_target=True)
    return alpha * temperature ** 2 * soft + (1 - alpha) * hard_loss
