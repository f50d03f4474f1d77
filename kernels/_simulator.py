"""Warp shuffles for Numba's CUDA simulator, which has none of its own (numba/numba#8433).

On a GPU the 32 threads of a warp can read each other's registers with one instruction::

    other = cuda.shfl_xor_sync(mask, value, lane_mask)   # value of lane (my lane ^ lane_mask)

The warp-level reductions in ``reduce.py`` are built on it.  Numba's simulator runs every GPU
thread as a Python thread but does not implement shuffles, so without this file those kernels
could not be tested on a machine without a GPU.

The simulated shuffle is an exchange through a per-warp mailbox with a barrier on each side:

    every lane of the warp writes its value into slot [lane]        (then waits for the others)
    every lane reads slot [lane ^ lane_mask]                        (then waits again, so no
                                                                     slot is overwritten early)

Like the real instruction it needs every lane named in ``mask`` to arrive; a kernel that calls
it from only part of a warp would hang (on a GPU that is undefined behaviour), so the barrier
gives up after a minute with an error instead.  ``add_warp_shuffles()`` is called by
``reduce.py`` when the simulator is on; on a GPU this file is never used.
"""
import threading

from numba.cuda.simulator import kernelapi

_WAIT_SECONDS = 60
_mailboxes_lock = threading.Lock()


class _WarpMailbox:
    def __init__(self, lanes):
        self.slots = [None] * 32
        self.barrier = threading.Barrier(lanes, timeout=_WAIT_SECONDS)


def _mailbox(thread):
    """The mailbox of the calling thread's warp, made on first use (one per warp of each block)."""
    manager = thread._manager
    warp = thread.thread_id // 32
    with _mailboxes_lock:
        boxes = manager.__dict__.setdefault("_warp_mailboxes", {})
        box = boxes.get(warp)
        if box is None:
            block = manager._block_dim
            threads = block[0] * block[1] * block[2]
            box = boxes[warp] = _WarpMailbox(min(32, threads - 32 * warp))
    return box


def _exchange(value, source_lane_of):
    thread = threading.current_thread()
    lane = thread.thread_id % 32
    box = _mailbox(thread)
    box.slots[lane] = value
    box.barrier.wait()
    source = source_lane_of(lane)
    result = box.slots[source] if 0 <= source < box.barrier.parties else value
    box.barrier.wait()
    return result


def _shfl_xor_sync(self, mask, value, lane_mask):
    return _exchange(value, lambda lane: lane ^ lane_mask)


def _shfl_down_sync(self, mask, value, delta):
    return _exchange(value, lambda lane: lane + delta)


def _shfl_sync(self, mask, value, source_lane):
    return _exchange(value, lambda lane: source_lane)


def add_warp_shuffles():
    """Give the simulator's ``cuda`` module shfl_xor_sync, shfl_down_sync and shfl_sync."""
    module = kernelapi.FakeCUDAModule
    module.shfl_xor_sync = _shfl_xor_sync
    module.shfl_down_sync = _shfl_down_sync
    module.shfl_sync = _shfl_sync
