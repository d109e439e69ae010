"""The Jacobian, d output_i / d input_j, by either mode: a row per backward pass or a column per tangent pass.

It sits above both modes (it is what the choice between them is about), which is why it has
a module of its own: forward mode and reverse mode never import each other's Jacobian.

>>> from microgradnode import Value
>>> jacobian(lambda x, y: [x * y, x + y], [2.0, 3.0], mode='reverse')
[[3.0, 2.0], [1.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..engine import Value, _backward_order
from .forward import _call, _push, forward_order
from .reverse import grad

__all__ = ['jacobian', 'jacobian_of', 'JACOBIAN_MODES']

JACOBIAN_MODES = ('reverse', 'forward', 'auto')


def jacobian(f: Callable[..., Value | Sequence[Value]], inputs: Sequence[float], *,
             mode: str = 'reverse') -> list[list[float]]:
    """The matrix d output_i / d input_j of ``f`` at ``inputs``, as lists of floats (outputs × inputs).

    ``mode`` says how it is computed, as ``jax.jacrev`` / ``jax.jacfwd`` do:

    - ``'reverse'``: one backward pass per output, each giving a row;
    - ``'forward'``: one tangent pass per input, each giving a column;
    - ``'auto'``: forward when there are fewer inputs than outputs, else reverse.

    Both give the same numbers (up to the order of additions).

    >>> jacobian(lambda x, y: [x * y, x + y], [2.0, 3.0], mode='forward')
    [[3.0, 2.0], [1.0, 1.0]]
    """
    if mode not in JACOBIAN_MODES:
        raise ValueError(f"jacobian() mode must be one of {', '.join(map(repr, JACOBIAN_MODES))}, "
                         f'not {mode!r}'[:200])
    leaves, outputs, _ = _call(f, inputs, 'jacobian')
    return jacobian_of(outputs, leaves, mode=mode)[0]


def jacobian_of(outputs: Sequence[Value], inputs: Sequence[Value], *,
                mode: str = 'reverse') -> tuple[list[list[float]], list[int]]:
    """The Jacobian of graphs already built, and the multiply-adds each pass took (for cost tables).

    A forward pass does one multiply-add per edge its input reaches, once per input; a
    backward pass one per edge of its output's graph (what ``backward()`` does), once
    per output. ``'auto'`` picks forward when there are fewer inputs than outputs.

    >>> x = Value(2.0); y = Value(3.0)
    >>> jacobian_of([x * y, x + 1], [x, y], mode='forward')
    ([[3.0, 2.0], [1.0, 0.0]], [2, 1])
    >>> jacobian_of([x * y, x + 1], [x, y], mode='reverse')
    ([[3.0, 2.0], [1.0, 0.0]], [2, 2])
    """
    if mode == 'auto':
        mode = 'forward' if len(inputs) < len(outputs) else 'reverse'
    costs = []
    if mode == 'forward':
        order = forward_order(outputs)
        columns = []
        for value in inputs:
            pushed, count = _push(order, {value: 1.0})
            columns.append([pushed.get(output, 0.0) for output in outputs])
            costs.append(count)
        return [list(row) for row in zip(*columns)], costs
    rows = []
    for output in outputs:
        rows.append([gradient.data for gradient in grad(output, list(inputs))])
        costs.append(sum(1 if node._b is None else 2 for node in _backward_order(output) if node._a))
    return rows, costs
