"""Issue 22, item 9: a local derivative that is 0 because nothing flows (a dead ReLU, ``x ** 0``)
passes 0 backwards whatever arrives, infinite or nan, as PyTorch's masks do; an ordinary 0
(``abs`` at 0, ``x * 0``) multiplies, as PyTorch's products do. Each test failed before."""

from __future__ import annotations

import copy
import math
import pickle

import pytest

from microgradnode import Value, backward_steps
from microgradnode.ops import OPS

from ..conftest import require_module
from .test_reliability_engine import _same, _torch_counterparts

inf, nan = math.inf, math.nan


def test_a_dead_relu_passes_no_infinite_gradient_back():
    # The example: sqrt at 0 sends inf down, the square turns it into nan, and the
    # two dead units must stop it (PyTorch float64 gives w.grad == 0).
    w = Value(0.5)
    hidden = [(w * v).relu() for v in (-1.0, -2.0)]
    (hidden[0] * hidden[0] + hidden[1] * hidden[1]).sqrt().backward()
    assert w.grad == 0.0


@pytest.mark.parametrize('upstream', [inf, -inf, nan])
def test_a_dead_relu_stops_any_upstream_gradient(upstream):
    x = Value(-1.0)
    x.relu().backward(upstream)
    assert x.grad == 0.0
    y = Value(-1.0)
    y.relu().sqrt().backward()  # sqrt's slope at 0 is inf
    assert y.grad == 0.0


def test_backward_steps_show_the_same_zero():
    x = Value(-1.0, 'x')
    steps = backward_steps(x.relu(), nan)
    assert steps[-1].node is x and steps[-1].grad == 0.0 and x.grad == 0.0


def test_power_zero_stops_an_infinite_gradient_but_abs_at_zero_does_not():
    x = Value(3.0)
    (x ** 0).backward(inf)
    assert x.grad == 0.0
    y, z = Value(2.0), Value(0.0)
    (y ** z).backward(inf)                 # d/dy is masked where the exponent is 0, d/dz is not
    assert y.grad == 0.0 and z.grad == inf * math.log(2.0)
    a = Value(0.0)
    abs(a).backward(inf)                    # PyTorch: inf * sgn(0) is nan
    assert math.isnan(a.grad)


def test_strong_zero_is_an_ordinary_zero_everywhere_but_in_products():
    from microgradnode.ops import strong_zero
    assert strong_zero == 0.0 and strong_zero * inf == 0.0 and nan * strong_zero == 0.0
    assert strong_zero + 1.0 == 1.0 and f'{strong_zero:.3g}' == '0' and repr(strong_zero) == '0.0'
    assert pickle.loads(pickle.dumps(strong_zero)) is strong_zero
    assert copy.deepcopy(strong_zero) is strong_zero
    # A relu node's recorded slope survives pickling as the strong zero.
    dead = pickle.loads(pickle.dumps(Value(-2.0).relu()))
    assert dead.local_grads[0] is strong_zero


def _cases(op):
    normals, specials = [1.5, -1.5, 0.0, 2.0, 0.5], [nan, inf, -inf]
    if op.constant:
        return [(a, k) for a in normals + specials for k in (2.0, 0.5, 0.0, 1.0, -1.0, 3.0)]
    if op.arity == 2:
        return [(a, b) for a in normals + specials for b in normals + specials]
    return [(a,) for a in normals + specials]


def test_every_row_passes_an_infinite_or_nan_gradient_back_as_torch_float64_does():
    torch = require_module('torch')
    counterparts = _torch_counterparts(torch)
    wrong = []
    for name, op in OPS.items():
        for args in _cases(op):
            values = args[:1] if op.constant else args
            extra = args[1:] if op.constant else ()
            for upstream in (inf, -inf, nan, 0.0):
                tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in values]
                try:
                    expected = counterparts[name](*tensors, *extra)
                    expected.backward(torch.tensor(upstream, dtype=torch.float64))
                except RuntimeError:
                    continue
                want = [0.0 if t.grad is None else t.grad.item() for t in tensors]
                leaves = [Value(x) for x in values]
                try:
                    node = getattr(Value, name)(*leaves, *extra)
                except (ValueError, ArithmeticError):
                    continue  # undefined here, the engine's error (checked in test_reliability_engine)
                node.backward(upstream)
                got = [leaf.grad for leaf in leaves]
                if not all(_same(g, w) for g, w in zip(got, want)):
                    wrong.append(f'{name}{args} upstream {upstream}: {got}, torch {want}')
    assert wrong == []
