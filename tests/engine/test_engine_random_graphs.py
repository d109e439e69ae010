"""Random expression graphs: the engine against finite differences and PyTorch float64.

A graph is a little program: each instruction applies an operation to earlier nodes
(so nodes get reused), and the output sums the last few nodes. The same program runs
on Values and on PyTorch tensors.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnode import Value, gradcheck

from ..conftest import require_module

# Operations written so that every input stays in their smooth domain: finite
# differences need a differentiable point, and PyTorch must see the same maths.
UNARY = {
    'neg': lambda x: -x,
    'tanh': lambda x: x.tanh(),
    'sigmoid': lambda x: x.sigmoid(),
    'sin': lambda x: x.sin(),
    'cos': lambda x: x.cos(),
    'exp_tanh': lambda x: x.tanh().exp(),
    'log_pos': lambda x: (x * x + 1).log(),
    'sqrt_pos': lambda x: (x * x + 0.5).sqrt(),
    'square': lambda x: x ** 2,
    'cube': lambda x: x ** 3,
    'inverse': lambda x: (x * x + 1) ** -1,
    'scale': lambda x: 2.5 * x - 0.5,
    'two_pow': lambda x: 2 ** x.tanh(),
}
BINARY = {
    'add': lambda x, y: x + y,
    'sub': lambda x, y: x - y,
    'mul': lambda x, y: x * y,
    'div': lambda x, y: x / (y * y + 1),
    'rdiv': lambda x, y: 1 / (x * x + 1) - y,
    'powv': lambda x, y: (x * x + 1) ** y.tanh(),
}
# Kinks are fine against PyTorch (same conventions at 0), not against finite differences.
KINKED = {'relu': lambda x: x.relu(), 'abs': lambda x: abs(x)}


@st.composite
def programs(draw, unary=UNARY, binary=BINARY):
    n_inputs = draw(st.integers(1, 3))
    inputs = draw(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=n_inputs, max_size=n_inputs))
    instructions = []
    for i in range(draw(st.integers(1, 12))):
        available = n_inputs + i
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(unary)))
            instructions.append((name, draw(st.integers(0, available - 1))))
        else:
            name = draw(st.sampled_from(sorted(binary)))
            instructions.append((name, draw(st.integers(0, available - 1)),
                                 draw(st.integers(0, available - 1))))
    return inputs, instructions


def run(instructions, leaves, unary=UNARY, binary=BINARY):
    nodes = list(leaves)
    for name, *args in instructions:
        f = unary.get(name) or binary[name]
        nodes.append(f(*(nodes[i] for i in args)))
    out = nodes[-1]
    for extra in nodes[-3:-1]:
        out = out + extra
    return out


@settings(max_examples=150, deadline=None)
@given(programs())
def test_random_graphs_match_finite_differences(program):
    inputs, instructions = program
    report = gradcheck(lambda *xs: run(instructions, xs), inputs,
                       eps=1e-6, atol=1e-5, rtol=1e-4, raise_on_failure=False)
    assert report.ok, str(report)


@settings(max_examples=150, deadline=None)
@given(programs(unary={**UNARY, **KINKED}))
def test_random_graphs_match_pytorch_float64(program):
    torch = require_module('torch')
    unary = {**UNARY, **KINKED}
    inputs, instructions = program
    leaves = [Value(x) for x in inputs]
    out = run(instructions, leaves, unary)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    reference = run(instructions, tensors, unary)
    reference.backward()
    assert math.isclose(out.data, reference.item(), rel_tol=1e-12, abs_tol=1e-12)
    for leaf, tensor in zip(leaves, tensors):
        expected = 0.0 if tensor.grad is None else tensor.grad.item()
        assert math.isclose(leaf.grad, expected, rel_tol=1e-12, abs_tol=1e-12), (leaf.grad, expected)
