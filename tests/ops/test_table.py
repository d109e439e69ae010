"""The operation table on its own: every row's formulas parse, and every local derivative is
the slope of its forward formula (central differences), before any engine runs them."""

from __future__ import annotations

import math
import random

import pytest

from microgradnode.ops import OPS
from microgradnode.ops.syntax import evaluate, parse

# Points inside each operation's smooth domain: away from kinks (relu, abs at 0) and poles.
DOMAINS = {'log': (0.2, 3.0), 'sqrt': (0.2, 3.0), 'powv': (0.2, 3.0), 'pow': (0.2, 3.0)}


def _forward(op, a, b, k):
    env = {'a': a, 'b': b, 'k': k}
    return evaluate(parse(op.forward), env)


@pytest.mark.parametrize('name', sorted(OPS))
def test_every_local_derivative_is_the_slope_of_its_forward_formula(name):
    op = OPS[name]
    rng = random.Random(name)
    low, high = DOMAINS.get(name, (-2.0, 2.0))
    for _ in range(5):
        a = rng.uniform(low, high)
        if name in ('relu', 'abs') and abs(a) < 0.1:
            a += 0.5
        b = rng.uniform(0.5, 2.0)
        k = rng.choice([2.0, 3.0, -1.5]) if op.constant else 0.0
        out = _forward(op, a, b, k)
        env = {'a': a, 'b': b, 'k': k, 'out': out}
        h = 1e-6
        for position, local in enumerate(op.local):
            slope = evaluate(parse(local), env)
            if position == 0:
                numeric = (_forward(op, a + h, b, k) - _forward(op, a - h, b, k)) / (2 * h)
            else:
                numeric = (_forward(op, a, b + h, k) - _forward(op, a, b - h, k)) / (2 * h)
            assert math.isclose(slope, numeric, rel_tol=1e-6, abs_tol=1e-7), (name, position, a, b, k)


@pytest.mark.parametrize('name', sorted(OPS))
def test_every_row_is_complete(name):
    op = OPS[name]
    assert op.name == name and op.symbol
    assert op.arity in (1, 2)
    parse(op.forward)
    for local in op.local:
        parse(local)


def test_a_wrong_derivative_would_be_caught():
    # the check above can fail: the slope of sin is not sin
    env = {'a': 0.3}
    assert not math.isclose(evaluate(parse('sin(a)'), env), math.cos(0.3), rel_tol=1e-6)
