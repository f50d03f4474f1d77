"""``train --distributed``: the one training loop on several processes, through a few hooks.

    mpiexec -n 2 python -m minigrad.sentiment train --distributed ...

Every rank builds the same data, batches and model (same seed), and the loop (``loop.py``) asks its
``parallel`` object at a few points what to do.  ``SingleProcess`` (in ``loop.py``) answers "all
of it, alone"; ``DataParallel`` here answers for rank r of p:

* ``wrap(model, unused)``: ``DistributedDataParallel(model)``: rank 0's weights everywhere, and every
  ``backward()`` averages the gradients across ranks (leaving out the parameters the task never
  trains, e.g. the masked-token bias when classifying: their gradient is always None);
* ``part(n)``: rank r computes examples ``r*n//p .. (r+1)*n//p - 1`` of each global batch of n.
  The batch and its random choices (word dropout, masked tokens) are drawn whole on every rank,
  then cut, so the global batch, the batch size and the learning rate are exactly the
  single-process ones;
* ``totals(...)``: one small all-reduce per step adds up the loss, the counts and the correct
  predictions, so the logs and metrics describe the whole batch;
* ``backward(loss, count, total)``: the whole batch's mean loss is ``sum_r (count_r/total) *
  mean_r``; DDP divides the sum of the ranks' gradients by p, so rank r back-propagates
  ``mean_r * p * count_r / total`` (exactly ``mean_r`` when the parts are equal, and a zero
  gradient from a rank whose part is empty);
* ``any_rank(stop)``: Ctrl-C on any rank stops every rank after the same step;
* ``is_main``: only rank 0 writes the run folder, prints and shows the progress bar.

Every rank validates on the whole validation set (the same weights give the same score, so the
early-stopping decisions agree without a message).  Dropout masks are drawn by each rank for its
own part (every rank's generator has the same seed), so with dropout the run is the same training
statistically, not number for number; with ``--dropout 0`` it equals one process's to rounding.

Errors: a problem found before training (on any rank) reaches every rank through one
agreement message, so all ranks stop with the same one-line error and only rank 0 prints it.  A
failure during training would leave the other ranks waiting in a collective forever, so it stops
every process (MPI_Abort) after printing its line.
"""
from __future__ import annotations

import os
import sys

import numpy as np


class DataParallelError(Exception):
    """A distributed set-up a user can fix; the CLI prints it as one ``error:`` line."""


#: Environment variables holding this process's rank under common launchers (to print errors once).
_LAUNCHER_RANKS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "RANK")

_current = None   # the DataParallel of this process's run, if any


def start(device: str) -> "DataParallel":
    """Join the processes of this launch (``init_process_group``) and return the run's hooks."""
    import minigrad.distributed as dist

    try:
        if not dist.is_initialized():
            dist.init_process_group(backend="mpi")
    except (RuntimeError, ValueError) as error:
        raise DataParallelError(f"--distributed: {error}") from None
    global _current
    _current = DataParallel(dist.get_rank(), dist.get_world_size(), device)
    return _current


