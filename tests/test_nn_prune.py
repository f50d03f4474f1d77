"""minigrad.nn.utils.prune against torch.nn.utils.prune: the same masks, attributes, state-dict keys, gradients
and training behaviour for the same weights, and the same errors."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils import prune

torch = pytest.importorskip("torch")
import torch.nn.utils.prune as tprune  # noqa: E402


def twins(rng, shape=(6, 5)):
    """A minigrad Linear and a torch Linear (float64) with the same distinct weights."""
    out_features, in_features = shape
    weight = rng.permutation(np.arange(1, out_features * in_features + 1)).reshape(shape) * rng.choice([-1, 1], shape)
    weight = weight / weight.size
    bias = rng.standard_normal(out_features)
    ours = nn.Linear(in_features, out_features).double()
    theirs = torch.nn.Linear(in_features, out_features).double()
    with mg.no_grad():
        ours.weight.copy_(mg.tensor(weight))
        ours.bias.copy_(mg.tensor(bias))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
        theirs.bias.copy_(torch.tensor(bias))
    return ours, theirs


def same(ours, theirs):
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


@pytest.fixture
def rng():
    return np.random.default_rng(14)


def test_l1_unstructured_keeps_torchs_attributes_keys_and_mask(rng):
    ours, theirs = twins(rng)
    assert prune.l1_unstructured(ours, "weight", amount=0.3) is ours
    tprune.l1_unstructured(theirs, "weight", amount=0.3)
    same(ours.weight_mask, theirs.weight_mask)
    same(ours.weight, theirs.weight)
    assert isinstance(ours.weight_orig, nn.Parameter) and "weight" not in ours._parameters
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert int((ours.weight_mask.numpy() == 0).sum()) == round(0.3 * 30) == 9
    assert ours.weight_mask.dtype == mg.float64 and prune.is_pruned(ours) and not prune.is_pruned(nn.Linear(2, 2))
    x = rng.standard_normal((4, 5))
    np.testing.assert_allclose(ours(mg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


def test_pruning_again_prunes_among_what_is_left(rng):
    ours, theirs = twins(rng)
    for amount in (0.5, 0.5, 3):
        prune.l1_unstructured(ours, "weight", amount=amount)
        tprune.l1_unstructured(theirs, "weight", amount=amount)
        same(ours.weight_mask, theirs.weight_mask)
    assert int((ours.weight_mask.numpy() == 0).sum()) == 15 + 8 + 3   # 30 -> 15 -> 7 left (round(7.5) = 8) -> 4
    assert isinstance(ours._forward_pre_hooks[next(iter(ours._forward_pre_hooks))], prune.PruningContainer)


@pytest.mark.parametrize("n, dim", [(2, 0), (1, 1), (math.inf, 0), (-math.inf, -1)])
def test_ln_structured_and_combinations(rng, n, dim):
    ours, theirs = twins(rng)
    prune.ln_structured(ours, "weight", amount=0.34, n=n, dim=dim)
    tprune.ln_structured(theirs, "weight", amount=0.34, n=n, dim=dim)
    same(ours.weight_mask, theirs.weight_mask)
    prune.ln_structured(ours, "weight", amount=1, n=n, dim=dim)           # skips the slices already pruned
    tprune.ln_structured(theirs, "weight", amount=1, n=n, dim=dim)
    same(ours.weight_mask, theirs.weight_mask)
    prune.l1_unstructured(ours, "weight", amount=0.25)                     # unstructured among the rest
    tprune.l1_unstructured(theirs, "weight", amount=0.25)
    same(ours.weight_mask, theirs.weight_mask)


def test_global_unstructured_ranks_all_tensors_together(rng):
    (a, ta), (b, tb) = twins(rng, (6, 5)), twins(rng, (3, 6))
    with mg.no_grad():
        b.weight.mul_(10)   # the second layer's weights are all larger: it loses fewer
    with torch.no_grad():
        tb.weight.mul_(10)
    prune.l1_unstructured(a, "weight", amount=0.2)    # a mask already there is respected
    tprune.l1_unstructured(ta, "weight", amount=0.2)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured, amount=0.4)
    tprune.global_unstructured([(ta, "weight"), (tb, "weight")], pruning_method=tprune.L1Unstructured, amount=0.4)
    same(a.weight_mask, ta.weight_mask)
    same(b.weight_mask, tb.weight_mask)
    pruned_a, pruned_b = (a.weight_mask.numpy() == 0).mean(), (b.weight_mask.numpy() == 0).mean()
    assert pruned_a > 0.4 > pruned_b


def test_the_mask_is_reapplied_before_every_forward_while_training(rng):
    ours, theirs = twins(rng)
    prune.l1_unstructured(ours, "weight", amount=0.5)
    tprune.l1_unstructured(theirs, "weight", amount=0.5)
    opt = mg.optim.SGD(ours.parameters(), lr=0.5)
    x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 6))
    for _ in range(3):
        loss = ((ours(mg.tensor(x)) - mg.tensor(y)) ** 2).mean()
        tloss = ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        opt.zero_grad(), theirs.zero_grad()
        loss.backward(), tloss.backward()
        np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(), rtol=1e-12)
        assert np.all(ours.weight_orig.grad.numpy()[ours.weight_mask.numpy() == 0] == 0)
        opt.step()
        with torch.no_grad():                          # plain SGD (torch.optim's first import costs seconds)
            for p in theirs.parameters():
                p -= 0.5 * p.grad
    np.testing.assert_allclose(ours.weight_orig.detach().numpy(), theirs.weight_orig.detach().numpy(), rtol=1e-12)
    with mg.no_grad():
        ours.weight_orig.add_(1.0)                  # even a change of the pruned entries ...
    ours(mg.tensor(x))
    assert np.all(ours.weight.detach().numpy()[ours.weight_mask.numpy() == 0] == 0)   # ... never reaches the layer


def test_remove_makes_it_permanent(rng):
    ours, theirs = twins(rng)
    prune.ln_structured(ours, "weight", amount=2, n=2, dim=0)
    tprune.ln_structured(theirs, "weight", amount=2, n=2, dim=0)
    assert prune.remove(ours, "weight") is ours
    tprune.remove(theirs, "weight")
    assert isinstance(ours.weight, nn.Parameter) and ours.weight.requires_grad
    same(ours.weight, theirs.weight)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    assert not ours._forward_pre_hooks and not prune.is_pruned(ours)
    assert int((~ours.weight.detach().numpy().any(axis=1)).sum()) == 2
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(ours, "weight")


def test_importance_scores_custom_masks_and_identity(rng):
    ours, theirs = twins(rng)
    scores = rng.standard_normal((6, 5))
    prune.l1_unstructured(ours, "weight", amount=4, importance_scores=mg.tensor(scores))
    tprune.l1_unstructured(theirs, "weight", amount=4, importance_scores=torch.tensor(scores))
    same(ours.weight_mask, theirs.weight_mask)
    mask = (rng.random((6,)) > 0.5).astype(np.float64)
    prune.custom_from_mask(ours, "bias", mask=mg.tensor(mask))
    tprune.custom_from_mask(theirs, "bias", mask=torch.tensor(mask))
    same(ours.bias, theirs.bias)
    other, _ = twins(rng)
    prune.identity(other, "weight")
    assert np.all(other.weight_mask.numpy() == 1) and list(other.state_dict())[-1] == "weight_mask"


def test_random_unstructured_and_structured(rng):
    layer = nn.Linear(10, 8)
    mg.manual_seed(0)
    prune.random_unstructured(layer, "weight", amount=0.25)
    first = layer.weight_mask.numpy().copy()
    assert (first == 0).sum() == 20
    prune.random_structured(layer, "weight", amount=3, dim=1)
    mask = layer.weight_mask.numpy()
    assert (~mask.any(axis=0)).sum() >= 3 and np.all(mask <= first)
    mg.manual_seed(1)
    again = nn.Linear(10, 8)
    prune.random_unstructured(again, "weight", amount=0.25)
    assert not np.array_equal(again.weight_mask.numpy(), first)


def test_the_same_errors_as_torch(rng):
    ours, theirs = twins(rng)
    for bad, error in ((1.5, ValueError), (-1, ValueError), ("half", TypeError)):
        with pytest.raises(error):
            tprune.l1_unstructured(theirs, "weight", amount=bad)
        with pytest.raises(error, match="amount"):
            prune.l1_unstructured(ours, "weight", amount=bad)
    assert "weight" in ours._parameters, "a failed prune leaves the module as it was"
    with pytest.raises(ValueError, match="smaller than the number of parameters"):
        prune.l1_unstructured(ours, "weight", amount=31)
    assert "weight" in ours._parameters and not hasattr(ours, "weight_orig")
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(ours, "bias", amount=1, n=2, dim=0)
    with pytest.raises(IndexError):
        prune.ln_structured(ours, "weight", amount=1, n=2, dim=2)
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(ours, "weight")], pruning_method=prune.LnStructured, amount=1, n=2, dim=0)
