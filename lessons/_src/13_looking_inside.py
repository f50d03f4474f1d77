# %% [markdown]
# # Lesson 13 — Looking inside: attention heatmaps and saliency
#
# **What you will learn**
# * how to read a trained Transformer's **attention weights** as heatmaps, one per layer and head — and what they do
#   and do not tell you;
# * **gradient-times-input saliency**: which words pushed the prediction, derived as a first-order Taylor step, and
#   checked against actually removing each word (**occlusion**) — including where the two disagree;
# * what **integrated gradients** guarantee (and what not);
# * the model's **remaining mistakes**, one by one.
#
# **What this lesson assumes:** lessons 10–11 (attention, the Transformer block) and 12 (the sentiment classifier,
# its data and training). We load the run of lesson 12's recipe that ships with the course
# (`lessons/trained/sentiment_embedded/`, made by `lessons/_src/make_runs.py`): the same model lesson 12 trains.

# %%
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

import minigrad as mg
from minigrad.sentiment import TransformerClassifier, load_run
from minigrad.sentiment.datasets import load_sentiment_data
from minigrad.sentiment.explain import colour_line, saliency
from minigrad.sentiment.train import evaluate, predict_proba

warnings.filterwarnings("ignore", message="IProgress not found")
threadpool_limits(1, user_api="blas")   # as the command line does: one BLAS thread is fastest for this small
                                       # model, and robust on a busy machine
mg.manual_seed(0)

model, encoder, config = load_run(Path("trained") / "sentiment_embedded")   # next to this notebook, in lessons/
data = load_sentiment_data("embedded", seed=0)          # the split it was trained on; the test set is unseen
metrics = evaluate(model, encoder, data.test)
print(f"test accuracy {metrics['accuracy']:.3f}; per kind", {k: round(v, 3) for k, v in metrics["per_kind"].items()})
assert not model.training and metrics["per_kind"]["negation"] >= 0.9

# %% [markdown]
# ## 1. Attention heatmaps
#
# Every head of every layer computes a table $w_{ij}$ (lesson 10): row $i$ is how the vector at position $i$ mixed the
# vectors of all positions $j$; each row sums to 1.  `model.attention_weights(ids, mask)` runs the model once and
# returns these tables, `(batch, heads, T, T)` per layer.  First the checks: rows sum to 1, and no position
# attends to padding.

# %%
def tokens_and_batch(texts):
    ids, mask = encoder.batch(encoder.encode_all(texts))
    return [encoder.tokens(t) for t in texts], mg.tensor(ids), mg.tensor(mask)

sentences = ["the plot was dull but the acting was superb", "the film is n't good"]
tokens, ids, mask = tokens_and_batch(sentences)
with mg.no_grad():
    logits, per_layer = model.attention_weights(ids, mask)
w = per_layer[0].numpy()
print("layers:", len(per_layer), " weights per layer:", w.shape)
np.testing.assert_allclose(w.sum(axis=-1)[mask.numpy()[:, None, :].repeat(w.shape[1], 1)], 1.0, rtol=1e-5)
padding_columns = ~mask.numpy()[1]
assert np.all(w[1][:, :, padding_columns] == 0), "no query may attend to <pad>"
print("rows sum to 1; the padded sentence gives its <pad> keys weight 0")

