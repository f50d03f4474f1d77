"""Two small matplotlib helpers (Agg backend: writes PNG files, needs no display)."""
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def _finish(fig, ax, path, title, subtitle):
    ax.set_title(title)
    if subtitle:
        fig.text(0.5, 0.005, textwrap.fill(subtitle, 110), ha="center", va="bottom", fontsize=7, color="firebrick")
    fig.tight_layout(rect=(0, 0.06 if subtitle else 0, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def line_chart(path, title, xlabel, ylabel, series, *, logx=False, logy=False, hlines=None, vlines=None,
               subtitle=None):
    """``series``: {label: (xs, ys)}; ``hlines`` / ``vlines``: {label: position} drawn dashed."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", label=label)
    for label, y in (hlines or {}).items():
        ax.axhline(y, linestyle="--", color="gray", label=label)
    for label, x in (vlines or {}).items():
        ax.axvline(x, linestyle=":", color="black", label=label)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    _finish(fig, ax, path, title, subtitle)


def bar_chart(path, title, labels, bars, *, ylabel, reference=None, subtitle=None):
    """Grouped bars: ``bars`` is {series label: [value per label]} (None values are skipped)."""
    fig, ax = plt.subplots(figsize=(max(7, 0.6 * len(labels) + 3), 4.8))
    width = 0.8 / max(1, len(bars))
    for i, (name, values) in enumerate(bars.items()):
        xs = [j + i * width for j, v in enumerate(values) if v is not None]
        ax.bar(xs, [v for v in values if v is not None], width=width, label=name)
    ax.set_xticks([j + width * (len(bars) - 1) / 2 for j in range(len(labels))])
    ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=8)
    if reference is not None:
        ax.axhline(reference, linestyle="--", color="gray")
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    _finish(fig, ax, path, title, subtitle)
