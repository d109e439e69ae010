"""Issue 22, items 9 and 10 in grad and forward mode: the strong zero of a dead ReLU, and the
conditions of relu and abs recorded as operations (``step``, ``sign``) in gradient graphs."""

from __future__ import annotations

import math

from microgradnode import Value, grad, jvp
from microgradnode.calculus.forward import forward_tangents

inf, nan = math.inf, math.nan


def test_jvp_through_a_dead_relu_of_an_infinite_tangent_is_zero():
    # PyTorch's forward mode masks the tangent too (torch.func.jvp gives 0).
    assert jvp(lambda x: x.relu(), [-1.0], [inf]) == (0.0, 0.0)
    x = Value(-1.0)
    y = x.relu()
    assert forward_tangents(y, {x: nan})[y] == 0.0


def test_grad_without_and_with_create_graph_stops_nan_at_a_dead_relu():
    w = Value(0.5)
    hidden = [(w * v).relu() for v in (-1.0, -2.0)]
    out = (hidden[0] * hidden[0] + hidden[1] * hidden[1]).sqrt()
    assert grad(out, [w])[0].data == 0.0
    (slope,) = grad(out, [w], create_graph=True)
    assert slope.data == 0.0


def test_the_slope_of_relu_in_a_gradient_graph_is_the_operation_step():
    x = Value(1.0, 'x')
    (g,) = grad(x.relu() * x, [x], create_graph=True)
    assert 'step' in {node.op for node in _graph(g)}
    # The gradient graph follows x to the other side of the kink when run again.
    (again,) = grad(g, [x])
    assert again.data == 2.0


def test_the_slope_of_abs_in_a_gradient_graph_is_the_operation_sign():
    x = Value(1.0, 'x')
    (g,) = grad(abs(x) * x, [x], create_graph=True)
    assert 'sign' in {node.op for node in _graph(g)}


def test_step_and_sign_are_constant_piece_by_piece_with_strong_zero_slopes():
    x = Value(-3.0)
    slopes = x.step().data, x.sign().data, Value(2.0).step().data, Value(nan).step().data
    assert slopes == (0.0, -1.0, 1.0, 1.0)
    y = x.sign()
    y.backward(inf)
    assert x.grad == 0.0


def _graph(root: Value) -> list[Value]:
    from microgradnode import topological_order
    return topological_order(root)


def test_every_row_pushes_an_infinite_or_nan_tangent_as_torch_func_jvp_does():
    from microgradnode.ops import OPS

    from ..conftest import require_module
    from ..engine.test_reliability_engine import _same, _torch_counterparts
    from ..engine.test_zero_slopes import _cases
    torch = require_module('torch')
    counterparts = _torch_counterparts(torch)
    wrong = []
    for name, op in OPS.items():
        if name == 'step':
            continue  # its torch counterpart is a gradient (autograd.grad), which torch.func.jvp cannot trace
        for args in _cases(op):
            values = args[:1] if op.constant else args
            extra = args[1:] if op.constant else ()
            try:
                getattr(Value, name)(*[Value(x) for x in values], *extra)
            except (ValueError, ArithmeticError):
                continue  # undefined here: the engine's error

            def ours(*xs, name=name, extra=extra):
                return getattr(Value, name)(*xs, *extra)

            def theirs(*xs, name=name, extra=extra):
                return counterparts[name](*xs, *extra)

            for tangent in (inf, -inf, nan, 0.0):
                tangents = [tangent] + [1.0] * (len(values) - 1)
                primals = tuple(torch.tensor(x, dtype=torch.float64) for x in values)
                directions = tuple(torch.tensor(t, dtype=torch.float64) for t in tangents)
                expected = torch.func.jvp(theirs, primals, directions)[1].item()
                got = jvp(ours, list(values), tangents)[1]
                if not _same(got, expected):
                    wrong.append(f'{name}{args} tangents {tangents}: {got}, torch {expected}')
    assert wrong == []
