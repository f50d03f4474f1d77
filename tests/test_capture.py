"""mg.capture_step (minigrad/autograd/capture.py): a replayed step must give exactly what the eager
step gives, to the last bit; what it cannot replay it refuses, or detects and runs eagerly."""
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd.function import Op
from minigrad.sentiment.model import TransformerClassifier

RNG = np.random.default_rng(0)


def mlp():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))


def eager_step(loss_fn, optimizer):
    def step(*inputs):
        optimizer.zero_grad()
        loss = loss_fn(*inputs)
        loss.backward()
        optimizer.step()
        return loss
    return step


def train(make_model, make_optimizer, batches, captured, loss=F.cross_entropy):
    model = make_model()
    optimizer = make_optimizer(model.parameters())

    def loss_fn(*inputs):
        return loss(model(*inputs[:-1]), inputs[-1])
    step = mg.capture_step(loss_fn, optimizer) if captured else eager_step(loss_fn, optimizer)
    mg.manual_seed(1)   # the same random numbers (dropout) for both runs
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed check would warn
        losses = [step(*batch).item() for batch in batches]
    return losses, [p.numpy().copy() for p in model.parameters()], step


def assert_same_run(eager, captured):
    assert eager[0] == captured[0]
    for a, b in zip(eager[1], captured[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make_optimizer", [lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
                                            lambda p: mg.optim.Adam(p, lr=1e-2)])
def test_a_replayed_step_gives_the_eager_results_to_the_last_bit(make_optimizer):
    batches = [(mg.tensor(RNG.standard_normal((6, 5))), mg.tensor(RNG.integers(0, 3, 6))) for _ in range(5)]
    eager = train(mlp, make_optimizer, batches, captured=False)
    captured = train(mlp, make_optimizer, batches, captured=True)
    assert_same_run(eager, captured)
    assert captured[2].replays == 3   # call 1 captures, call 2 checks, then replays


def test_a_transformer_with_dropout_and_padding_replays_exactly_and_recaptures_for_a_new_shape():
    def batch(length):
        ids = RNG.integers(1, 50, (4, length))
        mask = np.arange(length)[None] < RNG.integers(2, length + 1, 4)[:, None]
        ids[~mask] = 0
        return mg.tensor(ids), mg.tensor(mask), mg.tensor(RNG.integers(0, 2, 4))
    batches = [batch(6) for _ in range(3)] + [batch(4), batch(4), batch(4), batch(6)]

    def model():
        mg.manual_seed(0)
        return TransformerClassifier(vocab_size=50, d_model=8, n_heads=2, n_layers=1, d_ff=16, max_len=8,
                                     dropout=0.2, pooling="mean")
    eager = train(model, lambda p: mg.optim.AdamW(p, lr=1e-2), batches, captured=False)
    captured = train(model, lambda p: mg.optim.AdamW(p, lr=1e-2), batches, captured=True)
    assert_same_run(eager, captured)
    assert len(captured[2].tapes) == 2 and captured[2].replays == 3


