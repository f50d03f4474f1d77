"""Module: registration, traversal, state dicts, modes, device/dtype moves and repr."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(mg.ones(2))
        self.register_buffer("counter", mg.zeros(1))
        self.register_buffer("scratch", mg.zeros(5), persistent=False)
        self.not_registered = [nn.Linear(2, 2)]  # a plain list hides its modules, as in PyTorch
        self.note = "plain attribute"

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_parameters_and_names_follow_registration_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert len(list(model.parameters())) == 5
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())
    assert [name for name, _ in model.named_buffers()] == ["counter", "scratch"]
    assert model.note == "plain attribute"


def test_modules_children_and_named_modules():
    model = TwoLayer()
    assert [name for name, _ in model.named_modules()] == ["", "fc1", "act", "fc2"]
    assert [type(m).__name__ for m in model.children()] == ["Linear", "ReLU", "Linear"]
    assert list(model.modules())[0] is model


def test_shared_parameter_is_listed_once():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    assert len(list(model.parameters())) == 3


def test_reassigning_attribute_replaces_registration():
    model = TwoLayer()
    model.fc1 = nn.Linear(3, 4, bias=False)
    assert "fc1.bias" not in dict(model.named_parameters())
    model.scale = nn.Parameter(mg.zeros(2))
    assert np.all(model.scale.numpy() == 0)
    with pytest.raises(TypeError, match="scale"):
        model.scale = mg.ones(2)  # a plain Tensor cannot silently replace a Parameter
    del model.fc2
    assert "fc2.weight" not in dict(model.named_parameters())


def test_setattr_before_super_init_explains_the_fix():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Forgetful()


def test_state_dict_contents_and_round_trip():
    mg.manual_seed(0)
    source = TwoLayer()
    state = source.state_dict()
    assert list(state) == ["scale", "counter", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(not t.requires_grad for t in state.values())
    target = TwoLayer()
    assert not np.allclose(target.fc1.weight.numpy(), source.fc1.weight.numpy())
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for name, tensor in target.state_dict().items():
        np.testing.assert_array_equal(tensor.numpy(), state[name].numpy())
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(target(x).numpy(), source(x).numpy())


def test_load_state_dict_copies_values_instead_of_sharing():
    source, target = TwoLayer(), TwoLayer()
    weight_before = target.fc1.weight
    target.load_state_dict(source.state_dict())
    assert target.fc1.weight is weight_before  # the same Parameter object, new values
    with mg.no_grad():
        source.fc1.weight.fill_(7.0)
    assert not np.any(target.fc1.weight.numpy() == 7.0)


def _snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_missing_key_is_an_error_and_loads_nothing():
    target = TwoLayer()
    before = _snapshot(target)
    state = TwoLayer().state_dict()
    del state["fc2.bias"]
    with pytest.raises(RuntimeError, match=r"missing key 'fc2.bias'.*") as info:
        target.load_state_dict(state)
    assert "nothing was loaded" in str(info.value)
    for name, values in _snapshot(target).items():
        np.testing.assert_array_equal(values, before[name])


def test_unexpected_key_is_an_error_and_loads_nothing():
    target = TwoLayer()
    before = _snapshot(target)
    state = TwoLayer().state_dict()
    state["fc3.weight"] = mg.zeros(2, 2)
    with pytest.raises(RuntimeError, match=r"unexpected key 'fc3.weight'"):
        target.load_state_dict(state)
    for name, values in _snapshot(target).items():
        np.testing.assert_array_equal(values, before[name])


def test_shape_mismatch_names_key_and_both_shapes_and_loads_nothing():
    target = TwoLayer()
    before = _snapshot(target)
    state = TwoLayer().state_dict()
    state["fc1.weight"] = mg.zeros(5, 3)
    with pytest.raises(RuntimeError) as info:
        target.load_state_dict(state, strict=False)  # shape errors are errors even when not strict
    message = str(info.value)
    assert "fc1.weight" in message and "(5, 3)" in message and "(4, 3)" in message
    for name, values in _snapshot(target).items():
        np.testing.assert_array_equal(values, before[name])


def test_non_strict_load_reports_missing_and_unexpected_keys():
    target = TwoLayer()
    state = TwoLayer().state_dict()
    del state["scale"]
    state["extra"] = mg.zeros(1)
    result = target.load_state_dict(state, strict=False)
    assert result.missing_keys == ["scale"]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(target.fc1.weight.numpy(), state["fc1.weight"].numpy())


def test_load_state_dict_accepts_numpy_arrays():
    model = nn.Linear(2, 3)
    weight = np.arange(6, dtype=np.float32).reshape(3, 2)
    model.load_state_dict({"weight": weight, "bias": np.zeros(3, dtype=np.float32)})
    np.testing.assert_array_equal(model.weight.numpy(), weight)


def test_train_and_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_sets_none_or_zero():
    model = nn.Linear(3, 2)
    model(mg.randn(4, 3)).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad.numpy() == 0)
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_to_dtype_converts_in_place_keeping_parameter_objects():
    model = TwoLayer()
    weight = model.fc1.weight
    model.double()
    assert model.fc1.weight is weight
    assert weight.dtype == mg.float64 and model.counter.dtype == mg.float64
    assert model(mg.randn(2, 3).double()).dtype == mg.float64
    model.to(mg.float32)
    assert weight.dtype == mg.float32


def test_to_same_device_keeps_everything():
    model = TwoLayer()
    weight = model.fc1.weight
    assert model.to("cpu") is model
    assert model.fc1.weight is weight and weight.device == "cpu"


def test_parameter_wraps_without_copy_and_has_its_own_repr():
    t = mg.zeros(2)
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf
    assert p._array is t._array
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    with pytest.raises(TypeError):
        nn.Parameter(np.zeros(2))


def test_repr_is_nested_like_pytorch():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Sequential(nn.Dropout(0.1), nn.LayerNorm(4)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "    (1): LayerNorm((4,), eps=1e-05, elementwise_affine=True)\n"
        "  )\n"
        ")")


def test_module_list_behaves_like_a_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.Linear(2, 3))
    layers.extend([nn.ReLU()])
    assert len(layers) == 4
    assert layers[-2].out_features == 3
    assert [type(m).__name__ for m in layers] == ["Linear", "Linear", "Linear", "ReLU"]
    assert len(layers[1:3]) == 2
    layers[0] = nn.Identity()
    assert isinstance(layers[0], nn.Identity)
    assert "2.weight" in layers.state_dict()
    with pytest.raises(IndexError):
        layers[4]


def test_sequential_runs_in_order_and_indexes():
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    x = mg.randn(4, 3)
    manual = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x).numpy(), manual.numpy())
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    assert len(model[:2]) == 2


def test_forward_hooks_run_around_forward_as_in_pytorch():
    calls = []
    layer = nn.Linear(2, 2)
    pre = layer.register_forward_pre_hook(lambda module, args: calls.append(("pre", module is layer, len(args))))
    doubler = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda module, args, output: output + 1)
    x = mg.ones(1, 2)
    expected = F.linear(x * 2, layer.weight, layer.bias) + 1
    np.testing.assert_allclose(layer(x).detach().numpy(), expected.detach().numpy())
    assert calls == [("pre", True, 1)]
    for handle in (pre, doubler, post):
        handle.remove()
    np.testing.assert_allclose(layer(x).detach().numpy(), F.linear(x, layer.weight, layer.bias).detach().numpy())
    assert calls == [("pre", True, 1)]
