"""Run under ``mpiexec -n 2``: the collectives, and data-parallel training of an MLP against one process.

Every check raises AssertionError (a non-zero exit) when it fails; rank 0 prints the measured
differences, which tests/test_distributed.py reads.
"""
import json

import numpy as np

import minigrad as mg
import minigrad.distributed as dist
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn.parallel import DistributedDataParallel as DDP
from minigrad.utils.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group(backend="mpi")
rank, world = dist.get_rank(), dist.get_world_size()
assert world == 2 and dist.is_initialized() and dist.get_backend() == "mpi"
report = {}

# ---------------------------------------------------------------- collectives
t = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64) * (rank + 1)
dist.all_reduce(t)                                            # SUM: (1 + 2) * [1, 2, 3]
assert t.tolist() == [3.0, 6.0, 9.0], t
t = mg.tensor([[rank + 1.0, 10.0 * rank]])
dist.all_reduce(t, op=dist.ReduceOp.AVG)
assert t.tolist() == [[1.5, 5.0]], t
t = mg.tensor([rank, 5 - rank])                               # int64
dist.all_reduce(t, op=dist.ReduceOp.MAX)
assert t.tolist() == [1, 5] and t.dtype == mg.int64, t
t = mg.tensor([0.5 + rank], dtype=mg.float16)
dist.all_reduce(t)
assert t.tolist() == [2.0] and t.dtype == mg.float16
t = mg.arange(4.0).reshape(2, 2).T                            # a non-contiguous view
version = t._version
dist.all_reduce(t)
assert t.tolist() == [[0.0, 4.0], [2.0, 6.0]] and t._version == version + 1
t = mg.full((2,), float(rank))
dist.broadcast(t, src=1)
assert t.tolist() == [1.0, 1.0]
gathered = [mg.zeros(2, dtype=mg.int64) for _ in range(world)]
dist.all_gather(gathered, mg.tensor([rank, rank * 10]))
assert [g.tolist() for g in gathered] == [[0, 0], [1, 10]]
objects = [None] * world
dist.all_gather_object(objects, {"rank": rank})
assert objects == [{"rank": 0}, {"rank": 1}]
dist.barrier()
for bad, message in [(lambda: dist.all_reduce(mg.tensor([1, 2]), op=dist.ReduceOp.AVG), "floating-point"),
                     (lambda: dist.broadcast(mg.zeros(1), src=2), "not a rank"),
                     (lambda: dist.all_gather([mg.zeros(1)], mg.zeros(1)), "one per rank")]:
    try:
        bad()
    except (TypeError, ValueError) as error:
        assert message in str(error), error
    else:
        raise AssertionError(f"no error for {message}")


# ---------------------------------------------------------------- the MLP, on 2 ranks and in one process
def mlp():
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)).double()


mg.manual_seed(0)
reference = mlp()
mg.manual_seed(0)
model = mlp()
if rank == 1:                                                 # DDP must replace these by rank 0's weights
    with mg.no_grad():
        for p in model.parameters():
            p.add_(1.0)
ddp = DDP(model, bucket_cap_mb=600 / 2 ** 20)                 # ~600-byte buckets: several all-reduces a step
n_buckets = len(ddp._buckets)
assert n_buckets >= 3, n_buckets
assert list(ddp.state_dict()) == ["module." + k for k in reference.state_dict()]
for a, b in zip(model.parameters(), reference.parameters()):
    assert np.array_equal(a.numpy(), b.numpy()), "the parameters were not copied from rank 0"

rng = np.random.default_rng(1)
x = rng.standard_normal((160, 5))
y = rng.integers(0, 3, size=160)
data = TensorDataset(mg.tensor(x), mg.tensor(y))
global_batch, epochs = 16, 2                                  # 160 / 16 = 10 steps an epoch: 20 steps
sampler = DistributedSampler(data, shuffle=True, seed=7)
loader = DataLoader(data, batch_size=global_batch // world, sampler=sampler)
shards = [DistributedSampler(data, num_replicas=world, rank=r, shuffle=True, seed=7) for r in range(world)]
optimizer = mg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)   # scale-sensitive, unlike Adam
reference_optimizer = mg.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
steps = 0
for epoch in range(epochs):
    sampler.set_epoch(epoch)
    for shard in shards:
        shard.set_epoch(epoch)
    per_rank = [list(s) for s in shards]
    for step, (xb, yb) in enumerate(loader):
        optimizer.zero_grad()
        F.cross_entropy(ddp(xb), yb).backward()
        optimizer.step()
        steps += 1
        # the same global batch in one process: every rank's shard of this step, together
        rows = sum((shard[step * 8:(step + 1) * 8] for shard in per_rank), [])
        reference_optimizer.zero_grad()
        F.cross_entropy(reference(mg.tensor(x[rows])), mg.tensor(y[rows])).backward()
        reference_optimizer.step()