def test_replay_leaves_the_gradients_in_grad_and_follows_learning_rate_changes():
    x, y = mg.tensor(RNG.standard_normal((6, 5))), mg.tensor(RNG.integers(0, 3, 6))
    runs = []
    for captured in (False, True):
        model = mlp()
        optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = lambda a, b: F.cross_entropy(model(a), b)  # noqa: E731
        step = mg.capture_step(loss_fn, optimizer) if captured else eager_step(loss_fn, optimizer)
        for lr in (0.1, 0.1, 0.05, 0.01):
            optimizer.param_groups[0]["lr"] = lr
            loss = step(x, y)
        assert not loss.requires_grad if captured else loss.requires_grad
        runs.append([p.grad.numpy().copy() for p in model.parameters()] + [p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_a_step_can_return_more_tensors_than_the_loss():
    model = mlp()
    step = mg.capture_step(lambda a, b: (F.cross_entropy(logits := model(a), b), logits.argmax(1)),
                           mg.optim.SGD(model.parameters(), lr=0.1))
    x, y = mg.tensor(RNG.standard_normal((6, 5))), mg.tensor(RNG.integers(0, 3, 6))
    for _ in range(3):
        expected = model(x).argmax(1).numpy()   # the logits before this step's update
        loss, predicted = step(x, y)
    assert loss.shape == () and predicted.dtype == mg.int64 and step.replays == 1
    np.testing.assert_array_equal(predicted.numpy(), expected)


def test_a_value_read_on_the_host_is_caught_by_the_check_and_the_step_runs_eagerly():
    model = mlp()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)

    def loss_fn(a, b):   # the scale is read on the host: a captured step would freeze it
        scale = float(a.abs().mean().item())
        return F.cross_entropy(model(a) * mg.tensor(scale), b)
    step = mg.capture_step(loss_fn, optimizer)
    batches = [(mg.tensor(RNG.standard_normal((6, 5))), mg.tensor(RNG.integers(0, 3, 6))) for _ in range(3)]
    step(*batches[0])
    with pytest.warns(RuntimeWarning, match="did not give the same loss and gradients"):
        step(*batches[1])
    assert step.eager
    before = [p.numpy().copy() for p in model.parameters()]
    step(*batches[2])  # eager now: the right update
    check = mlp()
    check.load_state_dict({name: mg.tensor(value) for name, value in zip(dict(model.named_parameters()), before)})
    optimizer2 = mg.optim.SGD(check.parameters(), lr=0.1)
    eager_step(lambda a, b: F.cross_entropy(check(a) * mg.tensor(float(a.abs().mean().item())), b), optimizer2)(
        *batches[2])
    for a, b in zip(model.parameters(), check.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_what_cannot_be_replayed_is_refused_with_a_clear_error():
    model = mlp()
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    x, y = mg.tensor(RNG.standard_normal((6, 5))), mg.tensor(RNG.integers(0, 3, 6))
    with pytest.raises(TypeError, match="inputs must be Tensors"):
        mg.capture_step(lambda a, b: F.cross_entropy(model(mg.tensor(a)), b), optimizer)(np.zeros((6, 5)), y)

    def in_place(a, b):
        h = model(a)
        h += 1
        return F.cross_entropy(h, b)
    refused = mg.capture_step(in_place, optimizer)
    for _ in range(2):   # refused at every call: no half-recorded tape is kept
        with pytest.raises(RuntimeError, match="changes a tensor in place"):
            refused(x, y)
    assert not refused.tapes

    def hooked(a, b):
        h = model(a)
        h.register_hook(lambda g: g)
        return F.cross_entropy(h, b)
    with pytest.raises(RuntimeError, match="hooks"):
        mg.capture_step(hooked, optimizer)(x, y)

    class Double(mg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    with pytest.raises(RuntimeError, match="your own autograd.Function"):
        mg.capture_step(lambda a, b: F.cross_entropy(Double.apply(model(a)), b), optimizer)(x, y)
    with pytest.raises(RuntimeError, match="one-element tensor that requires grad"):
        mg.capture_step(lambda a, b: model(a), optimizer)(x, y)


class DoubleInFloat64(Op):
    """y = 2x, whose backward answers in float64 whatever x was (the engine casts it back to x's dtype)."""

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g.astype(np.float64) * 2


class Tangled(nn.Module):
    """A model whose captured code needs every kind of line: a layer used twice (its gradients add
    up), a 0-d float64 parameter scaling float32 activations (as in PyTorch, the product stays
    float32, so its gradient is summed back to shape () and cast to float64), a mask computed by a
    comparison and a cast, 0-d arithmetic (which NumPy answers with a scalar), and an op whose
    gradient comes back in another dtype."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(5, 5)
        self.head = nn.Linear(5, 3)
        self.scale = nn.Parameter(mg.tensor(1.0, dtype=mg.float64))

    def forward(self, x):
        h = self.shared(F.relu(DoubleInFloat64.apply(self.shared(x))))
        mask = (x.sum(1, keepdim=True) > 0).float()
        return self.head(h) * mask * self.scale


def test_every_kind_of_generated_line_replays_the_eager_bits():
    def loss(logits, y):
        return F.cross_entropy(logits, y) + 0.01 * (logits ** 2).mean()
    batches = [(mg.tensor(RNG.standard_normal((6, 5)).astype(np.float32)), mg.tensor(RNG.integers(0, 3, 6)))
               for _ in range(5)]

    def model():
        mg.manual_seed(0)
        return Tangled()
    eager = train(model, lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9), batches, captured=False, loss=loss)
    captured = train(model, lambda p: mg.optim.SGD(p, lr=0.1, momentum=0.9), batches, captured=True, loss=loss)
    assert_same_run(eager, captured)
    source = captured[2].tape(*batches[0]).source
    for line in ("sum_to_shape(", ".astype(", "asarray(", "computation", "= grad_param0 + "):
        assert line in source, f"{line!r} not in the generated code:\n{source}"
    compile(source, "<check>", "exec")   # what print(tape.source) shows is the code that runs


def test_an_input_that_requires_grad_gets_its_own_gradient_at_every_replay():
    model = mlp()
    loss_fn = lambda a, b: F.cross_entropy(model(a), b)  # noqa: E731
    step = mg.capture_step(loss_fn, mg.optim.SGD(model.parameters(), lr=0.0))
    for _ in range(4):
        x = mg.tensor(RNG.standard_normal((6, 5)), requires_grad=True)
        y = mg.tensor(RNG.integers(0, 3, 6))
        step(x, y)
        expected = mg.tensor(x.numpy(), requires_grad=True)
        loss_fn(expected, y).backward()
        np.testing.assert_array_equal(x.grad.numpy(), expected.grad.numpy())
    assert step.replays == 2


@pytest.mark.filterwarnings("ignore::minigrad.backends.cuda_backend.SimulatorWarning")
def test_the_generated_code_replays_the_gpu_kernels_exactly_too():
    """On "cudasim" the same code drives the CUDA kernels (the simulator: slow, so a tiny model)."""
    def model():
        mg.manual_seed(0)
        return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)).to("cudasim")
    batches = [(mg.tensor(RNG.standard_normal((4, 5)).astype(np.float32), device="cudasim"),
                mg.tensor(RNG.integers(0, 3, 4), device="cudasim")) for _ in range(3)]
    eager = train(model, lambda p: mg.optim.SGD(p, lr=0.1), batches, captured=False)
    captured = train(model, lambda p: mg.optim.SGD(p, lr=0.1), batches, captured=True)
    assert_same_run(eager, captured)
    assert captured[2].replays == 1 and "Context(cudasim)" in captured[2].tape(*batches[0]).source
