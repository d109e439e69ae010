"""micrograd compatibility: the same code on micrograd's Value and on ours gives the same numbers.

micrograd (0.1.0, from PyPI) is the reference engine this project grew from. Random
programs over its operator set run on both engines; data and gradients agree to
rounding (micrograd divides as a * b**-1 and subtracts as a + (-b), so the last bits
may differ).
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnode import Value

from ..conftest import require_module

# micrograd's operator set: + - * / ** (number exponent), unary -, relu, and numbers on
# either side of the binary operators.
UNARY = {
    'neg': lambda x: -x,
    'relu': lambda x: x.relu(),
    'square': lambda x: x ** 2,
    'cube': lambda x: x ** 3,
    'radd': lambda x: 1.5 + x,
    'rsub': lambda x: 2.0 - x,
    'rmul': lambda x: -0.5 * x,
    'scale': lambda x: x * 0.75,
    'inverse': lambda x: 1.0 / (x * x + 1),
}
BINARY = {
    'add': lambda x, y: x + y,
    'sub': lambda x, y: x - y,
    'mul': lambda x, y: x * y,
    'div': lambda x, y: x / (y * y + 1),
}


@st.composite
def programs(draw):
    inputs = draw(st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=1, max_size=3))
    steps = []
    for i in range(draw(st.integers(1, 15))):
        available = len(inputs) + i
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, available - 1))))
        else:
            steps.append((draw(st.sampled_from(sorted(BINARY))), draw(st.integers(0, available - 1)),
                          draw(st.integers(0, available - 1))))
    return inputs, steps


def run(value_class, inputs, steps):
    leaves = [value_class(x) for x in inputs]
    nodes = list(leaves)
    for name, *args in steps:
        nodes.append((UNARY.get(name) or BINARY[name])(*(nodes[i] for i in args)))
    out = nodes[-1]
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


@settings(max_examples=150, deadline=None)
@given(programs())
def test_same_program_same_numbers_as_micrograd(program):
    engine = require_module('micrograd.engine')
    inputs, steps = program
    ours, our_grads = run(Value, inputs, steps)
    theirs, their_grads = run(engine.Value, inputs, steps)
    assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-12)
    for mine, reference in zip(our_grads, their_grads):
        assert math.isclose(mine, reference, rel_tol=1e-12, abs_tol=1e-12), (our_grads, their_grads)
