"""Suite ``models``: whole-model training steps and inference batches, minigrad vs PyTorch.

Two models, each built in minigrad and mirrored in PyTorch with the *same weights copied over*
(so both do identical arithmetic; the first losses are compared to prove it):

* the small MLP of the overhead suite (batch 64, 32 -> 128 -> 128 -> 10);
* the sentiment Transformer, ``minigrad.sentiment.model.TransformerClassifier`` (token +
  position embeddings, pre-norm encoder layers, final LayerNorm, mean pooling, linear head).
  If that module is missing, an equivalent small encoder built from ``minigrad.nn`` is used.

A *training step* is zero_grad, forward, cross-entropy, backward, AdamW update.  An *inference
batch* is one forward under no_grad in eval mode.  The ratio is minigrad's time / PyTorch's.
"""
import numpy as np

from benchmarks.common import SIMULATOR_WARNING, SuiteResult, Table, fmt_ratio, gpu_sync, torch_device, torch_sync
from benchmarks.overhead import make_minigrad_mlp, make_torch_mlp, mlp_shape
from benchmarks.plots import bar_chart
from benchmarks.timing import Peer, format_seconds, measure, slowdown

NAME = "models"
DESCRIPTION = "training step and inference batch of the small MLP and the sentiment Transformer vs PyTorch"


def transformer_config(ctx):
    if ctx.quick:
        return dict(vocab_size=500, d_model=32, n_heads=2, n_layers=1, d_ff=64, max_len=32, batch=8, length=16)
    return dict(vocab_size=2000, d_model=64, n_heads=4, n_layers=2, d_ff=128, max_len=64, batch=32, length=48)


# ---------------------------------------------------------------------------------------------
# the Transformer in minigrad (the course's model, or a stand-in) and its PyTorch mirror
# ---------------------------------------------------------------------------------------------
def make_minigrad_transformer(cfg, device):
    """The course's sentiment model with dropout off (so both frameworks compute the same thing)."""
    import minigrad as mg
    from minigrad.sentiment.model import TransformerClassifier

    mg.manual_seed(0)
    model = TransformerClassifier(vocab_size=cfg["vocab_size"], d_model=cfg["d_model"], n_heads=cfg["n_heads"],
                                  n_layers=cfg["n_layers"], d_ff=cfg["d_ff"], max_len=cfg["max_len"], dropout=0.0,
                                  pooling="mean")
    return model.to(device), "minigrad.sentiment.model.TransformerClassifier"


