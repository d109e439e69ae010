"""Losses, optimizers and datasets: values, gradients, stability, agreement with PyTorch."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnode import Value, gradcheck
from microgradnode.nn.datasets import circles, moons, xor
from microgradnode.nn.losses import binary_cross_entropy, hinge, l2_penalty, mse, softplus
from microgradnode.nn.optim import SGD, Adam, Momentum

from ..conftest import require_module

# -- losses ---------------------------------------------------------------------------------


def test_mse_hinge_and_l2_values():
    a, b = Value(1.5), Value(-0.25)
    assert mse([a, b], [1.0, 0.0]).data == pytest.approx((0.25 + 0.0625) / 2)
    # margins: 1 - 1*1.5 < 0 -> 0; 1 - (-1)(-0.25) = 0.75
    assert hinge([a, b], [1, -1]).data == pytest.approx(0.75 / 2)
    assert hinge([a, b], [1, 0]).data == hinge([a, b], [1, -1]).data  # 0 is the negative class
    with_l2 = hinge([a, b], [1, -1], l2=0.1, parameters=[a, b])
    assert with_l2.data == pytest.approx(0.375 + 0.1 * (1.5 ** 2 + 0.25 ** 2))


def test_losses_match_finite_differences():
    def total(z0, z1, z2):
        zs = [z0, z1, z2]
        return (mse(zs, [0.5, -1.0, 2.0]) + hinge(zs, [1, -1, 1])
                + binary_cross_entropy(zs, [1, 0, 1], l2=0.3, parameters=zs))
    gradcheck(total, [0.3, 0.4, -2.0])


@settings(max_examples=100, deadline=None)
@given(st.floats(-50, 50, allow_nan=False))
def test_softplus_equals_log_one_plus_exp_and_its_slope_is_sigmoid(z):
    x = Value(z)
    y = softplus(x)
    y.backward()
    assert y.data == pytest.approx(math.log1p(math.exp(z)), rel=1e-12, abs=1e-15)
    assert x.grad == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-12, abs=1e-15)


def test_softplus_slope_is_one_half_exactly_at_zero():
    # |z| has a kink at 0; the (z + |z|) / 2 form keeps d softplus / dz = sigmoid(0) there.
    z = Value(0.0)
    softplus(z).backward()
    assert z.grad == 0.5


@pytest.mark.parametrize('logit, label, loss, slope', [
    (1000.0, 1, 0.0, 0.0), (-1000.0, 0, 0.0, 0.0),       # confidently right
    (-1000.0, 1, 1000.0, -1.0), (1000.0, 0, 1000.0, 1.0),  # confidently wrong: no log(0)
    (0.0, 1, math.log(2), -0.5), (0.0, 0, math.log(2), 0.5),
])
def test_binary_cross_entropy_is_stable_for_confident_logits(logit, label, loss, slope):
    z = Value(logit)
    out = binary_cross_entropy([z], [label])
    out.backward()
    assert out.data == pytest.approx(loss, rel=1e-15, abs=1e-300)
    assert z.grad == pytest.approx(slope, abs=1e-300)


def test_binary_cross_entropy_matches_pytorch_from_logits():
    torch = require_module('torch')
    logits = [-1000.0, -40.0, -3.5, -1e-9, 0.0, 1e-9, 0.7, 25.0, 1000.0]
    labels = [1, 0, 1, 0, 1, 1, 0, 0, 1]
    zs = [Value(z) for z in logits]
    ours = binary_cross_entropy(zs, labels)
    ours.backward()
    t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        t, torch.tensor(labels, dtype=torch.float64))
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-14)
    for z, g in zip(zs, t.grad.tolist()):
        assert z.grad == pytest.approx(g, rel=1e-12, abs=1e-18)


@pytest.mark.parametrize('call, message', [
    (lambda: mse([Value(1.0)], [1.0, 2.0]), 'mse: 1 predictions but 2 targets'),
    (lambda: hinge([], []), 'hinge: no predictions'),
    (lambda: hinge([Value(1.0)], [2]), r'labels must be \+1 .* not 2'),
    (lambda: binary_cross_entropy([Value(1.0)], [0.5]), 'not 0.5'),
    (lambda: hinge([Value(1.0)], [1], l2=0.1), 'needs the parameters'),
    (lambda: l2_penalty([Value(1.0)], -1.0), 'l2 strength must be a finite number >= 0'),
])
def test_bad_loss_arguments_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- optimizers -----------------------------------------------------------------------------

def _rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


@pytest.mark.parametrize('ours, theirs, options', [
    (SGD, 'SGD', {'lr': 1e-3}),
    (Momentum, 'SGD', {'lr': 1e-3, 'momentum': 0.9}),
    (Adam, 'Adam', {'lr': 0.05}),
])
def test_optimizers_take_the_same_steps_as_torch_optim(ours, theirs, options):
    torch = require_module('torch')
    x, y = Value(-1.2), Value(1.0)
    opt = ours([x, y], **options)
    tx = torch.tensor(-1.2, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, theirs)([tx, ty], **options)
    for _ in range(50):
        opt.zero_grad()
        _rosenbrock(x, y).backward()
        opt.step()
        topt.zero_grad()
        _rosenbrock(tx, ty).backward()
        topt.step()
    assert x.data == pytest.approx(tx.item(), rel=1e-12)
    assert y.data == pytest.approx(ty.item(), rel=1e-12)
    assert (x.data, y.data) != (-1.2, 1.0)


@pytest.mark.parametrize('call, message', [
    (lambda: SGD([], lr=0.1), 'SGD got no parameters'),
    (lambda: SGD([1.0], lr=0.1), 'SGD optimizes Values, not float'),
    (lambda: SGD([Value(1.0)], lr=-0.1), r'lr \(learning rate\) must be a finite number >= 0'),
    (lambda: Momentum([Value(1.0)], lr=0.1, momentum=1.0), 'momentum must be .* below 1'),
    (lambda: Adam([Value(1.0)], beta2=float('nan')), 'beta2'),
])
def test_bad_optimizer_arguments_say_what_is_wrong(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_optimizer_zero_grad_and_repr():
    w = Value(2.0)
    (w * w).backward()
    opt = Adam([w], lr=0.01)
    opt.zero_grad()
    assert w.grad == 0.0
    assert repr(opt) == 'Adam(1 parameter, lr=0.01)'
    assert repr(SGD([w, Value(1.0)], lr=0.5)) == 'SGD(2 parameters, lr=0.5)'


# -- datasets -------------------------------------------------------------------------------

@pytest.mark.parametrize('make', [moons, circles])
def test_datasets_are_seeded_balanced_and_labelled_plus_minus_one(make):
    points, labels = make(50, seed=4)
    assert (points, labels) == make(50, seed=4)
    assert points != make(50, seed=5)[0]
    assert len(points) == len(labels) == 50
    assert labels.count(1) == labels.count(-1) == 25
    assert all(len(p) == 2 and all(math.isfinite(c) for c in p) for p in points)


def test_noise_free_shapes():
    points, labels = moons(40, noise=0.0, seed=1)
    for (x, y), label in zip(points, labels):
        centre = (0.0, 0.0) if label == -1 else (1.0, 0.5)
        assert math.hypot(x - centre[0], y - centre[1]) == pytest.approx(1.0)
        assert (y >= 0) if label == -1 else (y <= 0.5)
    points, labels = circles(40, noise=0.0, factor=0.3, seed=1)
    assert {round(math.hypot(*p), 9): y for p, y in zip(points, labels)} == {1.0: -1, 0.3: 1}


def test_xor_is_the_truth_table_and_copies_it():
    points, labels = xor()
    assert [(int(a) ^ int(b)) for a, b in points] == [int(y == 1) for y in labels]
    points, labels = xor(12, noise=0.1, seed=2)
    assert labels == [-1, 1, 1, -1] * 3
    assert points[0] != [0.0, 0.0]


@pytest.mark.parametrize('call, message', [
    (lambda: moons(0), 'number of samples must be a positive integer, not 0'),
    (lambda: circles(10, noise=-1), 'noise must be a finite number >= 0'),
    (lambda: circles(10, factor=1.5), 'factor'),
    (lambda: xor(6), 'multiple of 4'),
])
def test_bad_dataset_arguments_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()
