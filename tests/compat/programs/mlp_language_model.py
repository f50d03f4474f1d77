"""A makemore-style MLP language model of names: a character embedding table, one tanh hidden layer,
cross-entropy, trained on mini-batches from a DataLoader over a TensorDataset, with the parameters
kept in a plain list and updated by hand through .data."""
import numpy as np

import minigrad as torch
import minigrad.nn.functional as F
from minigrad.utils.data import DataLoader, TensorDataset

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
         "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett",
         "liam", "noah", "oliver", "elijah", "william", "james", "benjamin", "lucas", "henry", "alexander"]
CHARS = sorted(set("".join(WORDS)))
STOI = {ch: i + 1 for i, ch in enumerate(CHARS)}
STOI["."] = 0
VOCAB = len(STOI)
BLOCK = 3


def build_dataset(words):
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK
        for ch in w + ".":
            ix = STOI[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def make_parameters(n_embd=10, n_hidden=64):
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((VOCAB, n_embd), generator=g)
    W1 = torch.randn((n_embd * BLOCK, n_hidden), generator=g) * (5 / 3) / (n_embd * BLOCK) ** 0.5
    b1 = torch.randn(n_hidden, generator=g) * 0.01
    W2 = torch.randn((n_hidden, VOCAB), generator=g) * 0.01
    b2 = torch.randn(VOCAB, generator=g) * 0
    return {"C": C, "W1": W1, "b1": b1, "W2": W2, "b2": b2}


def train(params, epochs=3, batch_size=32, lr=0.1):
    X, Y = build_dataset(WORDS)
    order = np.random.default_rng(0).permutation(len(X)).tolist()  # a fixed order: a list is a valid sampler
    loader = DataLoader(TensorDataset(X, Y), batch_size=batch_size, sampler=order)
    parameters = list(params.values())
    for p in parameters:
        p.requires_grad = True
    C, W1, b1, W2, b2 = parameters
    losses = []
    for epoch in range(epochs):
        for xb, yb in loader:
            emb = C[xb]
            h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
            logits = h @ W2 + b2
            loss = F.cross_entropy(logits, yb)
            losses.append(loss.item())
            for p in parameters:
                p.grad = None
            loss.backward()
            for p in parameters:
                p.data += -lr * p.grad
    return losses, {name: p.detach() for name, p in params.items()}


def shuffled_epoch_order(seed):
    """The first batch of a shuffled loader, for a reproducibility check (orders differ between
    libraries, whose random generators differ)."""
    X, Y = build_dataset(WORDS)
    g = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(X, Y), batch_size=8, shuffle=True, generator=g)
    xb, yb = next(iter(loader))
    return yb.tolist()
