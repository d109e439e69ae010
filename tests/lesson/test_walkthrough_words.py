"""The walkthrough's sentences keep the parentheses a sum needs (issue 22.13)."""

from __future__ import annotations

import math

from hypothesis import given, settings

from microgradnode import Value, walkthrough

from ..engine.test_engine_random_graphs import programs, run
from ..formulas.test_printed_maths_evaluates import evaluate, words_to_python


def received(root: Value) -> list[str]:
    return [line for line in walkthrough(root).text().splitlines() if ' receives ' in line]


def test_upstream_times_a_sum_is_parenthesised():
    x = Value(0.5, 'x')
    f = x.tanh()
    f.label = 'f'
    assert received(f) == ['• x receives 1 × (1 - f·f) = 1 × 0.7864 = 0.7864, so x.grad = 0.7864']


def test_three_times_tanh():
    x = Value(0.5, 'x')
    y = 3 * x.tanh()
    y.label = 'y'
    assert '• x receives 3 × (1 - tanh(x)·tanh(x)) = 3 × 0.7864 = 2.359, so x.grad = 2.359' in received(y)


def test_a_product_needs_none():
    w, x = Value(2.0, 'w'), Value(3.0, 'x')
    y = (w * x).sigmoid()
    y.label = 'y'
    lines = received(y)
    assert any(line.startswith('• (w·x) receives 1 × y·(1 - y) = ') for line in lines), lines


@settings(max_examples=60, deadline=None)
@given(programs())
def test_every_received_product_in_words_is_the_number_beside_it(program):
    """Read back as arithmetic, 'upstream × local derivative' in words gives the numbers."""
    inputs, instructions = program
    leaves = [Value(x, f'x{i}') for i, x in enumerate(inputs)]
    walk = walkthrough(run(instructions, leaves))
    known = {leaf.label: leaf.data for leaf in leaves}
    for name, text in walk.names.definitions():
        known[name] = evaluate(words_to_python(text), known)
    for line in walk.text().splitlines():
        if ' receives ' not in line:
            continue
        parts = line.split(' receives ', 1)[1].split(', so ')[0].split(' = ')
        if len(parts) < 3:  # a plain number: nothing symbolic to check
            continue
        symbols, numbers = parts[0], parts[1]
        expected = evaluate(words_to_python(numbers.replace(' × ', '·')), {})
        if not math.isfinite(expected):
            continue
        printed = evaluate(words_to_python(symbols.replace(' × ', '·')), known)
        assert math.isclose(printed, expected, rel_tol=2e-3, abs_tol=1e-3), line


def test_a_constant_parent_is_said_to_get_no_gradient_where_its_bullet_is_missing():
    from microgradnode.twonode import build
    net = build()
    walk = walkthrough(net.loss, parameters=net.weights)
    step = next(frame for frame in walk.frames if frame.title.endswith('loss passes its gradient back'))
    assert step.lines[1] == ('It passes it to each parent, multiplied by the local derivative (0.5 is a '
                             'number written in the expression: no gradient for it):')
    assert [line for line in step.lines if line.startswith('•')] == [
        '• (out - target)^2 receives 1 × 0.5 = 0.5, so (out - target)^2.grad = 0.5']
