"""``DistributedDataParallel`` (DDP): the same model in every process, gradients averaged after backward.

Every rank runs the whole model on its own shard of the batch.  If the shards are equal, the mean
loss over the whole batch is the mean of the shards' mean losses, so its gradient is the mean of
the shards' gradients (lesson 16 derives it):

    dL/dw = 1/p * sum over ranks r of dL_r/dw          (p ranks, L_r = mean loss of rank r's shard)

DDP makes that true in three steps:

1. **At construction** it checks that every rank built the same model (the same parameter names,
   shapes and dtypes; a clear error names the first difference) and copies rank 0's parameters
   and buffers to every rank, so all copies start equal.
2. **During backward**, each parameter's hook (``register_post_accumulate_grad_hook``) fires once
   its ``.grad`` is complete.  Parameters are grouped into *buckets* of about ``bucket_cap_mb``
   MiB, in reverse order of ``parameters()`` (roughly the order backward finishes them).  When a
   bucket's last gradient arrives, its gradients are flattened into one array, averaged across the
   ranks with ONE all-reduce, and written back.  One message per bucket instead of one per
   parameter: each message costs a fixed latency, so a few big ones are much cheaper than many
   small ones.  Buckets are reduced in bucket order, so every rank sends the same messages in the
   same order.  When ``backward()`` returns, every rank holds the same averaged gradients, and the
   optimizer's step keeps the copies identical.
3. **``no_sync()``** turns step 2 off for the backward passes of forwards run inside it: gradients
   accumulate locally (``.grad += ...``) and the first backward after it averages the sums — the
   gradient accumulation of several micro-batches with one all-reduce.

Why a hook *after* accumulation and not ``register_hook``: a plain tensor hook sees only this
backward's contribution, but after ``no_sync()`` steps the gradient to average is the accumulated
``.grad``.  (PyTorch also overlaps the all-reduces with the rest of backward; minigrad's are blocking,
which keeps the timing of compute and communication easy to read: ``communication_seconds``.)

Every parameter that requires grad must receive a gradient in every synchronised backward: a bucket
that never fills is never reduced (on every rank the next forward then raises, naming the
parameters).  ``find_unused_parameters=True`` is not supported; freeze such parameters with
``requires_grad_(False)``, or name the ones a task never uses with PyTorch's
``DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(module, names)`` (DDP then
leaves them alone: no bucket, no copy from rank 0).
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np

from minigrad.nn.module import Module

DEFAULT_BUCKET_CAP_MB = 25   # as PyTorch


class _Bucket:
    """Parameters whose gradients travel together in one all-reduce."""

    def __init__(self):
        self.params = []
        self.nbytes = 0
        self.ready = set()      # ids of the parameters whose gradient is complete in this iteration
        self.buffer = None      # the flat array the gradients are copied into (made once, reused every step)

    def is_full(self):
        return len(self.ready) == len(self.params)


def make_buckets(params, cap_bytes):
    """Parameters in reverse order, cut into buckets of at most ``cap_bytes`` (at least one parameter
    each); a new bucket also starts when the dtype or device changes (one flat array per bucket)."""
    buckets = []
    for param in reversed(params):
        nbytes = param.numel() * param.element_size()
        last = buckets[-1] if buckets else None
        if (last is None or last.nbytes + nbytes > cap_bytes or last.params[0].dtype != param.dtype
                or last.params[0].device != param.device):
            last = _Bucket()
            buckets.append(last)
        last.params.append(param)
        last.nbytes += nbytes
    return buckets


def _describe_difference(mine, theirs):
    names, their_names = [n for n, *_ in mine], [n for n, *_ in theirs]
    if names != their_names:
        only_0 = [n for n in names if n not in their_names]
        only_r = [n for n in their_names if n not in names]
        return (f"different parameters and buffers: only rank 0 has {only_0[:3] or 'nothing extra'}, only this rank "
                f"has {only_r[:3] or 'nothing extra'}" if only_0 or only_r else "the same names in another order")
    for (name, shape, dtype), (_, their_shape, their_dtype) in zip(mine, theirs):
        if (shape, dtype) != (their_shape, their_dtype):
            return f"{name!r} is {dtype} {list(shape)} on rank 0 but {their_dtype} {list(their_shape)} there"
    return "?"


class DistributedDataParallel(Module):
    """Wrap ``module`` so that ``backward()`` averages its gradients over every rank (see the module
    docstring).  Use it as the module: ``loss = ddp(x).sum(); loss.backward()``; the original is
    ``ddp.module``, and ``ddp.state_dict()`` has PyTorch's ``module.`` prefix.

    Accepted as in PyTorch: ``device_ids`` (None, or the one device of the module), ``output_device``,
    ``dim``, ``check_reduction``, ``gradient_as_bucket_view`` and ``static_graph`` (they change no
    numbers here), ``broadcast_buffers`` (rank 0's buffers are copied to every rank before each
    forward), ``init_sync`` (copy rank 0's state at construction), ``bucket_cap_mb`` (default 25).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        from minigrad.distributed.process_group import default_group

        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps an nn.Module, got {type(module).__name__}")
        if find_unused_parameters:
            raise NotImplementedError(
                "DistributedDataParallel(find_unused_parameters=True) is not supported by minigrad: every parameter "
                "that requires grad must take part in the loss; freeze the others with p.requires_grad_(False)")
        group = default_group(process_group)
        self._ignored = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        params = [p for name, p in module.named_parameters() if p.requires_grad and name not in self._ignored]
        if not params:
            raise RuntimeError("DistributedDataParallel needs a module with parameters that require grad")
        devices = {str(p.device) for p in params}
        if device_ids is not None and (len(device_ids) != 1 or {str(_device_name(d)) for d in device_ids} != devices):
            raise ValueError(f"device_ids={device_ids!r}: minigrad runs one device per process; pass None "
                             f"(the module is on {sorted(devices)})")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self.process_group = group
        self.communication_seconds = 0.0   # time spent inside all-reduces (waiting for other ranks included)
        self.all_reduce_calls = 0
        self._require_sync = True           # False inside no_sync()
        self._sync_this_backward = True     # decided by the last forward, as in PyTorch
        self._verify_same_model(group)
        if init_sync:
            self._copy_state_from_rank_0()
        self._buckets = make_buckets(params, self.bucket_cap_mb * 1024 * 1024)
        self._bucket_of = {id(p): i for i, bucket in enumerate(self._buckets) for p in bucket.params}
        self._next_bucket = 0
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._gradient_ready) for p in params]

    # ------------------------------------------------------------------ start: one model everywhere
    def _verify_same_model(self, group):
        mine = [(name, tuple(t.shape), str(t.dtype)) for name, t in self.module.state_dict().items()]
        everyone = group.comm.allgather(mine)
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                raise RuntimeError(
                    f"DistributedDataParallel: the model on rank {rank} differs from rank 0's "
                    f"({_describe_difference(everyone[0], theirs)}). Every rank must build the same model (the same "
                    "sizes and, for text, the same vocabulary: read the same data on every rank).")

    def _copy_state_from_rank_0(self):
        from minigrad.distributed.collectives import broadcast

        for name, tensor in self.module.state_dict().items():
            if name not in self._ignored:
                broadcast(tensor, 0, self.process_group)

    # ------------------------------------------------------------------ forward
    def forward(self, *inputs, **kwargs):
        self._check_previous_reduction_finished()
        self._sync_this_backward = self._require_sync
        if self.broadcast_buffers:
            from minigrad.distributed.collectives import broadcast

            for name, buffer in self.module.named_buffers():
                if name not in self._ignored:
                    broadcast(buffer, 0, self.process_group)
        return self.module(*inputs, **kwargs)

    def _check_previous_reduction_finished(self):
        started = [b for b in self._buckets if b.ready]
        if not started:
            return
        waiting = {id(p) for b in self._buckets for p in b.params if id(p) not in b.ready}
        missing = [name for name, p in self.module.named_parameters() if id(p) in waiting]
        raise RuntimeError(
            "DistributedDataParallel: expected to have finished reducing the gradients of the previous iteration "
            f"before starting a new one, but {len(missing)} parameter(s) received no gradient in the last backward "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}). Every parameter that requires grad "
            "must take part in the loss on every rank; freeze the others with p.requires_grad_(False).")

    # ------------------------------------------------------------------ backward: average the gradients
    def _gradient_ready(self, param):
        """Post-accumulate hook of every parameter: reduce each bucket as soon as it is full, in order."""
        if not self._sync_this_backward:
            return
        self._buckets[self._bucket_of[id(param)]].ready.add(id(param))
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].is_full():
            self._reduce(self._buckets[self._next_bucket])
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):   # every gradient averaged: ready for the next iteration
            self._next_bucket = 0
            for bucket in self._buckets:
                bucket.ready.clear()

    def _reduce(self, bucket):
        """Flatten the bucket's gradients, average them across ranks in one all-reduce, write them back."""
        from minigrad.distributed.collectives import ReduceOp, all_reduce_array

        grads = [p.grad for p in bucket.params]
        xp = grads[0]._backend.xp
        pieces = [g._array.reshape(-1) for g in grads]
        if xp is np:   # reuse one buffer: fresh memory for every step costs page faults, measurably
            if bucket.buffer is None or bucket.buffer.dtype != pieces[0].dtype:
                bucket.buffer = np.empty(sum(p.size for p in pieces), dtype=pieces[0].dtype)
            flat = np.concatenate(pieces, out=bucket.buffer)
        else:
            flat = xp.concatenate(pieces)
        began = time.perf_counter()
        flat = all_reduce_array(flat, ReduceOp.AVG, grads[0].device, self.process_group, in_place=True)
        self.communication_seconds += time.perf_counter() - began
        self.all_reduce_calls += 1
        offset = 0
        for grad in grads:
            size = grad._array.size
            grad._array[...] = flat[offset:offset + size].reshape(grad._array.shape)
            grad._version_counter.value += 1
            offset += size

    @staticmethod
    def _set_params_and_buffers_to_ignore_for_model(module, params_and_buffers_to_ignore):
        """Name (as in ``module.state_dict()``) parameters and buffers DDP must leave alone: a part of the
        model the training never uses, say (PyTorch's method of the same name)."""
        module._ddp_params_and_buffers_to_ignore = list(params_and_buffers_to_ignore)

    @contextmanager
    def no_sync(self):
        """Inside: forward + backward only accumulate gradients locally; the next synchronised backward
        averages the accumulated sums (one all-reduce for several micro-batches)."""
        previous = self._require_sync
        self._require_sync = False
        try:
            yield
        finally:
            self._require_sync = previous

    def extra_repr(self) -> str:
        return f"buckets={len(self._buckets)}, bucket_cap_mb={self.bucket_cap_mb}"


def _device_name(device):
    from minigrad.backends import check_device

    if isinstance(device, int):
        return check_device("cuda")
    return check_device(device)