def token_batch(cfg, seed=0):
    rng = np.random.default_rng(seed)
    batch, length = cfg["batch"], cfg["length"]
    ids = rng.integers(1, cfg["vocab_size"], (batch, length)).astype(np.int64)
    lengths = rng.integers(length // 2, length + 1, batch)
    mask = np.arange(length)[None, :] < lengths[:, None]
    ids[~mask] = 0
    labels = rng.integers(0, 2, batch).astype(np.int64)
    return ids, mask, labels


# ---------------------------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------------------------
def mg_train_step(model, inputs, labels, lr=1e-3):
    import minigrad as mg
    import minigrad.nn.functional as F
    optimizer = mg.optim.AdamW(model.parameters(), lr=lr)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(*inputs), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def mg_inference(model, inputs):
    import minigrad as mg

    def infer():
        with mg.no_grad():
            return model(*inputs)
    return infer


def torch_train_step(torch, model, inputs, labels, lr=1e-3):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(*inputs), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def torch_inference(torch, model, inputs):
    def infer():
        with torch.no_grad():
            return model(*inputs)
    return infer


def _contest(ctx, label, mg_model, torch_model, mg_inputs, torch_inputs, mg_labels, torch_labels, notes):
    """Check equal first losses, then time training steps and inference batches interleaved."""
    torch = ctx.torch
    rows, records = [], []
    loss_gap = None
    if torch_model is not None:
        check_mg = mg_train_step(mg_model, mg_inputs, mg_labels)
        check_torch = torch_train_step(torch, torch_model, torch_inputs, torch_labels)
        losses = [(float(check_mg().item()), float(check_torch().item())) for _ in range(2)]
        loss_gap = max(abs(a - b) for a, b in losses)
    sync = gpu_sync(ctx.device)
    for kind in ("training step", "inference batch"):
        if kind == "training step":
            peers = [Peer("minigrad", mg_train_step(mg_model, mg_inputs, mg_labels), sync)]
            if torch_model is not None:
                peers.append(Peer("torch", torch_train_step(torch, torch_model, torch_inputs, torch_labels),
                                  torch_sync(ctx)))
        else:
            mg_model.eval()
            peers = [Peer("minigrad", mg_inference(mg_model, mg_inputs), sync)]
            if torch_model is not None:
                torch_model.eval()
                peers.append(Peer("torch", torch_inference(torch, torch_model, torch_inputs), torch_sync(ctx)))
        repeats = 1 if ctx.simulated else (3 if ctx.quick else 11)
        timings = measure(peers, repeats=repeats, warmup=0 if ctx.simulated else (1 if ctx.quick else 3),
                          min_sample_s=1e-3 if ctx.simulated else (0.02 if ctx.quick else 0.05))
        ratio = slowdown(timings, "torch")
        rows.append([label, kind, format_seconds(timings["minigrad"].median),
                     format_seconds(timings["torch"].median) if "torch" in timings else "-", fmt_ratio(ratio),
                     "-" if loss_gap is None else f"{loss_gap:.1e}"])
        records.append(dict(model=label, kind=kind, seconds={k: v.median for k, v in timings.items()},
                            minigrad_slowdown={"torch": ratio}, max_loss_difference=loss_gap, notes=notes))
    return rows, records


def run(ctx):
    import minigrad as mg
    result = SuiteResult(NAME, ctx.device)
    table = Table(f"models on {ctx.device}", ["model", "measure", "minigrad", "torch", "minigrad/torch",
                                               "loss gap"],
                  notes=["loss gap: the largest difference between minigrad's and PyTorch's first two training "
                         "losses from copied weights (float32 rounding is ~1e-6)."])
    if ctx.simulated:
        result.notes.append(SIMULATOR_WARNING)
    torch = ctx.torch
    tdev = torch_device(ctx)
    if tdev is None:
        table.notes.append("PyTorch is not available on this device: minigrad times only.")

    # --- the small MLP --------------------------------------------------------------------
    batch, widths = mlp_shape(ctx)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, widths[0]), dtype=np.float32)
    Y = rng.integers(0, widths[-1], batch).astype(np.int64)
    mg_mlp = make_minigrad_mlp(widths, ctx.device)
    torch_mlp = None
    if tdev:
        weights = [(layer.weight.numpy(), layer.bias.numpy()) for layer in mg_mlp if hasattr(layer, "weight")]
        torch_mlp = make_torch_mlp(torch, weights, tdev)
    label = f"MLP {'-'.join(map(str, widths))}, batch {batch}"
    rows, records = _contest(ctx, label, mg_mlp, torch_mlp,
                             (mg.tensor(X, device=ctx.device),), (torch.from_numpy(X).to(tdev),) if tdev else None,
                             mg.tensor(Y, device=ctx.device), torch.from_numpy(Y).to(tdev) if tdev else None, [])
    table.rows += rows
    result.records += records

    # --- the sentiment Transformer ------------------------------------------------------------
    if ctx.simulated:
        table.notes.append("the Transformer is skipped on the simulator (hundreds of kernel launches per step "
                           "would take minutes and measure nothing about GPUs).")
    else:
        cfg = transformer_config(ctx)
        mg_model, source = make_minigrad_transformer(cfg, ctx.device)
        notes = [f"minigrad model: {source}"]
        torch_model = None
        if tdev:
            from benchmarks.torch_twin import build_torch_twin

            torch_model = build_torch_twin(mg_model.to("cpu")).to(tdev)
            mg_model.to(ctx.device)
            notes.append("PyTorch twin: same architecture, every weight copied (benchmarks/torch_twin.py)")
        ids, mask, labels = token_batch(cfg)
        mg_inputs = (mg.tensor(ids, device=ctx.device), mg.tensor(mask, device=ctx.device))
        torch_inputs = (torch.from_numpy(ids).to(tdev), torch.from_numpy(mask).to(tdev)) if tdev else None
        label = (f"Transformer d={cfg['d_model']} h={cfg['n_heads']} L={cfg['n_layers']} ff={cfg['d_ff']}, "
                 f"batch {cfg['batch']}x{cfg['length']}")
        rows, records = _contest(ctx, label, mg_model, torch_model, mg_inputs, torch_inputs,
                                 mg.tensor(labels, device=ctx.device),
                                 torch.from_numpy(labels).to(tdev) if tdev else None, notes)
        table.rows += rows
        table.notes += notes
        result.records += records
    result.tables.append(table)

    with_torch = [r for r in result.records if r["minigrad_slowdown"]["torch"] is not None]
    if with_torch:
        name = f"models_{ctx.device}_vs_torch.png"
        bar_chart(ctx.out_dir / name, f"minigrad time / PyTorch time on {ctx.device}",
                  [f"{r['model'].split(',')[0]}\n{r['kind']}" for r in with_torch],
                  {"minigrad / torch": [r["minigrad_slowdown"]["torch"] for r in with_torch]},
                  ylabel="times slower than PyTorch", reference=1.0)
        result.figures.append(name)
    return result
