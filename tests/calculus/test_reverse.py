"""grad, hessian and hvp: higher-order derivatives against PyTorch float64 and closed forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from microgradnode import Value, grad, hessian, hvp, topological_order

from ..conftest import require_module
from ..engine.test_engine_random_graphs import BINARY, KINKED, UNARY, programs, run


def _softplus(x):
    if isinstance(x, Value):
        return x.softplus()
    import torch
    return torch.nn.functional.softplus(x)


def _step(x):
    if isinstance(x, Value):
        return x.step()
    import torch
    return (x > 0.0).to(torch.float64)  # relu's slope; constant piece by piece, no graph in torch


def _sign(x):
    if isinstance(x, Value):
        return x.sign()
    import torch
    return torch.sign(x)


# Every operation of the table appears: softplus, step, sign and a fractional power are
# added to the random-graph operations of the first-order tests.
OPERATIONS = {**UNARY, **KINKED, 'softplus': _softplus, 'step': _step, 'sign': _sign,
              'half_power': lambda x: (x * x + 0.25) ** 0.5, 'power_minus_3_2': lambda x: (x * x + 1) ** -1.5}


def _close(actual: float, expected: float, tolerance: float = 1e-9) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)


def _torch_grads(torch, output, inputs):
    """torch.autograd.grad with create_graph, a zero tensor for inputs not reached."""
    if not output.requires_grad:
        return [torch.zeros((), dtype=torch.float64) for _ in inputs]
    results = torch.autograd.grad(output, inputs, create_graph=True, allow_unused=True)
    return [torch.zeros((), dtype=torch.float64) if r is None else r for r in results]


def _derivative_tree(torch, leaves, tensors, out, reference, order):
    """Every partial derivative up to ``order`` of both engines, as pairs of numbers."""
    pairs = []
    level = [(out, reference)]
    for depth in range(order):
        following = []
        for value, tensor in level:
            ours = grad(value, leaves, create_graph=depth < order - 1)
            theirs = _torch_grads(torch, tensor, tensors)
            following.extend(zip(ours, theirs))
        pairs.extend((mine.data, theirs.item()) for mine, theirs in following)
        level = following
    return pairs


@settings(max_examples=60, deadline=None)
@given(programs(unary=OPERATIONS))
def test_second_and_third_derivatives_of_random_graphs_match_pytorch(program):
    torch = require_module('torch')
    inputs, instructions = program
    leaves = [Value(x) for x in inputs]
    out = run(instructions, leaves, OPERATIONS)
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    reference = run(instructions, tensors, OPERATIONS)
    for mine, theirs in _derivative_tree(torch, leaves, tensors, out, reference, order=3):
        assert _close(mine, theirs), (mine, theirs)


def test_every_operation_of_the_table_is_exercised():
    from microgradnode.ops import OPS
    x, y = Value(0.7), Value(-0.4)
    seen = set()
    for f in OPERATIONS.values():
        seen |= {node.op for node in topological_order(f(x))}
    for f in BINARY.values():
        seen |= {node.op for node in topological_order(f(x, y))}
    assert seen - {''} == set(OPS)


def test_hessian_matches_pytorch_functional_hessian():
    torch = require_module('torch')

    def f(w0, w1, w2, b):
        hidden = (w0 * 1.5 + b).tanh() * w1 + (w0 * w1).sigmoid()
        return (hidden * w2 - 0.3) ** 2 + (w2 * w2 + 1).log() + abs(b) * w0

    point = [0.3, -1.2, 0.8, 0.25]
    values = [Value(x) for x in point]
    ours = hessian(f(*values), values)
    theirs = torch.autograd.functional.hessian(
        lambda t: f(*t.unbind()), torch.tensor(point, dtype=torch.float64))
    for i in range(4):
        for j in range(4):
            assert _close(ours[i][j], theirs[i, j].item(), 1e-12), (i, j)
            assert _close(ours[i][j], ours[j][i], 1e-12)


def test_hvp_is_the_hessian_times_the_vector():
    x, y, z = Value(0.4), Value(-1.1), Value(2.0)
    out = (x * y * z).tanh() + (x / z).exp() * y ** 3
    vector = [0.5, -2.0, 3.0]
    matrix = hessian(out, [x, y, z])
    expected = [sum(row[j] * vector[j] for j in range(3)) for row in matrix]
    assert all(_close(a, b, 1e-12) for a, b in zip(hvp(out, [x, y, z], vector), expected))


@pytest.mark.parametrize('n', range(1, 7))
def test_nth_derivatives_in_closed_form(n):
    x0 = 0.8
    sine_derivatives = [math.sin, math.cos, lambda t: -math.sin(t), lambda t: -math.cos(t)]
    cases = {
        'sin': (lambda x: x.sin(), sine_derivatives[n % 4]),
        'exp': (lambda x: x.exp(), math.exp),
        'x**5': (lambda x: x ** 5, lambda t: math.perm(5, n) * t ** (5 - n) if n <= 5 else 0.0),
        'x**-2': (lambda x: x ** -2, lambda t: (-1) ** n * math.factorial(n + 1) * t ** (-2 - n)),
    }
    for name, (f, exact) in cases.items():
        x = Value(x0)
        derivative = f(x)
        for _ in range(n):
            (derivative,) = grad(derivative, [x], create_graph=True)
        assert _close(derivative.data, exact(x0), 1e-11), (name, derivative.data, exact(x0))


def test_sigmoid_derivatives_follow_the_polynomials_in_sigmoid():
    # σ' = σ(1-σ), σ'' = σ(1-σ)(1-2σ), σ''' = σ(1-σ)(1-6σ+6σ²): the table only knows the first.
    x = Value(0.3)
    s = 1 / (1 + math.exp(-0.3))
    expected = [s * (1 - s), s * (1 - s) * (1 - 2 * s), s * (1 - s) * (1 - 6 * s + 6 * s * s)]
    derivative = x.sigmoid()
    for exact in expected:
        (derivative,) = grad(derivative, [x], create_graph=True)
        assert _close(derivative.data, exact, 1e-14)


def test_grad_changes_no_grad_anywhere():
    w, x = Value(0.5, 'w'), Value(-1.5, 'x')
    w.grad, x.grad = 7.0, -3.0
    y = (w * x).tanh() * w
    nodes = topological_order(y)
    before = [node.grad for node in nodes]
    (g,) = grad(y, [w], create_graph=True)
    grad(g, [w, x])
    hessian(y, [w, x])
    hvp(y, [w, x], [1.0, 1.0])
    assert [node.grad for node in nodes] == before
    assert all(node._waiting == 0 for node in nodes)


def test_plain_grad_agrees_with_backward_bit_for_bit_and_the_graph_version_too():
    leaves = [Value(0.3), Value(-1.7), Value(1.1)]
    a, b, c = leaves
    out = ((a * b).sigmoid() + a * c) * (b - c).tanh() + (a * a).exp() / (c * c + 1)
    out.backward()
    plain = [g.data for g in grad(out, leaves)]
    graphed = [g.data for g in grad(out, leaves, create_graph=True)]
    assert plain == [leaf.grad for leaf in leaves] == graphed


def test_an_input_the_output_does_not_use_gets_zero_and_the_output_one():
    x, unused = Value(2.0), Value(5.0)
    y = x * x
    gy, gu, gx = grad(y, [y, unused, x], create_graph=True)
    assert (gy.data, gu.data, gx.data) == (1.0, 0.0, 4.0)
    (second,) = grad(gu, [x])
    assert second.data == 0.0
    assert hessian(y, [x, unused]) == [[2.0, 0.0], [0.0, 0.0]]


def test_gradient_through_an_intermediate_value():
    x = Value(3.0)
    h = x * x
    y = h.sin()
    (gh,) = grad(y, [h])
    assert gh.data == math.cos(9.0)


def test_kinks_follow_pytorch():
    torch = require_module('torch')
    for name in ('relu', 'abs'):
        f = KINKED[name]
        x = Value(0.0)
        t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        (ours,) = grad(f(x) * 3 + x * x, [x], create_graph=True)
        (theirs,) = torch.autograd.grad(f(t) * 3 + t * t, [t], create_graph=True)
        assert ours.data == theirs.item() == 0.0
        (ours2,) = grad(ours, [x])
        (theirs2,) = torch.autograd.grad(theirs, [t])
        assert ours2.data == theirs2.item() == 2.0


def test_sqrt_at_zero_has_an_infinite_slope_like_pytorch():
    x = Value(0.0)
    (g,) = grad(x.sqrt(), [x], create_graph=True)
    assert g.data == math.inf
    (g,) = grad(x ** 0.5, [x], create_graph=True)
    assert g.data == math.inf


def test_nan_flows_through_like_backward():
    x = Value(math.nan)
    y = x * x + x.sin()
    (g,) = grad(y, [x], create_graph=True)
    (h,) = grad(g, [x])
    assert math.isnan(g.data) and math.isnan(h.data)


def test_gradient_of_a_deep_chain_needs_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y.sin()
    (g,) = grad(y, [x], create_graph=True)
    (h,) = grad(g, [x])
    y.backward()
    assert g.data == x.grad
    assert math.isfinite(h.data)


@pytest.mark.parametrize('call, error, message', [
    (lambda x: grad(x, []), ValueError, 'at least one input'),
    (lambda x: grad(x, [x, 2.0]), TypeError, r'inputs\[1\] is float'),
    (lambda x: grad(3.0, [x]), TypeError, 'needs a Value as output, not float'),
    (lambda x: grad(x, 'x'), TypeError, 'list of Values, not str'),
    (lambda x: grad(x, 5), TypeError, 'list of Values, not int'),
    (lambda x: grad(x, [x], create_graph='yes'), TypeError, 'create_graph must be True or False'),
    (lambda x: hessian(x, []), ValueError, 'at least one input'),
    (lambda x: hvp(x * x, [x], [1.0, 2.0]), ValueError, '1 inputs, 2 numbers'),
    (lambda x: hvp(x * x, [x], ['1']), TypeError, r'vector\[0\] is str'),
    (lambda x: hvp(x * x, [x], 1.0), TypeError, 'list of numbers, not float'),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call(Value(1.0))


def test_a_single_value_is_one_input():
    x = Value(3.0)
    (g,) = grad(x * x, x)
    assert g.data == 6.0


# -- every view works on a gradient graph ------------------------------------------------------

def _gradient_of_two_node_loss():
    from microgradnode import twonode
    net = twonode.build()
    (g,) = grad(net.loss, [net.w0], create_graph=True)
    return net, g


def test_draw_shows_the_gradient_graph():
    require_module('graphviz')
    from microgradnode import draw
    net, g = _gradient_of_two_node_loss()
    g.label = 'dloss/dw0'
    source = draw(g).source
    for label in ('dloss/dw0', 'w0', 'w1', 'w2', 's0', 's1', 's2', 'out', 'target'):
        assert label in source
    assert source.count('->') >= len([n for n in topological_order(g) if not n.is_leaf])


def test_explain_sums_the_paths_of_the_gradient_graph_to_the_second_derivative():
    from microgradnode import explain
    net, g = _gradient_of_two_node_loss()
    explanation = explain(g, net.w0)
    (second,) = grad(g, [net.w0])
    assert math.isclose(explanation.path_sum, second.data, rel_tol=1e-12)
    assert explanation.gradient == second.data
    assert len(explanation.paths) == 5


def test_compile_of_a_gradient_graph_is_code_for_the_second_derivative():
    from microgradnode import twonode
    from microgradnode.compiler import compile as compile_graph
    net, g = _gradient_of_two_node_loss()
    step = compile_graph(g)
    for w0 in (2.0, 1.5, -0.3):
        net.w0.data = w0
        for leaf in step.leaves:
            leaf.grad = 0.0
        first = step()
        fresh = twonode.build(w0=w0)
        (expected_first,) = grad(fresh.loss, [fresh.w0], create_graph=True)
        (expected_second,) = grad(expected_first, [fresh.w0])
        assert first == expected_first.data
        assert math.isclose(net.w0.grad, expected_second.data, rel_tol=1e-12)


def test_hvp_of_the_benchmarks_moons_mlp_loss_matches_pytorch_double_backward():
    torch = require_module('torch')
    from benchmarks import bench_second_order, workload

    products = {}
    for name in ('microgradnode', 'pytorch'):
        engine, mlp, points, labels, parameters, vector = bench_second_order._loss(name)
        loss, _ = workload.forward(engine, mlp, points[:6], labels[:6])
        if name == 'pytorch':
            gradient = torch.autograd.grad(loss, parameters, create_graph=True)
            dot = sum(g * v for g, v in zip(gradient, vector))
            products[name] = [0.0 if p is None else p.item()
                              for p in torch.autograd.grad(dot, parameters, allow_unused=True)]
        else:
            products[name] = hvp(loss, parameters, vector)
    assert len(products['pytorch']) == 337
    assert any(products['pytorch'])
    for mine, theirs in zip(products['microgradnode'], products['pytorch']):
        assert _close(mine, theirs, 1e-12), (mine, theirs)


def test_conditions_in_the_table_test_the_data_not_the_values():
    # powv's d/db is 'out * log(a) if a > 0.0 else 0.0 if a == 0.0 else nan': on Values,
    # == is identity, so the condition must look at the number to give PyTorch's 0 at a = 0.
    torch = require_module('torch')
    a, b = Value(0.0), Value(2.0)
    ta = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    ours = grad(a ** b, [a, b], create_graph=True)
    theirs = torch.autograd.grad(ta ** tb, [ta, tb], create_graph=True)
    assert [g.data for g in ours] == [t.item() for t in theirs] == [0.0, 0.0]
    # sqrt's slope '0.5 / out if out else inf' is finite away from 0 (a Value is always truthy).
    x = Value(4.0)
    (slope,) = grad(x.sqrt(), [x], create_graph=True)
    (curvature,) = grad(slope, [x])
    assert (slope.data, curvature.data) == (0.25, -1 / 32)


def test_threads_computing_gradients_of_one_graph_agree():
    import threading
    x, y = Value(0.3), Value(-1.2)
    out = (x * y).tanh() * x + (y * y).sin()
    expected = hessian(out, [x, y])
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append(hessian(out, [x, y]))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(results) == 80
    assert all(result == expected for result in results)


def test_under_no_grad_create_graph_records_nothing():
    from microgradnode import no_grad
    x = Value(3.0)
    y = x * x * x
    with no_grad():
        (g,) = grad(y, [x], create_graph=True)
    assert (g.data, g.is_leaf) == (27.0, True)
    assert grad(g, [x])[0].data == 0.0


def test_compiled_hessian_vector_product_of_an_mlp_loss_is_hvp_bit_for_bit():
    from benchmarks import bench_second_order, workload
    from microgradnode.compiler import compile as compile_graph
    engine, mlp, points, labels, parameters, vector = bench_second_order._loss('microgradnode')
    loss, _ = workload.forward(engine, mlp, points[:4], labels[:4])
    gradient = grad(loss, parameters, create_graph=True)
    dot = sum((g * v for g, v in zip(gradient, vector)), 0.0)
    step = compile_graph(dot, compact=True)
    for parameter in parameters:
        parameter.grad = 0.0
    step()
    assert [p.grad for p in parameters] == hvp(loss, parameters, vector)
