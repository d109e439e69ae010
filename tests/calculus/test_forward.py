"""Forward mode: jvp, jacobian and forward-over-reverse hvp against PyTorch float64 and reverse mode."""

from __future__ import annotations

import gc
import math
import random
import threading

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microgradnode import Value, grad, hvp, jacobian, jvp, no_grad
from microgradnode.calculus.forward import forward_order, forward_tangents
from microgradnode.calculus.jacobian import jacobian_of

from ..conftest import require_module
from ..engine.test_engine_random_graphs import BINARY, programs
from .test_reverse import OPERATIONS, _close


def _run_many(instructions, leaves, outputs):
    """The random program, returning its last ``outputs`` nodes (several outputs)."""
    nodes = list(leaves)
    for name, *args in instructions:
        f = OPERATIONS.get(name) or BINARY[name]
        nodes.append(f(*(nodes[i] for i in args)))
    return nodes[-outputs:]


def _every_operation_program():
    """One program using every row of the table, for tests that are not random."""
    unary = [(name, 0) for name in sorted(OPERATIONS)]
    binary = [(name, 1, 2) for name in sorted(BINARY)]
    return [0.7, -1.3, 0.4], unary + binary


@settings(max_examples=60, deadline=None)
@given(programs(unary=OPERATIONS), st.integers(1, 3), st.data())
def test_jvp_of_random_graphs_matches_torch_func_jvp(program, outputs, data):
    torch = require_module('torch')
    inputs, instructions = program
    direction = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=len(inputs), max_size=len(inputs)))
    outputs = min(outputs, len(instructions))
    values, slopes = jvp(lambda *xs: _run_many(instructions, xs, outputs), inputs, direction)
    primals = tuple(torch.tensor(x, dtype=torch.float64) for x in inputs)
    tangents = tuple(torch.tensor(t, dtype=torch.float64) for t in direction)
    their_values, their_slopes = torch.func.jvp(lambda *ts: tuple(_run_many(instructions, ts, outputs)),
                                                primals, tangents)
    assert len(values) == len(slopes) == outputs
    for mine, theirs in zip(values + slopes, [*their_values, *their_slopes]):
        assert _close(mine, theirs.item()), (mine, theirs.item())


@settings(max_examples=40, deadline=None)
@given(programs(unary=OPERATIONS), st.integers(1, 4))
def test_forward_and_reverse_jacobians_match_pytorch_and_each_other(program, outputs):
    torch = require_module('torch')
    inputs, instructions = program
    outputs = min(outputs, len(instructions))

    def f(*xs):
        return _run_many(instructions, xs, outputs)

    forward = jacobian(f, inputs, mode='forward')
    reverse = jacobian(f, inputs, mode='reverse')
    auto = jacobian(f, inputs, mode='auto')
    theirs = torch.autograd.functional.jacobian(
        lambda *ts: tuple(f(*ts)), tuple(torch.tensor(x, dtype=torch.float64) for x in inputs))
    assert len(forward) == outputs and all(len(row) == len(inputs) for row in forward)
    for i in range(outputs):
        for j in range(len(inputs)):
            assert _close(forward[i][j], theirs[i][j].item()), (i, j, forward[i][j], theirs[i][j])
            assert _close(forward[i][j], reverse[i][j], 1e-12)
            assert auto[i][j] == (forward if len(inputs) < outputs else reverse)[i][j]


def test_every_operation_of_the_table_goes_through_forward_mode():
    from microgradnode.ops import OPS
    inputs, instructions = _every_operation_program()
    leaves = [Value(x) for x in inputs]
    outputs = _run_many(instructions, leaves, len(instructions))
    used = {node.op for node in forward_order(outputs) if not node.is_leaf}
    assert used == set(OPS)
    # every output's forward-mode derivative along each input is its reverse-mode gradient
    for output in outputs:
        reverse = [g.data for g in grad(output, leaves)]
        for position, leaf in enumerate(leaves):
            assert _close(forward_tangents(outputs, {leaf: 1.0})[output], reverse[position], 1e-12)


