"""The walkthrough's sentences keep the parentheses a sum needs (issue 22.13)."""

from __future__ import annotations

from microgradnode import Value, walkthrough


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