assert steps == 20 and ddp.all_reduce_calls == 20 * n_buckets, (steps, ddp.all_reduce_calls)
difference = max(np.abs(a.numpy() - b.numpy()).max() for a, b in zip(model.parameters(), reference.parameters()))
assert difference < 1e-10, difference
flat = np.concatenate([p.numpy().ravel() for p in model.parameters()])
everyone = [None] * world
dist.all_gather_object(everyone, flat)
assert np.array_equal(everyone[0], everyone[1]), "the ranks' weights drifted apart"
report["mlp_max_difference"] = float(difference)
report["mlp_buckets"] = n_buckets

# ---------------------------------------------------------------- no_sync accumulation == one big batch
micro = [(x[r * 8 + m * 4: r * 8 + m * 4 + 4], y[r * 8 + m * 4: r * 8 + m * 4 + 4]) for r in range(world)
         for m in range(2)]                                    # rank r's two micro-batches of 4
model.zero_grad()
calls = ddp.all_reduce_calls
with ddp.no_sync():
    xb, yb = micro[rank * 2]
    (F.cross_entropy(ddp(mg.tensor(xb)), mg.tensor(yb)) / 2).backward()
assert ddp.all_reduce_calls == calls, "no_sync() must not communicate"
xb, yb = micro[rank * 2 + 1]
(F.cross_entropy(ddp(mg.tensor(xb)), mg.tensor(yb)) / 2).backward()
assert ddp.all_reduce_calls == calls + n_buckets
reference.load_state_dict(model.state_dict())
reference.zero_grad()
F.cross_entropy(reference(mg.tensor(x[:16])), mg.tensor(y[:16])).backward()
accumulation = max(np.abs(a.grad.numpy() - b.grad.numpy()).max() for a, b in zip(model.parameters(),
                                                                                  reference.parameters()))
assert accumulation < 1e-12, accumulation
report["no_sync_max_difference"] = float(accumulation)

# ---------------------------------------------------------------- a rank whose model differs: one clear error
mg.manual_seed(0)
other = nn.Sequential(nn.Linear(5, 16 if rank == 0 else 17), nn.Tanh(), nn.Linear(16 if rank == 0 else 17, 3))
try:
    DDP(other)
except RuntimeError as error:
    assert "the model on rank 1 differs from rank 0's" in str(error) and "'0.weight'" in str(error), error
    report["mismatch_error"] = str(error)
else:
    raise AssertionError("DDP accepted different models")

# ---------------------------------------------------------------- a parameter the loss never uses: named at the next forward
mg.manual_seed(0)
partly_used = nn.ModuleDict({"used": nn.Linear(5, 3), "unused": nn.Linear(5, 3)}).double()
partly = DDP(partly_used)
partly_used["used"](mg.tensor(x[:4])).sum().backward()
try:
    partly(mg.tensor(x[:4]))
except RuntimeError as error:
    assert "2 parameter(s) received no gradient in the last backward (unused.weight, unused.bias)" in str(error), error
else:
    raise AssertionError("an unused parameter went unnoticed")
DDP._set_params_and_buffers_to_ignore_for_model(partly_used, ["unused.weight", "unused.bias"])
ignoring = DDP(partly_used)                                  # told to leave them alone: fine
calls = ignoring.all_reduce_calls
partly_used["used"](mg.tensor(x[:4])).sum().backward()
assert ignoring.all_reduce_calls == calls + 1

dist.destroy_process_group()
assert not dist.is_initialized()
if rank == 0:
    print("REPORT " + json.dumps(report))
