"""nn.init: the distributions have the scales PyTorch's formulas give."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import init


def big(*shape):
    return mg.empty(*shape, dtype=mg.float64)


def test_fans_of_linear_and_conv_shaped_weights():
    assert init._calculate_fan_in_and_fan_out(big(30, 20)) == (20, 30)
    assert init._calculate_fan_in_and_fan_out(big(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="at least 2 dims"):
        init._calculate_fan_in_and_fan_out(big(5))


def test_calculate_gain_values():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("fill, expected_std", [
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 500)),
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / 500)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 400)),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(500) / math.sqrt(3)),
    (lambda t: init.xavier_uniform_(t), math.sqrt(2 / 900)),
    (lambda t: init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / 900)),
    (lambda t: init.normal_(t, 1.0, 0.3), 0.3),
    (lambda t: init.uniform_(t, -2.0, 2.0), 4 / math.sqrt(12)),
])
def test_init_standard_deviations(fill, expected_std):
    mg.manual_seed(0)
    t = big(400, 500)  # fan_in 500, fan_out 400: 200k samples, std estimate good to ~0.3%
    assert fill(t) is t
    assert t.numpy().std() == pytest.approx(expected_std, rel=0.01)


def test_uniform_inits_stay_within_their_bound():
    mg.manual_seed(1)
    t = init.xavier_uniform_(big(300, 200))
    bound = math.sqrt(6 / 500)
    assert np.abs(t.numpy()).max() <= bound
    assert np.abs(t.numpy()).max() > 0.99 * bound


def test_constant_zeros_ones():
    t = big(3, 4)
    np.testing.assert_array_equal(init.constant_(t, 2.5).numpy(), 2.5)
    np.testing.assert_array_equal(init.zeros_(t).numpy(), 0)
    np.testing.assert_array_equal(init.ones_(t).numpy(), 1)


def test_init_works_on_parameters_that_require_grad_and_records_no_graph():
    w = mg.nn.Parameter(mg.empty(10, 10))
    init.kaiming_normal_(w)
    assert w.is_leaf and w.requires_grad and w.grad is None


def test_manual_seed_makes_init_reproducible():
    mg.manual_seed(42)
    a = init.xavier_normal_(big(20, 30)).numpy().copy()
    mg.manual_seed(42)
    b = init.xavier_normal_(big(20, 30)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init.xavier_normal_(big(20, 30)).numpy())
