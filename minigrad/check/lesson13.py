"""Checkers for lesson 13 (looking inside): gradient x input, integrated gradients, attention rollout."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, exercise, passed


def _tiny_model_and_batch(seed=21):
    from minigrad.sentiment import TransformerClassifier
    from minigrad.sentiment.encoding import SentenceEncoder, build_vocab
    vocab = build_vocab(["the film was good", "the plot was not boring", "a dull mess"])
    encoder = SentenceEncoder(vocab, 16)
    mg.manual_seed(seed)
    model = TransformerClassifier(len(vocab), d_model=16, n_heads=2, n_layers=1, d_ff=32, max_len=16,
                                  dropout=0.0, pooling="mean").double().eval()
    ids, mask = encoder.batch([encoder.encode("the plot was not good")])
    return model, mg.tensor(ids), mg.tensor(mask)


def _forward_from_vectors(model, vectors, mask):
    return model.classify(model.encode(vectors, mask), mask)


def _as_vector(value, length, what):
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float64).reshape(-1)
    if array.shape != (length,):
        raise ExerciseFailed(f"{what}: expected one score per position, shape ({length},), got shape {array.shape}")
    return array


@exercise("lesson13.exercise1")
def exercise1(gradient_times_input):
    """Saliency = sum_k e_tk * ds/de_tk for the target logit."""
    model, ids, mask = _tiny_model_and_batch()
    length = ids.shape[1]
    for target in (0, 1):
        vectors = model.embed(ids).detach().requires_grad_()
        _forward_from_vectors(model, vectors, mask)[0, target].backward()
        gradient = vectors.grad.numpy()[0]
        expected = (gradient * vectors.detach().numpy()[0]).sum(axis=-1)
        model.zero_grad()
        got = _as_vector(gradient_times_input(model, ids, mask, target), length, "exercise1")
        model.zero_grad()
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        hint = ""
        if np.allclose(got, gradient.sum(axis=-1), rtol=1e-6, atol=1e-9):
            hint = " That is the gradient summed over the features; multiply it by the input vector first."
        elif np.allclose(got, np.linalg.norm(gradient, axis=-1), rtol=1e-6):
            hint = " That is the gradient's norm (plain saliency); gradient-times-input is sum_k e_tk * ds/de_tk."
        elif np.allclose(got, np.abs(expected), rtol=1e-6):
            hint = " Keep the sign: negative scores mark words that argued against the class."
        raise ExerciseFailed(f"exercise1 (target class {target}): got {np.round(got, 5).tolist()}, expected "
                             f"{np.round(expected, 5).tolist()}.{hint}")
    return passed("lesson13.exercise1", "gradient x input per position, with its sign, for both classes.")


def _reference_integrated_gradients(model, ids, mask, target, steps):
    vectors = model.embed(ids).detach()
    total = np.zeros(vectors.shape[1:], dtype=np.float64)
    for k in range(steps):
        alpha = (k + 0.5) / steps
        point = (vectors * alpha).detach().requires_grad_()
        _forward_from_vectors(model, point, mask)[0, target].backward()
        total += point.grad.numpy()[0]
        model.zero_grad()
    return (vectors.numpy()[0] * total / steps).sum(axis=-1)


@exercise("lesson13.exercise2")
def exercise2(integrated_gradients):
    """``integrated_gradients(model, ids, mask, target, steps)``: per-position IG with the all-zero baseline,
    midpoint rule: e_t . (1/steps) sum_k ds/de_t at alpha_k = (k + 1/2) / steps."""
    model, ids, mask = _tiny_model_and_batch()
    length = ids.shape[1]
    with mg.no_grad():
        vectors = model.embed(ids)
        full = _forward_from_vectors(model, vectors, mask).numpy()[0]
        empty = _forward_from_vectors(model, vectors * 0.0, mask).numpy()[0]
    for target, steps in ((1, 1), (0, 8), (1, 64)):
        expected = _reference_integrated_gradients(model, ids, mask, target, steps)
        got = _as_vector(integrated_gradients(model, ids, mask, target, steps), length, "exercise2")
        model.zero_grad()
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        hint = "Hint: average the gradient at the points alpha e, alpha = (k + 0.5) / steps, then multiply by e."
        one_step = _reference_integrated_gradients(model, ids, mask, target, 1)
        if steps > 1 and np.allclose(got, one_step, rtol=1e-6):
            hint = "Your answer does not change with steps: evaluate the gradient at every alpha_k, not once."
        elif np.allclose(got, expected * steps, rtol=1e-6):
            hint = "You summed the gradients without dividing by steps: IG uses their MEAN along the path."
        raise ExerciseFailed(f"exercise2 (target {target}, steps {steps}): got {np.round(got, 5).tolist()}, expected "
                             f"{np.round(expected, 5).tolist()}. {hint}")
    gap = abs(got.sum() - (full[1] - empty[1]))
    if gap > 0.05 * abs(full[1] - empty[1]) + 1e-4:
        raise ExerciseFailed(f"completeness fails: your 64-step attributions sum to {got.sum():.5f}, but "
                             f"s(e) - s(0) = {full[1] - empty[1]:.5f}")
    return passed("lesson13.exercise2", f"midpoint integrated gradients for 1, 8 and 64 steps; at 64 steps they add up "
                  f"to s(e) - s(0) = {full[1] - empty[1]:.4f} within {gap:.1e} (completeness).")


def _reference_rollout(weights):
    rollout = None
    for w in weights:
        a = 0.5 * w.mean(axis=0) + 0.5 * np.eye(w.shape[-1])
        a = a / a.sum(axis=-1, keepdims=True)
        rollout = a if rollout is None else a @ rollout
    return rollout


@exercise("lesson13.exercise3")
def exercise3(attention_rollout):
    """``attention_rollout(weights)``: a list (one per layer, bottom first) of (heads, T, T) NumPy attention tables
    of one sentence -> the (T, T) rollout A_L ... A_1 with A_l = rownorm(0.5 mean_heads(W_l) + 0.5 I)."""
    rng = np.random.default_rng(13)
    def random_attention(heads, t):
        scores = rng.standard_normal((heads, t, t)) * 2
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    for layers in (1, 3):
        weights = [random_attention(2, 5) for _ in range(layers)]
        expected = _reference_rollout(weights)
        got = np.asarray(attention_rollout([w.copy() for w in weights]), dtype=np.float64)
        if got.shape != (5, 5):
            raise ExerciseFailed(f"the rollout of a 5-token sentence is 5 x 5; you returned shape {got.shape}")
        if np.allclose(got, expected, rtol=1e-9, atol=1e-12):
            continue
        hint = "Hint: A_l = 0.5 * W_l.mean(axis=0) + 0.5 * I (rows renormalised); rollout = A_L @ ... @ A_1."
        a = [0.5 * w.mean(axis=0) + 0.5 * np.eye(5) for w in weights]
        if layers > 1 and np.allclose(got, a[0] @ a[1] @ a[2]):
            hint = ("You multiplied bottom layer first on the LEFT; information flows up, so the top layer's matrix "
                    "goes on the left: A_3 @ A_2 @ A_1.")
        elif np.allclose(got, _reference_rollout([w.mean(axis=0, keepdims=True) * 2 - np.eye(5) for w in weights])):
            hint = "You left out the residual connection: add 0.5 * I before multiplying."
        elif layers == 1 and np.allclose(got, weights[0].mean(axis=0)):
            hint = "You left out the residual connection: A = 0.5 W + 0.5 I, because each block adds its input back."
        raise ExerciseFailed(f"the rollout of {layers} layer(s) differs (row 0: {np.round(got[0], 4).tolist()}, "
                             f"expected {np.round(expected[0], 4).tolist()}). {hint}")
    if not np.allclose(got.sum(axis=-1), 1.0):
        raise ExerciseFailed("every row of the rollout must sum to 1")
    return passed("lesson13.exercise3", "head-averaged, residual-corrected, top layer on the left, for 1 and 3 layers.")
