"""Issue 22, items 9 and 10 in compiled code: compiled gradient graphs evaluate their conditions
when run, not when traced, or compile refuses them; compiled steps stop nan at dead ReLUs."""

from __future__ import annotations

import math

import pytest

from microgradnode import Value, grad
from microgradnode.compiler import compile


def _eager_gradient(build, point):
    x = Value(point, 'x')
    (g,) = grad(build(x), [x], create_graph=True)
    g.backward()
    return g.data, x.grad


@pytest.mark.parametrize('compact', [False, True])
@pytest.mark.parametrize('build, traced, run', [
    (lambda x: x.relu() * x, 1.0, -1.0),        # the examples
    (lambda x: abs(x) * x, 1.0, -1.0),
    (lambda x: x.relu() * x, -1.0, 2.0),
    (lambda x: (x * 3.0).relu().tanh() + abs(x - 0.5), 0.7, -0.2),
])
def test_a_compiled_gradient_graph_takes_the_branch_of_the_inputs_it_runs_at(build, traced, run, compact):
    x = Value(traced, 'x')
    (g,) = grad(build(x), [x], create_graph=True)
    compiled = compile(g, compact=compact)
    x.data, x.grad = run, 0.0
    result = compiled()
    assert (result, x.grad) == _eager_gradient(build, run)


def test_compile_refuses_a_gradient_graph_holding_a_branch_taken_when_it_was_built():
    x = Value(0.0, 'x')
    (g,) = grad((x * x).sqrt(), [x], create_graph=True)  # sqrt's slope at 0: inf, chosen by a test
    with pytest.raises(ValueError, match='chose from a condition on the data'):
        compile(g)
    y = Value(0.0, 'y')
    (h,) = grad(y ** 0.5 + y, [y], create_graph=True)
    with pytest.raises(ValueError, match='compile\\(\\) cannot compile this graph'):
        compile(h)


@pytest.mark.parametrize('compact', [False, True])
def test_a_compiled_step_stops_nan_at_a_dead_relu_as_backward_does(compact):
    w = Value(0.5, 'w')
    hidden = [(w * v).relu() for v in (-1.0, -2.0)]
    out = (hidden[0] * hidden[0] + hidden[1] * hidden[1]).sqrt()
    compiled = compile(out, compact=compact)
    assert compiled() == 0.0 and w.grad == 0.0
    w.data = -0.5  # both units alive: the gradient is finite and non-zero
    w.grad = 0.0
    assert compiled() == pytest.approx(math.sqrt(1.25)) and w.grad == pytest.approx(-2.5 / math.sqrt(1.25))


def test_the_compiled_relu_slope_is_a_comparison_not_a_product():
    x = Value(0.5, 'x')
    y = (x * 2.0).relu()
    y.label = 'y'
    source = compile(y).source
    assert 'g_v2 = 0.0 if v2 <= 0.0 else g_y' in source
