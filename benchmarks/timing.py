"""Timing discipline shared by every suite.

Rules the numbers in the reports follow:

* **warm-up first** -- the first calls pay for imports, allocation, JIT compilation and cold
  caches; they are run and thrown away;
* **median of repeats** -- one slow repeat (another process woke up) moves a mean a lot and a
  median hardly at all;
* **peers interleaved** -- minigrad, NumPy and PyTorch take turns inside every repeat
  (round-robin), in one process, so a machine that gets busier half-way through slows all of
  them alike and their *ratio* stays honest;
* **GPU work is synchronised** -- kernel launches return before the kernel has run, so each
  GPU peer carries a ``sync`` function (``mg.cuda.synchronize``) called before the clock starts
  and before it stops;
* **tiny calls are batched** -- a call shorter than the clock's resolution is repeated
  ``number`` times inside one sample and the sample divided by ``number``.
"""
import math
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Peer:
    """One contestant: a name ("minigrad", "numpy", "torch"...), a no-argument function doing
    the work once, and an optional ``sync`` that waits for queued GPU work."""

    name: str
    fn: object
    sync: object = None


@dataclass
class Timing:
    """Seconds per call: the median over ``samples`` (each the mean of ``number`` calls)."""

    median: float
    samples: list = field(default_factory=list)
    number: int = 1

    @property
    def spread(self):
        """(max - min) / median of the samples: how noisy the measurement was."""
        if not self.samples or self.median == 0:
            return 0.0
        return (max(self.samples) - min(self.samples)) / self.median


def _run(peer, number):
    if peer.sync:
        peer.sync()
    start = time.perf_counter()
    for _ in range(number):
        peer.fn()
    if peer.sync:
        peer.sync()
    return (time.perf_counter() - start) / number


def measure(peers, *, repeats=5, warmup=1, min_sample_s=2e-3, max_number=1000):
    """Time every peer, interleaved.  Returns ``{peer.name: Timing}``.

    1. warm-up: each peer runs ``warmup`` times; the last warm-up time decides ``number``, how
       many calls one sample holds (so a sample lasts ~min_sample_s).  ``warmup=0`` skips it
       and takes one call per sample (for very slow calls, e.g. the CUDA simulator);
    2. ``repeats`` rounds; in each round every peer takes one sample, in turn;
    3. the result is the median sample of each peer.
    """
    numbers = {}
    for peer in peers:
        single = min_sample_s
        for _ in range(warmup):
            single = _run(peer, 1)
        numbers[peer.name] = max(1, min(max_number, math.ceil(min_sample_s / max(single, 1e-9))))
    samples = {peer.name: [] for peer in peers}
    for _ in range(max(1, repeats)):
        for peer in peers:
            samples[peer.name].append(_run(peer, numbers[peer.name]))
    return {name: Timing(statistics.median(values), values, numbers[name]) for name, values in samples.items()}


def slowdown(timings, peer, subject="minigrad"):
    """How many times longer ``subject`` took than ``peer``: ``time[subject] / time[peer]``.

    2.0x means minigrad needed twice the peer's time; below 1.0x minigrad was faster.
    """
    if peer not in timings or subject not in timings:
        return None
    return timings[subject].median / timings[peer].median


def repeats_for(seconds_per_call, quick):
    """Fewer repeats for slow calls, so a full run stays within minutes."""
    if seconds_per_call > 1.0:
        return 3
    if quick:
        return 3
    return 5 if seconds_per_call > 0.05 else 7


def format_seconds(seconds):
    """3.2 us / 4.1 ms / 1.25 s: the unit that keeps 2-4 significant digits."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"