def test_jvp_in_closed_form():
    assert jvp(lambda x: x.sin() * x, [2.0], [1.0]) == (2.0 * math.sin(2.0),
                                                        math.sin(2.0) + 2.0 * math.cos(2.0))
    value, slope = jvp(lambda x, y: [x * y, x / y, x ** 3], [2.0, 4.0], [1.0, -1.0])
    assert value == [8.0, 0.5, 8.0]
    assert slope == [4.0 - 2.0, 1 / 4 + 2 / 16, 12.0]


@settings(max_examples=30, deadline=None)
@given(programs(unary=OPERATIONS), st.data())
def test_the_two_hessian_vector_products_agree(program, data):
    inputs, instructions = program
    vector = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=len(inputs), max_size=len(inputs)))
    leaves = [Value(x) for x in inputs]
    (out,) = _run_many(instructions, leaves, 1)
    # At an exponent of exactly 0 the table's powv slope is the constant 0, so the computed
    # second derivatives are not symmetric there (as in PyTorch): see the test below.
    assume(not any(node.op == 'powv' and node.parents[1].data == 0.0 for node in forward_order([out])))
    reverse = hvp(out, leaves, vector)
    forward = hvp(out, leaves, vector, mode='forward-over-reverse')
    for a, b in zip(forward, reverse):
        assert _close(a, b, 1e-9), (forward, reverse)


def _moons_loss(points: int = 6):
    from microgradnode.nn import MLP
    from microgradnode.nn.datasets import moons
    from microgradnode.nn.training import batch_loss
    model = MLP(2, [16, 16, 1], seed=0)
    data, labels = moons(points, seed=0)
    return batch_loss(model, data, labels, loss='hinge', l2=1e-4)[0], model.parameters()


def test_hessian_vector_products_of_the_moons_mlp_loss_agree():
    loss, parameters = _moons_loss()
    assert len(parameters) == 337
    rng = random.Random(1)
    vector = [rng.uniform(-1, 1) for _ in parameters]
    reverse = hvp(loss, parameters, vector)
    forward = hvp(loss, parameters, vector, mode='forward-over-reverse')
    assert any(reverse)
    for a, b in zip(forward, reverse):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_where_the_computed_hessian_is_not_symmetric_each_mode_matches_its_pytorch_twin():
    # d/da a**b is written 'b * slope_power(a, b - 1.0) if b else 0.0': at b = 0 it is the
    # constant 0, which no longer depends on b, while d/db a**b = out·log(a) depends on a.
    # PyTorch's pow has the same corner. Forward over reverse is then H·v, as
    # torch.func.jvp of the gradient; reverse over reverse vᵀ·H, as torch's vhp.
    torch = require_module('torch')
    a, b = Value(1.0), Value(0.0)
    point = torch.tensor([1.0, 0.0], dtype=torch.float64)

    def gradient(t):
        return torch.func.grad(lambda u: u[0] ** u[1])(t)

    for vector in ([1.0, 0.0], [0.0, 1.0], [0.5, -2.0]):
        v = torch.tensor(vector, dtype=torch.float64)
        (_, jvp_of_gradient) = torch.func.jvp(gradient, (point,), (v,))
        (_, vhp) = torch.autograd.functional.vhp(lambda t: t[0] ** t[1], point, v)
        assert hvp(a ** b, [a, b], vector, mode='forward-over-reverse') == jvp_of_gradient.tolist()
        assert hvp(a ** b, [a, b], vector) == vhp.tolist()
    assert hvp(a ** b, [a, b], [1.0, 0.0], mode='forward-over-reverse') == [0.0, 1.0]
    assert hvp(a ** b, [a, b], [1.0, 0.0]) == [0.0, 0.0]


def test_an_input_listed_twice_moves_at_the_sum_of_its_numbers_in_both_hvps():
    x = Value(1.5, 'x')
    y = x ** 3
    assert hvp(y, [x, x], [1.0, 2.0]) == [27.0, 27.0]
    assert hvp(y, [x, x], [1.0, 2.0], mode='forward-over-reverse') == [27.0, 27.0]


