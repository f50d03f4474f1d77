# %% [markdown]
# # Lesson 13 — Looking inside: attention heatmaps and saliency
#
# **What you learn here**
#
# * how to read a trained Transformer's **attention weights** as heatmaps, one per layer and head — and what they do
#   and do not tell you;
# * **gradient-times-input saliency**: which words pushed the prediction, and by how much, derived as a first-order
#   Taylor approximation and checked against actually removing each word (**occlusion**);
# * how to check an explanation method instead of trusting its pictures.
#
# **What you need first**: lessons 09 (attention) and 10 (the sentiment classifier, its data and training loop).
# We first train a model with lesson 12's recipe (pre-training, then fine-tuning; about 15 s on a CPU).

# %%
import sys
from pathlib import Path

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "minigrad" / "__init__.py").exists())
sys.path.insert(0, str(ROOT))

import warnings
import numpy as np
import matplotlib.pyplot as plt
import minigrad as mg
from minigrad.sentiment import TransformerClassifier
from minigrad.sentiment.datasets import load_sentiment_data
from minigrad.sentiment.encoding import SentenceEncoder, build_vocab
from minigrad.sentiment.explain import colour_line, saliency
from minigrad.sentiment.train import TrainOptions, evaluate, fit
from minigrad.sentiment.pretrain import pretrain
from minigrad.data import make_sentiment_corpus
from minigrad.check import lesson13

warnings.filterwarnings("ignore", message="IProgress not found")
mg.manual_seed(0)

data = load_sentiment_data("embedded", embedded_sizes=(1200, 400), seed=0)
vocab = build_vocab(data.train.texts)
encoder = SentenceEncoder(vocab, max_len=40)
model = TransformerClassifier(len(vocab), d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=40,
                              dropout=0.1, pooling="mean")
unlabelled = data.train.texts + [e.text for e in make_sentiment_corpus(600, 0, seed=1)[0]]
pretrain(model, encoder, unlabelled, epochs=2, batch_size=64, lr=3e-3, seed=0, progress=False, log=lambda line: None)
history = fit(model, encoder, data.train, data.val,
              TrainOptions(epochs=7, batch_size=32, lr=1e-2, seed=0, progress=False), log=lambda line: None)
model.eval()
metrics = evaluate(model, encoder, data.test)
print(f"test accuracy {metrics['accuracy']:.3f}; per kind", {k: round(v, 2) for k, v in metrics["per_kind"].items()})

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
print("gradcheck(logit w.r.t. token vectors):", mg.autograd.gradcheck(logit_of_class_1, (vectors,)))

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
            zeroed = vectors.detach().clone()
            zeroed.data[0, t] = 0
            deltas.append(full - model.classify(model.encode(zeroed, mask), mask).numpy()[0, predicted])
    return np.array(deltas)

reviews = ["the plot was dull but the acting was superb", "the film is n't good", "this movie was never boring",
           "i did not , despite all the hype , find the film enjoyable"]
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
correlation = np.corrcoef(all_saliency, all_occlusion)[0, 1]
plt.figure(figsize=(4, 3.6))
plt.scatter(all_occlusion, all_saliency, s=12)
lim = np.abs(np.concatenate([all_saliency, all_occlusion])).max() * 1.1
plt.plot([-lim, lim], [-lim, lim], color="gray", ls=":")
plt.xlabel("occlusion: logit drop when the word is removed"); plt.ylabel("gradient x input")
plt.title(f"correlation {correlation:.2f}", fontsize=9); plt.show()
assert correlation > 0, "the first-order estimate should at least point the same way as the exact change"

# %% [markdown]
# Read the number before trusting the bars.  Removing a whole word vector is not a small step, and this model's
# logit is far from linear in it (layer norm rescales every vector; the softmax in attention re-weights all the
# others when one key changes).  When the correlation is well below 1 — it was about 0.3 for this seed when the
# lesson was written — gradient-times-input ranks the *big* contributions roughly right but its individual numbers
# are only hints.  Methods that integrate the gradient along the path from $0$ to $e_t$ (integrated gradients) trade
# more backward passes for estimates that add up exactly to the occlusion-style difference.

# %% [markdown]
# ## Exercises
#
# **Exercise 1.** `gradient_times_input(model, ids, mask, target)` returns the saliency of every position, a NumPy
# array of shape `(T,)`, for the logit of class `target` of a one-sentence batch (`ids`, `mask` of shape `(1, T)`).

# %%
def gradient_times_input(model, ids, mask, target):
    vectors = model.embed(ids).detach().requires_grad_()
    logits = model.classify(model.encode(vectors, mask), mask)
    logits[0, target].backward()
    return (vectors.grad * vectors.detach()).sum(dim=-1).numpy()[0]

lesson13.exercise1(gradient_times_input);

# %% [markdown]
# **Exercise 2.** `occlusion_scores(model, ids, mask, target)` returns, for every position $t$, the logit of `target`
# with the full input minus the logit with token $t$'s vector set to zero (shape `(T,)`).

# %%
def occlusion_scores(model, ids, mask, target):
    with mg.no_grad():
        vectors = model.embed(ids)
        full = model.classify(model.encode(vectors, mask), mask).numpy()[0, target]
        out = []
        for t in range(ids.shape[1]):
            zeroed = vectors.clone()
            zeroed.data[0, t] = 0
            out.append(full - model.classify(model.encode(zeroed, mask), mask).numpy()[0, target])
    return np.array(out)

lesson13.exercise2(occlusion_scores);

# %% [markdown]
# **Exercise 3.** `attention_entropy(weights, n_real)` takes one head's `(T, T)` attention table (NumPy) of a sentence
# with `n_real` real tokens followed by padding, and returns the mean over the real query rows of
# $-\sum_j w_{ij}\log w_{ij}$, with $0\log 0 = 0$.

# %%
def attention_entropy(weights, n_real):
    w = weights[:n_real, :n_real]
    safe = np.where(w > 0, w, 1.0)
    return float(-(w * np.log(safe)).sum(axis=-1).mean())

lesson13.exercise3(attention_entropy);

# %% [markdown]
# > **Common mistakes**
# >
# > * Reading attention as explanation: a head can attend strongly to a word whose value vector carries nothing
# >   useful.  Check a claim with a quantity tied to the output (saliency, occlusion).
# > * Saliency in training mode: dropout makes the gradient random.  `model.eval()` first.
# > * Taking the gradient with respect to the token **ids** (integers: no gradient) or with respect to the embedding
# >   **table** (the gradient of all uses of a word summed together).  Differentiate the looked-up vectors.
# > * Forgetting `.detach()` before `.requires_grad_()`: the vectors are not a leaf, so `.grad` stays `None`.
# > * $0\log 0$: computed naively it is NaN; it is 0 (the limit).  Padding rows and columns must be left out.
# > * Using the gradient alone: it says how sensitive the logit is to the word, not how much the word contributed.
#
# **Next:** lesson 14 makes the model cheaper to run: int8 weights and pruning, and what each costs in accuracy.
