"""What every suite shares: the run context, the result containers, and the peers per device.

A suite is a module with ``NAME``, ``DESCRIPTION`` and ``run(ctx) -> SuiteResult``.  It measures
with ``benchmarks.timing.measure``, puts human-readable rows into ``Table``s, machine-readable
rows into ``records`` (these go to results.json), and saves its figures into ``ctx.out_dir``.
"""
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Context:
    device: str                     # "cpu", "cuda" or "cudasim"
    quick: bool                     # --quick: small sizes, few repeats (< 1 minute for everything)
    out_dir: Path                   # where figures go
    torch: object = None            # the torch module when installed, else None
    peaks: dict = field(default_factory=dict)   # {"gflops": ..., "gbps": ...} once measured

    @property
    def simulated(self):
        return self.device == "cudasim"

    @property
    def on_gpu(self):
        return self.device in ("cuda", "cudasim")


@dataclass
class Table:
    title: str
    columns: list
    rows: list = field(default_factory=list)     # lists of already formatted strings
    notes: list = field(default_factory=list)


@dataclass
class SuiteResult:
    suite: str
    device: str
    tables: list = field(default_factory=list)
    records: list = field(default_factory=list)   # dicts, one per measurement, for the JSON
    figures: list = field(default_factory=list)   # file names inside the results folder
    notes: list = field(default_factory=list)
    error: str = None                              # the traceback if the suite crashed
    seconds: float = 0.0                           # how long the suite took


SIMULATOR_WARNING = ("cudasim: Numba's CUDA *simulator* runs every GPU thread as a Python thread on the CPU. "
                     "These timings only show that the harness works; they say nothing about real GPUs.")


def import_torch():
    """``torch`` if it is installed (an optional peer, never a dependency of minigrad), else None."""
    try:
        import torch
        return torch
    except Exception:
        return None


def array_module(device):
    """The raw-array library of a device: NumPy for "cpu"/"cudasim", CuPy for "cuda"."""
    if device == "cuda":
        import cupy
        return cupy
    import numpy
    return numpy


def gpu_sync(device):
    """The function that waits for queued GPU work on ``device`` (None on the CPU)."""
    if device == "cuda":
        import minigrad as mg
        return mg.cuda.synchronize
    return None


def torch_device(ctx):
    """Where the PyTorch peer runs on ``ctx.device``, or None if there is no matching PyTorch."""
    if ctx.torch is None:
        return None
    if ctx.device == "cpu":
        return "cpu"
    if ctx.device == "cuda" and ctx.torch.cuda.is_available():
        return "cuda"
    return None


def torch_sync(ctx):
    if torch_device(ctx) == "cuda":
        return ctx.torch.cuda.synchronize
    return None


def raw_peer_name(device):
    """The hand-written array peer: plain NumPy on the CPU, CuPy on a GPU."""
    return "cupy" if device == "cuda" else "numpy"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}x"


def fmt_rate(x, unit):
    return "-" if x is None else f"{x:.1f} {unit}"