def test_seeds_on_an_input_and_a_value_computed_from_it_pair_with_reverse_mode():
    # grad(y, [h, x]) gives d y / d h and the total d y / d x (also through h); a tangent
    # injected at h adds to what x sends it, so the pass gives the same sum as reverse mode
    x = Value(0.7, 'x')
    h = x.tanh()
    y = (h * h * x).sin()
    dh, dx = grad(y, [h, x])
    assert math.isclose(forward_tangents(y, {h: 1.0, x: 0.5})[y], dh.data + 0.5 * dx.data, rel_tol=1e-12)
    # Second order, those derivatives make a matrix that is not symmetric: forward over
    # reverse would give M·v where reverse over reverse gives Mᵀ·v. Refused, with the reason.
    with pytest.raises(ValueError, match=r"inputs\[0\] is computed from inputs\[1\]"):
        hvp(y, [h, x], [1.0, 0.5], mode='forward-over-reverse')
    # an intermediate value that does not depend on another input is fine
    z = Value(-0.3, 'z')
    out = (h * z).exp() * h
    reverse = hvp(out, [h, z], [1.0, 0.5])
    forward = hvp(out, [h, z], [1.0, 0.5], mode='forward-over-reverse')
    for a, b in zip(forward, reverse):
        assert math.isclose(a, b, rel_tol=1e-12), (forward, reverse)


def test_operation_counts_forward_grows_with_inputs_reverse_does_not():
    loss, parameters = _moons_loss(points=4)
    edges = sum(len(node.parents) for node in forward_order([loss]))
    counts = {}
    sizes = (1, 10, 100, 337)
    for n in sizes:
        matrix_forward, costs_forward = jacobian_of([loss], parameters[:n], mode='forward')
        matrix_reverse, costs_reverse = jacobian_of([loss], parameters[:n], mode='reverse')
        counts['forward', n], counts['reverse', n] = sum(costs_forward), sum(costs_reverse)
        assert len(costs_forward) == n and len(costs_reverse) == 1
        for a, b in zip(matrix_forward[0], matrix_reverse[0]):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
        assert counts['reverse', n] == edges
    # each forward pass covers the part of the graph its parameter reaches: more than
    # the output's own edge, at most the whole graph; the passes add up
    assert counts['forward', 1] < edges
    for smaller, larger in zip(sizes, sizes[1:]):
        assert counts['forward', smaller] + (larger - smaller) < counts['forward', larger]
        assert counts['forward', larger] <= larger * edges
    assert counts['forward', 337] > 10 * counts['reverse', 337]
    # and the other shape: one input, a shared trunk of 10 operations, 50 outputs
    x = Value(0.3)
    trunk = x
    for _ in range(10):
        trunk = trunk.sin()
    outputs = [trunk * k for k in range(1, 51)]
    assert sum(jacobian_of(outputs, [x], mode='forward')[1]) == 10 + 50  # the constants k carry no tangent
    assert sum(jacobian_of(outputs, [x], mode='reverse')[1]) == 50 * (10 + 2)
    assert sum(jacobian_of(outputs, [x], mode='auto')[1]) == 10 + 50  # the constants k carry no tangent


def test_nan_and_inf_flow_through_as_in_pytorch():
    torch = require_module('torch')

    def f(x, y):
        return [(x * y).sqrt(), x * math.inf, (x * y + 1.0).log()]

    def g(x, y):
        return (torch.sqrt(x * y), x * math.inf, torch.log(x * y + 1.0))

    point = (0.0, 1.0)
    mine = jvp(f, point, [0.0, 1.0])
    theirs = torch.func.jvp(g, tuple(torch.tensor(p, dtype=torch.float64) for p in point),
                            tuple(torch.tensor(t, dtype=torch.float64) for t in (0.0, 1.0)))
    assert math.isnan(mine[1][0]) and math.isnan(mine[1][1])  # 0 × inf, like PyTorch
    for a, b in zip(mine[1], theirs[1]):
        assert _close(a, b.item()), (mine, theirs)
    # a constant has no tangent: nan in the data does not leak into the slope of x * 2
    value, slope = jvp(lambda x: x * 2, [math.nan], [1.0])
    assert math.isnan(value) and slope == 2.0
    x = Value(math.nan)
    assert grad(x * 2, [x])[0].data == 2.0  # as reverse mode says