class DataParallel:
    """The loop's hooks for rank ``rank`` of ``world_size`` (see the module docstring)."""

    def __init__(self, rank: int, world_size: int, device: str):
        self.rank, self.world_size, self.device = rank, world_size, device
        self.is_main = rank == 0
        self.agreed = False        # the one agreement message before training has been exchanged
        self.in_loop = False       # between wrap() and finish(): the ranks are in lockstep
        self.ddp = None

    def describe(self) -> str:
        if self.world_size == 1:
            return ("--distributed in a world of 1 process: this is ordinary training (launch with mpiexec -n N "
                    "python -m minigrad.sentiment train --distributed ... for N processes)")
        return (f"data parallel on {self.world_size} processes (MPI): each computes 1/{self.world_size} of every "
                "batch; the batch size and learning rate are the ones above")

    def check_batch_size(self, batch_size: int) -> None:
        if batch_size % self.world_size:
            lower = batch_size - batch_size % self.world_size
            choices = f"{lower} or {lower + self.world_size}" if lower else str(self.world_size)
            raise DataParallelError(
                f"--batch-size {batch_size} does not split evenly over {self.world_size} processes (each computes "
                f"batch / processes examples of every step): use a multiple of {self.world_size}, e.g. {choices}")

    # -------------------------------------------------------------- the agreement before training
    def agree(self, error: str | None, fingerprint: str | None = None) -> None:
        """Exchange (error, data fingerprint) once between all ranks; raise the same error everywhere if
        any rank has one or the ranks read different training data."""
        import minigrad.distributed as dist

        if self.agreed:
            return
        self.agreed = True
        everyone = [None] * self.world_size
        dist.all_gather_object(everyone, (error, fingerprint))
        for rank, (their_error, _) in enumerate(everyone):
            if their_error is not None:
                raise DataParallelError(their_error if rank == 0 else f"rank {rank}: {their_error}")
        prints = {their_print for _, their_print in everyone}
        if len(prints) > 1:
            odd = next(rank for rank, (_, p) in enumerate(everyone) if p != everyone[0][1])
            raise DataParallelError(f"rank {odd} read different training data than rank 0: every process must read the "
                                    "same files (on several machines: the same copy of the data on each)")

    # -------------------------------------------------------------- the loop's hooks
    def wrap(self, model, unused_parameters=()):
        from minigrad.nn.parallel import DistributedDataParallel

        self.agree(None)          # a no-op when the command already agreed (with its data fingerprint)
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, unused_parameters)
        try:
            self.ddp = DistributedDataParallel(model)
        except RuntimeError as error:
            raise DataParallelError(str(error)) from None
        self.in_loop = True
        return self.ddp

    def part(self, n: int) -> slice:
        return slice(self.rank * n // self.world_size, (self.rank + 1) * n // self.world_size)

    def totals(self, loss_value: float, examples: int, correct: int, count: int):
        """(mean loss, examples, correct, count) of the whole batch, from every rank's part."""
        from minigrad.distributed.collectives import ReduceOp, all_reduce_array

        sums = all_reduce_array(np.array([loss_value * count, examples, correct, count], dtype=np.float64),
                                ReduceOp.SUM)
        total = int(sums[3])
        return (float(sums[0] / total) if total else 0.0), int(sums[1]), int(sums[2]), total

    def backward(self, loss, count: int, total: int) -> None:
        if count == 0:   # nothing of this batch here: a zero gradient, but still take part in the all-reduces
            loss = sum((p * 0).sum() for p in self.ddp.module.parameters() if p.requires_grad)
        else:
            share = self.world_size * count / total
            loss = loss if share == 1 else loss * share
        loss.backward()

    def any_rank(self, flag: bool) -> bool:
        from minigrad.distributed.collectives import ReduceOp, all_reduce_array

        return bool(all_reduce_array(np.array([int(flag)], dtype=np.int64), ReduceOp.MAX)[0])

    def finish(self) -> None:
        self.in_loop = False
        if self.ddp is not None:
            for handle in self.ddp._hook_handles:
                handle.remove()


def report_failure(line: str, status: int) -> int:
    """How the CLI ends a failed command: print ``line`` once and return the exit status.

    Not distributed: print.  Before training: the error was (or is now) agreed by every rank, and
    rank 0 prints it.  During training: the other ranks may be waiting for this one in a
    collective, so print and stop every process.
    """
    run = _current
    if run is None:
        if _launcher_rank() in (None, 0):
            print(line, file=sys.stderr)
        return status
    if run.in_loop:
        print(f"{line} (rank {run.rank}; stopping every process)", file=sys.stderr, flush=True)
        import minigrad.distributed as dist
        from minigrad.distributed.process_group import default_group

        if dist.is_initialized():
            default_group().MPI.COMM_WORLD.Abort(status)
        return status
    if not run.agreed:
        try:
            run.agree(line.removeprefix("error: "))
        except DataParallelError:
            pass
    if run.is_main:
        print(line, file=sys.stderr)
    return status


def crashed(status: int = 1) -> None:
    """An unexpected error (its traceback already printed) in a distributed run: stop every process,
    which could otherwise wait for this one forever."""
    run = _current
    import minigrad.distributed as dist
    from minigrad.distributed.process_group import default_group

    if run is not None and run.world_size > 1 and dist.is_initialized():
        import traceback

        traceback.print_exc()
        print(f"(rank {run.rank} failed; stopping every process)", file=sys.stderr, flush=True)
        default_group().MPI.COMM_WORLD.Abort(status)


def _launcher_rank():
    for variable in _LAUNCHER_RANKS:
        value = os.environ.get(variable, "")
        if value.isdigit():
            return int(value)
    return None


def forget() -> None:
    """Drop this process's run (tests run several CLI commands in one process)."""
    global _current
    _current = None