# %%
def plot_heads(sentence_index):
    toks = tokens[sentence_index]
    n = len(toks)
    fig, axes = plt.subplots(len(per_layer), model.config["n_heads"], figsize=(4.2 * model.config["n_heads"], 4.0 * len(per_layer)), squeeze=False)
    for layer, weights in enumerate(per_layer):
        for head in range(weights.shape[1]):
            ax = axes[layer, head]
            ax.imshow(weights.numpy()[sentence_index, head, :n, :n], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks(range(n), toks, rotation=90, fontsize=8); ax.set_yticks(range(n), toks, fontsize=8)
            ax.set_title(f"layer {layer}, head {head}", fontsize=9)
    fig.suptitle(f"attention for: {sentences[sentence_index]!r}  (rows: query, columns: key)", fontsize=10)
    plt.tight_layout(); plt.show()

plot_heads(0)

# %% [markdown]
# What to look for: heads whose rows all point to the same few columns (a word many positions gather from — often a
# sentiment word or "but"), heads that look at the neighbouring position (a diagonal band: local word order), and
# heads that spread evenly (averaging).  And what **not** to conclude: attention says where information was *mixed
# from*, not which words *caused* the prediction — the value vectors, the feed-forward layers and the residual path all
# change what the mixed information means.  For "which word mattered" we need a quantity tied to the output: saliency.
#
# A compact summary of how focused each head is: the **entropy** of each row, $H_i = -\sum_j w_{ij}\log w_{ij}$, from 0
# (all weight on one key) to $\log n$ (uniform over $n$ real keys).

# %%
def row_entropy(weights, n_real):
    """Mean entropy of the attention rows of one sentence's heads: (heads,)."""
    w = weights[:, :n_real, :n_real]
    return -(w * np.log(np.where(w > 0, w, 1.0))).sum(axis=-1).mean(axis=-1)

for layer, weights in enumerate(per_layer):
    print(f"layer {layer}: mean row entropy per head {row_entropy(weights.numpy()[0], len(tokens[0])).round(2)}  "
          f"(uniform would be {np.log(len(tokens[0])):.2f})")

# %% [markdown]
# ## 2. Gradient-times-input saliency
#
# Let $e_t\in\mathbb R^d$ be the vector of token $t$ (its embedding, before positions are added) and $s(e_1,\ldots,e_T)$
# the logit of the predicted class.  How much did token $t$ contribute?  Compare with the sentence where token $t$'s
# vector is replaced by $0$.  A first-order Taylor expansion around the actual input gives
#
# $$s(\ldots, e_t, \ldots) - s(\ldots, 0, \ldots) \;\approx\; \nabla_{e_t} s \cdot (e_t - 0) \;=\; \sum_k e_{t,k}\,\frac{\partial s}{\partial e_{t,k}} \;=:\; \text{saliency}_t .$$
#
# One backward pass gives all $T$ scores at once.  Positive: the word argued **for** the prediction; negative: **against**.
# `minigrad.sentiment.explain.saliency` does exactly this: it makes the token vectors a leaf tensor
# (`model.embed(ids).detach().requires_grad_()`), runs the rest of the model (`model.encode`, `model.classify`), and calls
# `backward()` on the chosen logit.
#
# First, the derivative itself: gradcheck of the map $e \mapsto s$ on a float64 copy of the trained model.

# %%
model64 = TransformerClassifier(**model.config)
model64.load_state_dict(model.state_dict())
model64.double().eval()
short_tokens, short_ids, short_mask = tokens_and_batch(["the acting was great"])
vectors = model64.embed(short_ids).detach().requires_grad_()
logit_of_class_1 = lambda e: model64.classify(model64.encode(e, short_mask), short_mask)[:, 1]
assert mg.autograd.gradcheck(logit_of_class_1, (vectors,))
print("gradcheck of the logit with respect to the token vectors: passed")

# %%
def occlusion(model, text):
    """Exact change of the predicted logit when each token's vector is set to 0 (T extra forward passes)."""
    _, ids, mask = tokens_and_batch([text])
    with mg.no_grad():
        vectors = model.embed(ids)
        logits = model.classify(model.encode(vectors, mask), mask)
        predicted = int(logits.numpy()[0].argmax())
        full = logits.numpy()[0, predicted]
        deltas = []
        for t in range(ids.shape[1]):
            keep = np.ones((1, ids.shape[1], 1)); keep[0, t] = 0.0
            zeroed = vectors * mg.tensor(keep).to(vectors.dtype)            # token t's vector set to 0
            deltas.append(full - model.classify(model.encode(zeroed, mask), mask).numpy()[0, predicted])
    return np.array(deltas)

reviews = ["the plot was dull but the acting was superb", "the film is n't good", "this movie was never boring",
           "i did not , despite all the hype , find the film enjoyable"]
showcase = predict_proba(model, encoder, ["the film is n't good"])[0]
print(f"'the film is n't good': p(negative) = {showcase[0]:.3f}")
assert showcase[0] > 0.9                               # the negation is read
fig, axes = plt.subplots(len(reviews), 1, figsize=(9, 2.0 * len(reviews)))
all_saliency, all_occlusion = [], []
for ax, text in zip(axes, reviews):
    toks, scores, probabilities, predicted = saliency(model, encoder, text)
    exact = occlusion(model, text)
    all_saliency += list(scores); all_occlusion += list(exact)
    x = np.arange(len(toks))
    ax.bar(x - 0.2, scores, 0.4, color=np.where(scores > 0, "tab:green", "tab:red"), label="gradient x input")
    ax.bar(x + 0.2, exact, 0.4, color="gray", alpha=0.6, label="occlusion (exact)")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(x, toks, fontsize=8)
    ax.set_title(f"predicted {data.label_names[predicted]} (p = {probabilities[predicted]:.2f})", fontsize=9)
    print(colour_line(toks, scores, colour=False))
axes[0].legend(fontsize=7); plt.tight_layout(); plt.show()

# %% [markdown]
# The grey bars are what really happens when a word's vector is removed; the coloured ones are the one-backward-pass
# estimate.  They agree where the model is close to linear in one token's vector and drift apart where it is not
# (layer norm and softmax are curved).  How well do they agree overall?

# %%
all_saliency, all_occlusion = np.array(all_saliency), np.array(all_occlusion)
correlation = np.corrcoef(all_saliency, all_occlusion)[0, 1]
big = np.abs(all_occlusion) > 0.25 * np.abs(all_occlusion).max()        # the words whose removal matters most
sign_agreement = np.mean(np.sign(all_saliency[big]) == np.sign(all_occlusion[big]))
plt.figure(figsize=(4, 3.6))
plt.scatter(all_occlusion, all_saliency, s=12)
lim = np.abs(np.concatenate([all_saliency, all_occlusion])).max() * 1.1
plt.plot([-lim, lim], [-lim, lim], color="gray", ls=":")
plt.xlabel("occlusion: logit drop when the word is removed"); plt.ylabel("gradient x input")
plt.title(f"correlation {correlation:.2f}", fontsize=9); plt.show()
print(f"correlation {correlation:.2f}; on the {big.sum()} words whose removal changes the logit most, "
      f"gradient x input has the same sign {sign_agreement:.0%} of the time")
CORRELATION, SIGN_AGREEMENT = correlation, sign_agreement

# %% [markdown]
# Read the numbers before trusting the bars. Removing a whole word vector is not a small step, and this model's
# logit is far from linear in it: layer norm rescales every vector, and the softmax in attention re-weights all the
# others when one key changes. The printed correlation and sign agreement say how far the first-order estimate can
# be trusted *for this model*; where the two disagree, the gradient describes an infinitesimal nudge of the vector,
# occlusion the removal of the word — different questions, and neither is "the" explanation.
#
# **Integrated gradients** (Sundararajan et al., 2017) average the gradient along the straight path from a baseline
# (here all token vectors 0) to the input and multiply by the input: $\mathrm{IG}_t = e_t\cdot\int_0^1 \nabla_{e_t} s(\alpha e)\,d\alpha$.
# Their guarantee is **completeness**: $\sum_t \mathrm{IG}_t = s(e) - s(0, \ldots, 0)$, the change when *all* token vectors are
# removed **together**. That is not the sum of the single-word occlusion drops above (removing one word at a time),
# and no method makes every per-word number exact for a nonlinear model. Exercise 2 writes integrated gradients and
# checks the completeness sum.
#
# ## 3. The mistakes that are left
#
# The model reads negation; what does it still get wrong? All misclassified test sentences:

# %%
probabilities = predict_proba(model, encoder, data.test.texts)
predicted_labels = probabilities.argmax(axis=1)
wrong = np.flatnonzero(predicted_labels != np.array(data.test.labels))
kinds_wrong = [data.test.kinds[i] for i in wrong]
print(f"{len(wrong)} of {len(data.test)} test sentences are misclassified; by kind:",
      {k: kinds_wrong.count(k) for k in sorted(set(kinds_wrong))})
for i in wrong:
    print(f"  {data.test.kinds[i]:10s} label {data.label_names[data.test.labels[i]]:8s} p(positive) "
          f"{probabilities[i, 1]:.2f}  {data.test.texts[i]}")
assert len(wrong) == round((1 - metrics["accuracy"]) * len(data.test))
MISSES = [data.test.texts[i] for i in wrong]

# %%
toks, scores, probs, predicted = saliency(model, encoder, MISSES[0])
print("saliency on the first miss:", colour_line(toks, scores, colour=False))

# %% [markdown]
# **What the mistakes have in common** (asserted below, for this run): every one is a *long-range* sentence, and
# none of them contains a negation at all. The model reads the long-range sentences **with** a negation perfectly;
# the half **without** one is where it fails. A plausible reading, consistent with the numbers: in training, a long
# interrupting clause ("despite the bumpy bus ride and the noisy kids , ...") very often comes with a "not" that
# flips the sentiment word after it, and the model has partly learned "long interruption, so flip" instead of "not,
# so flip". The misses are also a little longer than the long-range sentences it gets right, with more words it never
# saw in training (the test split's filler words become `<unk>`). Some misses are near $p = 0.5$ (unsure), others
# confidently wrong — a reminder that a softmax probability is not a calibrated confidence.
#
# The saliency of the first miss points the same way: the sentiment word at the end argues *against* the (wrong)
# prediction, but the filler words and the verb outweigh it. More long-range training sentences without negation, or
# more layers, would be the first things to try; the bag of words of lesson 12 shows that counting words alone would
# not help.

# %%
def has_negation(text):
    return any(word in text.split() for word in ("not", "n't", "never"))

long_range = np.array(data.test.kinds) == "long_range"
negated = np.array([has_negation(t) for t in data.test.texts])
correct = predicted_labels == np.array(data.test.labels)
unknown_share = np.array([np.mean([i == encoder.vocab.unk_id for i in encoder.encode(t)]) for t in data.test.texts])
print(f"long-range with a negation: {correct[long_range & negated].mean():.3f} of {np.sum(long_range & negated)}; "
      f"without one: {correct[long_range & ~negated].mean():.3f} of {np.sum(long_range & ~negated)}")
print(f"share of <unk> words: misses {unknown_share[~correct].mean():.1%}, long-range sentences it gets right "
      f"{unknown_share[long_range & correct].mean():.1%}")
assert 0 < len(MISSES) <= 10
assert all(kind == "long_range" for kind in kinds_wrong) and not any(has_negation(t) for t in MISSES)
assert correct[long_range & negated].mean() == 1.0 and correct[long_range & ~negated].mean() < 0.97
assert CORRELATION < 0.3 and SIGN_AGREEMENT < 0.8          # section 2: the two explanations disagree here

# %% [markdown]
# > **Common mistakes**
# >
# > * Reading attention as explanation: a head can attend strongly to a word whose value vector carries nothing
# >   useful.  Check a claim with a quantity tied to the output (saliency, occlusion).
# > * Trusting one attribution method: here gradient-times-input and occlusion disagree on most words. Report the
# >   method, and check it against another.
# > * Saliency in training mode: dropout makes the gradient random.  `model.eval()` first.
# > * Taking the gradient with respect to the token **ids** (integers: no gradient) or with respect to the embedding
# >   **table** (the gradient of all uses of a word summed together).  Differentiate the looked-up vectors.
# > * Forgetting `.detach()` before `.requires_grad_()`: the vectors are not a leaf, so `.grad` stays `None`.
# > * Reading completeness of integrated gradients as "each number is exact": only their *sum* is pinned down.
# > * Judging a model by its accuracy alone: six mistakes in a thousand all came from one narrow kind of sentence.

# %% [markdown]
# ## Exercises
#
# Each exercise is a stub: its docstring gives the task, the signature and a hint, and its body raises
# `NotImplementedError`. Replace that line with your code and run the cell; the checker reports "not yet solved"
# until you do. The checkers build a small float64 model of their own. Reference solutions:
# `lessons/_solutions/lesson13.py`.
#
# **Exercise 1 — gradient times input.** The saliency of every position for the logit of class `target` of a
# one-sentence batch.

# %%
from minigrad.check import lesson13

def gradient_times_input(model, ids, mask, target):
    """Return a NumPy array (T,): sum_k e_tk * d logit_target / d e_tk for ids, mask of shape (1, T).

    Hint: vectors = model.embed(ids).detach().requires_grad_(); logits = model.classify(model.encode(vectors,
    mask), mask); logits[0, target].backward(); then (vectors.grad * vectors.detach()).sum(dim=-1).
    """
    raise NotImplementedError("exercise 1: write gradient_times_input")

lesson13.exercise1(gradient_times_input)

# %% [markdown]
# **Exercise 2 — integrated gradients.** With the all-zero baseline and the midpoint rule:
# $\mathrm{IG}_t = e_t\cdot\frac1m\sum_{k=0}^{m-1}\nabla_{e_t}s(\alpha_k e)$, $\alpha_k = (k+\frac12)/m$. The checker also checks
# completeness: at $m = 64$ the scores must add up to $s(e) - s(0)$.

# %%
def integrated_gradients(model, ids, mask, target, steps):
    """Return a NumPy array (T,) of integrated gradients for the logit of `target`, baseline 0, midpoint rule.

    Hint: vectors = model.embed(ids).detach(); for each k: point = (vectors * alpha_k).detach().requires_grad_(),
    run model.classify(model.encode(point, mask), mask)[0, target].backward(), add point.grad; finally multiply the
    mean gradient by vectors and sum over the feature axis.
    """
    raise NotImplementedError("exercise 2: write integrated_gradients")

lesson13.exercise2(integrated_gradients)

# %% [markdown]
# **Exercise 3 — attention rollout.** Attention maps of one layer ignore the residual path and the layers below.
# *Attention rollout* (Abnar & Zuidema, 2020) approximates how much each input token reaches each position after
# all layers: average each layer's heads, add the residual as $A_l = \tfrac12 \bar W_l + \tfrac12 I$ (rows renormalised),
# and multiply the layers, top layer on the left.

# %%
def attention_rollout(weights):
    """weights: a list (bottom layer first) of NumPy arrays (heads, T, T) for one sentence. Return the (T, T)
    rollout A_L @ ... @ A_1 with A_l = rownorm(0.5 * mean over heads of W_l + 0.5 * I).

    Hint: loop over the layers keeping a running product; each new layer's A goes on the LEFT.
    """
    raise NotImplementedError("exercise 3: write attention_rollout")

lesson13.exercise3(attention_rollout)

# %% [markdown]
# **Next:** lesson 14 makes the model cheaper to run: int8 weights and pruning, and what each costs in accuracy.