def test_a_million_node_chain_needs_no_recursion():
    x = Value(1.0)
    y = x
    collecting = gc.isenabled()
    gc.disable()  # building it is the test's cost, not forward mode's: spare it the collections
    try:
        for _ in range(1_000_000):
            y = y * 1.0
    finally:
        if collecting:
            gc.enable()
    assert forward_tangents(y, {x: 3.0})[y] == 3.0


def test_seeding_an_intermediate_value_is_the_gradient_through_it():
    x = Value(0.5, 'x')
    h = x.tanh()
    y = h * h + x
    (reverse,) = grad(y, [h])
    assert forward_tangents(y, {h: 1.0})[y] == reverse.data == 2 * h.data


def test_threads_pushing_tangents_through_one_graph_agree():
    loss, parameters = _moons_loss(points=3)
    expected = [g.data for g in grad(loss, parameters[:20])]
    results = {}

    def work(index):
        results[index] = [forward_tangents(loss, {p: 1.0})[loss] for p in parameters[:20]]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        for a, b in zip(results[index], expected):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize('call, error, message', [
    (lambda: jvp(lambda x: x, [1.0, 2.0], [1.0]), ValueError, '2 primals, 1 tangents'),
    (lambda: jvp(lambda x: x, ['1'], [1.0]), TypeError, 'primals[0] must be a real number, not str'),
    (lambda: jvp(lambda x: x, [1.0], [None]), TypeError, 'tangents[0] must be a real number'),
    (lambda: jvp(lambda x: x, [True], [1.0]), TypeError, 'primals[0] must be a real number, not bool'),
    (lambda: jvp(lambda x: x, 1.0, [1.0]), TypeError, 'primals must be a list of numbers, not float'),
    (lambda: jvp(lambda x: 3.0, [1.0], [1.0]), TypeError, 'what f returned must be a Value'),
    (lambda: jvp(lambda x: [x, 2], [1.0], [1.0]), TypeError, 'what f returned[1] is int'),
    (lambda: jvp(lambda x: [], [1.0], [1.0]), ValueError, 'what f returned is an empty list'),
    (lambda: jvp('f', [1.0], [1.0]), TypeError, 'needs a function of Values as f, not str'),
    (lambda: jvp(lambda: Value(1.0), [], []), ValueError, 'at least one input'),
    (lambda: jacobian(lambda x: x, [1.0], mode='sideways'), ValueError, "'reverse', 'forward', 'auto'"),
    (lambda: jacobian(lambda x: x, 'ab'), TypeError, 'inputs must be a list of numbers, not str'),
    (lambda: hvp(Value(1.0) * 2, [Value(1.0)], [1.0], mode='forward'), ValueError,
     "'reverse-over-reverse', 'forward-over-reverse'"),
    (lambda: forward_tangents(Value(1.0) * 2, {Value(3.0): 1.0}), ValueError, 'is not a Value of the graph'),
    (lambda: forward_tangents(Value(1.0) * 2, [1.0]), TypeError, 'seeds must be a mapping from Value'),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)


def test_under_no_grad_jvp_says_it_needs_the_graph():
    with no_grad(), pytest.raises(RuntimeError, match='inside no_grad'):
        jvp(lambda x: x * x, [1.0], [1.0])


def test_an_output_that_is_an_input_or_a_constant():
    assert jvp(lambda x, y: [x, Value(5.0)], [1.0, 2.0], [3.0, 4.0]) == ([1.0, 5.0], [3.0, 0.0])
    assert jacobian(lambda x, y: [y, x * 0.0], [1.0, 2.0], mode='forward') == [[0.0, 1.0], [0.0, 0.0]]
    assert jacobian(lambda x, y: [y, x * 0.0], [1.0, 2.0], mode='reverse') == [[0.0, 1.0], [0.0, 0.0]]
