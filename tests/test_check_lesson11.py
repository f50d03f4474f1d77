"""The lesson 11 checkers accept right answers and reject typical wrong ones with a message naming the mistake."""
import numpy as np
import pytest

import minigrad.nn.functional as F
from minigrad.check import ExerciseFailed, lesson11, reference_solutions

SOLUTIONS = reference_solutions(11)


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    return (x - mu) / (var + eps).sqrt() * gamma + beta


def feed_forward(x, layer):
    return F.relu(x @ layer.linear1.weight.T + layer.linear1.bias) @ layer.linear2.weight.T + layer.linear2.bias


SOLUTIONS.layer_norm, SOLUTIONS.feed_forward = layer_norm, feed_forward    # what the notebook defines


def test_exercise1_accepts_the_pre_norm_block():
    assert lesson11.exercise1(SOLUTIONS.pre_norm_block, layer_norm, feed_forward) is True


def attend(layer, h, mask):
    return layer.self_attn(h, h, h, key_padding_mask=mask, need_weights=False)[0]


def test_exercise1_names_the_post_norm_block():
    def post(x, layer, mask=None):
        x = layer_norm(x + attend(layer, x, mask), layer.norm1.weight, layer.norm1.bias)
        return layer_norm(x + feed_forward(x, layer), layer.norm2.weight, layer.norm2.bias)
    with pytest.raises(ExerciseFailed, match="That is the post-norm block"):
        lesson11.exercise1(post, layer_norm, feed_forward)


def test_exercise1_names_a_normalised_skip_and_a_dropped_mask():
    def normalised_skip(x, layer, mask=None):
        h = layer_norm(x, layer.norm1.weight, layer.norm1.bias)
        x = h + attend(layer, h, mask)
        return x + feed_forward(layer_norm(x, layer.norm2.weight, layer.norm2.bias), layer)
    with pytest.raises(ExerciseFailed, match="skip connection carries LN1"):
        lesson11.exercise1(normalised_skip, layer_norm, feed_forward)
    def no_mask(x, layer, mask=None):
        return SOLUTIONS.pre_norm_block(x, layer, None)
    with pytest.raises(ExerciseFailed, match="ignored key_padding_mask"):
        lesson11.exercise1(no_mask, layer_norm, feed_forward)


def test_exercise2_accepts_rms_norm():
    assert lesson11.exercise2(SOLUTIONS.rms_norm) is True


def test_exercise2_names_centring_and_eps_outside():
    def centred(x, weight, eps=1e-6):
        mu = x.mean(dim=-1, keepdim=True)
        return weight * (x - mu) / (((x - mu) ** 2).mean(dim=-1, keepdim=True) + eps).sqrt()
    with pytest.raises(ExerciseFailed, match="does NOT subtract the mean"):
        lesson11.exercise2(centred)
    with pytest.raises(ExerciseFailed, match="INSIDE the square root"):
        lesson11.exercise2(lambda x, weight, eps=1e-6: weight * x / ((x * x).mean(dim=-1, keepdim=True).sqrt() + eps))


def test_exercise3_accepts_the_derived_backward():
    assert lesson11.exercise3(SOLUTIONS.rms_norm_backward) is True


def test_exercise3_names_a_constant_r_and_layer_norms_formula():
    def constant_r(x, weight, grad_out, eps=1e-6):
        return weight * grad_out / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)
    with pytest.raises(ExerciseFailed, match="treated r as a constant"):
        lesson11.exercise3(constant_r)
    def layer_norm_formula(x, weight, grad_out, eps=1e-6):
        r = 1 / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)
        g, x_hat = weight * grad_out, x * r
        return r * (g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True))
    with pytest.raises(ExerciseFailed, match="layer norm's backward"):
        lesson11.exercise3(layer_norm_formula)
