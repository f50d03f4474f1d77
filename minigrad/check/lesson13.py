"""Checkers for lesson 13 (looking inside: saliency, occlusion, attention entropy)."""
import numpy as np

import minigrad as mg
from minigrad.check import ExerciseFailed, passed


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


def exercise2(occlusion_scores):
    """Logit(full) - logit(token t's vector set to 0), for every t."""
    model, ids, mask = _tiny_model_and_batch(seed=22)
    length = ids.shape[1]
    with mg.no_grad():
        vectors = model.embed(ids)
        logits = _forward_from_vectors(model, vectors, mask).numpy()[0]
        drops = []
        for t in range(length):
            zeroed = vectors.detach().clone()
            zeroed.data[0, t] = 0
            drops.append(_forward_from_vectors(model, zeroed, mask).numpy()[0])
    drops = np.array(drops)
    for target in (0, 1):
        expected = logits[target] - drops[:, target]
        got = _as_vector(occlusion_scores(model, ids, mask, target), length, "exercise2")
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            continue
        hint = ""
        if np.allclose(got, -expected, rtol=1e-6, atol=1e-9):
            hint = " The sign is flipped: full logit minus the occluded one (positive = the word helped)."
        elif np.allclose(got, drops[:, target], rtol=1e-6):
            hint = " That is the occluded logit itself; subtract it from the full input's logit."
        raise ExerciseFailed(f"exercise2 (target class {target}): got {np.round(got, 5).tolist()}, expected "
                             f"{np.round(expected, 5).tolist()}.{hint}")
    return passed("lesson13.exercise2", "exact logit drops when each position's vector is zeroed, for both classes.")


def exercise3(attention_entropy):
    """Mean over real query rows of -sum_j w_ij log w_ij (0 log 0 = 0), padding ignored."""
    rng = np.random.default_rng(23)
    cases = []
    one_hot = np.zeros((5, 5)); one_hot[:3, 0] = 1.0                # fully focused: entropy 0, with 0 log 0 terms
    cases.append(("one-hot rows", one_hot, 3))
    uniform = np.zeros((6, 6)); uniform[:4, :4] = 0.25
    cases.append(("uniform over 4 keys", uniform, 4))
    random = np.zeros((7, 7))
    scores = rng.standard_normal((5, 5)) * 2
    random[:5, :5] = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    cases.append(("random rows, 2 padding positions", random, 5))
    for name, weights, n_real in cases:
        w = weights[:n_real, :n_real]
        expected = float(-(w * np.log(np.where(w > 0, w, 1.0))).sum(axis=-1).mean())
        got = attention_entropy(weights.copy(), n_real)
        got = float(np.asarray(got))
        if np.isnan(got):
            raise ExerciseFailed(f"exercise3, {name}: got NaN. 0 * log(0) must count as 0: take the log of "
                                 "np.where(w > 0, w, 1.0) (or mask the zero entries).")
        if np.isclose(got, expected, atol=1e-9):
            continue
        hint = ""
        all_rows = float(-(weights[:, :n_real] * np.log(np.where(weights[:, :n_real] > 0, weights[:, :n_real], 1.0))).sum(-1).mean())
        if np.isclose(got, all_rows):
            hint = " The padding rows were averaged in; use only the first n_real query rows."
        elif np.isclose(got, -expected):
            hint = " The sign is flipped: entropy is -sum w log w (never negative)."
        raise ExerciseFailed(f"exercise3, {name}: got {got:.6f}, expected {expected:.6f}.{hint}")
    return passed("lesson13.exercise3", "0 for one-hot rows, log 4 for uniform rows, and the padded random case.")
