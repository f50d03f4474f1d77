"""The same layers and optimizers in minigrad and PyTorch give the same numbers (float64).

PyTorch is only an oracle here (never a dependency of minigrad): these tests are skipped
when it is not installed.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

torch = pytest.importorskip("torch")
F64 = torch.float64  # passed explicitly: changing torch's global default would leak into other tests
TOL = dict(rtol=1e-9, atol=1e-9)


def copy_weights(torch_module, mg_module):
    """Load the torch module's state dict into the minigrad module (the keys must line up)."""
    state = {name: value.detach().numpy().copy() for name, value in torch_module.state_dict().items()}
    mg_module.load_state_dict(state)


def compare_grads(torch_module, mg_module):
    mg_params = dict(mg_module.named_parameters())
    for name, param in torch_module.named_parameters():
        np.testing.assert_allclose(mg_params[name].grad.numpy(), param.grad.numpy(), **TOL, err_msg=name)


def test_linear_forward_and_backward():
    t_layer = torch.nn.Linear(5, 3, dtype=F64)
    m_layer = nn.Linear(5, 3).double()
    copy_weights(t_layer, m_layer)
    x = np.random.default_rng(0).standard_normal((4, 5))
    t_out = t_layer(torch.tensor(x))
    m_out = m_layer(mg.tensor(x))
    np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), **TOL)
    (t_out ** 2).sum().backward()
    (m_out ** 2).sum().backward()
    compare_grads(t_layer, m_layer)


def test_default_init_distributions_match_pytorch_scale():
    """Same formulas as torch's defaults: compare spreads of large layers (different RNGs)."""
    torch.manual_seed(0)
    mg.manual_seed(0)
    t_lin, m_lin = torch.nn.Linear(300, 200, dtype=F64), nn.Linear(300, 200)
    assert m_lin.weight.numpy().std() == pytest.approx(t_lin.weight.detach().numpy().std(), rel=0.02)
    t_mha, m_mha = torch.nn.MultiheadAttention(64, 4, dtype=F64), nn.MultiheadAttention(64, 4)
    assert m_mha.in_proj_weight.numpy().std() == pytest.approx(t_mha.in_proj_weight.detach().numpy().std(),
                                                               rel=0.03)


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_with_masks(batch_first):
    torch.manual_seed(1)
    t_mha = torch.nn.MultiheadAttention(8, 2, batch_first=batch_first, dtype=F64)
    torch.nn.init.normal_(t_mha.in_proj_bias)
    torch.nn.init.normal_(t_mha.out_proj.bias)
    m_mha = nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    copy_weights(t_mha, m_mha)
    rng = np.random.default_rng(1)
    shape = (2, 5, 8) if batch_first else (5, 2, 8)
    q, k, v = (rng.standard_normal(shape) for _ in range(3))
    padding = np.array([[False, False, False, True, True], [False] * 5])
    causal = np.triu(np.ones((5, 5), dtype=bool), k=1)
    t_out, t_w = t_mha(*(torch.tensor(a) for a in (q, k, v)), key_padding_mask=torch.tensor(padding),
                       attn_mask=torch.tensor(causal), average_attn_weights=False)
    m_out, m_w = m_mha(*(mg.tensor(a) for a in (q, k, v)), key_padding_mask=mg.tensor(padding),
                       attn_mask=mg.tensor(causal), average_attn_weights=False)
    np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), **TOL)
    np.testing.assert_allclose(m_w.numpy(), t_w.detach().numpy(), **TOL)
    t_out.pow(2).sum().backward()
    (m_out ** 2).sum().backward()
    compare_grads(t_mha, m_mha)


@pytest.mark.parametrize("norm_first, activation", [(False, "relu"), (True, "gelu")])
def test_transformer_encoder_layer_and_stack(norm_first, activation):
    torch.manual_seed(2)
    t_layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                               batch_first=True, norm_first=norm_first, dtype=F64)
    t_encoder = torch.nn.TransformerEncoder(t_layer, num_layers=2, enable_nested_tensor=False)
    m_layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation=activation,
                                         batch_first=True, norm_first=norm_first)
    m_encoder = nn.TransformerEncoder(m_layer, num_layers=2).double()
    copy_weights(t_encoder, m_encoder)
    x = np.random.default_rng(2).standard_normal((3, 4, 8))
    padding = np.array([[False, False, True, True], [False] * 4, [False, False, False, True]])
    t_out = t_encoder(torch.tensor(x), src_key_padding_mask=torch.tensor(padding))
    m_out = m_encoder(mg.tensor(x), src_key_padding_mask=mg.tensor(padding))
    np.testing.assert_allclose(m_out.numpy(), t_out.detach().numpy(), **TOL)
    (t_out ** 2).sum().backward()
    (m_out ** 2).sum().backward()
    compare_grads(t_encoder, m_encoder)


@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.2)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3)),
])
def test_optimizers_match_pytorch(name, options):
    rng = np.random.default_rng(3)
    start = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(6)]
    t_param = torch.nn.Parameter(torch.tensor(start.copy()))
    m_param = nn.Parameter(mg.tensor(start.copy()))
    t_opt = getattr(torch.optim, name)([t_param], **options)
    m_opt = getattr(optim, name)([m_param], **options)
    for g in grads:
        t_param.grad = torch.tensor(g)
        m_param.grad = mg.tensor(g)
        t_opt.step()
        m_opt.step()
    np.testing.assert_allclose(m_param.numpy(), t_param.detach().numpy(), **TOL)


@pytest.mark.parametrize("make_pair", [
    lambda T, M, to, mo: (T.StepLR(to, 3, 0.5), M.StepLR(mo, 3, 0.5)),
    lambda T, M, to, mo: (T.CosineAnnealingLR(to, 7, 0.001), M.CosineAnnealingLR(mo, 7, 0.001)),
    lambda T, M, to, mo: (T.LinearLR(to, 0.1, 1.0, 4), M.LinearLR(mo, 0.1, 1.0, 4)),
    lambda T, M, to, mo: (T.SequentialLR(to, [T.LinearLR(to, 0.1, 1.0, 3), T.CosineAnnealingLR(to, 6)], [3]),
                          M.SequentialLR(mo, [M.LinearLR(mo, 0.1, 1.0, 3), M.CosineAnnealingLR(mo, 6)], [3])),
])
def test_schedulers_match_pytorch(make_pair):
    import warnings
    t_opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    m_opt = optim.SGD([nn.Parameter(mg.ones(1))], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sched, m_sched = make_pair(torch.optim.lr_scheduler, optim.lr_scheduler, t_opt, m_opt)
        for _ in range(10):
            assert m_opt.param_groups[0]["lr"] == pytest.approx(t_opt.param_groups[0]["lr"], rel=1e-9, abs=1e-12)
            t_opt.step()
            m_opt.step()
            t_sched.step()
            m_sched.step()
