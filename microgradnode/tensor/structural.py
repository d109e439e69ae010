"""The structural operations of tensors: each one's forward and vector-Jacobian product, written once.

An elementwise operation of a tensor is a row of the scalar operation table
(:mod:`microgradnode.tensor.arrays`). The operations here move, gather or add up
elements instead: their backward is not "upstream times a local derivative" but a
vector-Jacobian product (VJP), a function that maps the gradient of the output, shaped
like the output, to the gradient of each input, shaped like that input. None of them
ever builds a Jacobian matrix: the VJP of ``sum`` spreads, the VJP of ``reshape``
reshapes back, the VJP of ``matmul`` is two more matrix products.

Each row also says its rule for people (``rule``), the text diagrams put on an edge
and explanations print beside the scalar paths. The forward functions work on any
NumPy array, including arrays of :class:`~microgradnode.Value` objects (dtype object):
that is how :func:`microgradnode.tensor.expand` re-runs a tensor program on scalars,
with these very functions.

>>> import numpy as np
>>> op = STRUCTURAL['sum']
>>> x = np.arange(6.0).reshape(2, 3)
>>> out = op.forward(x, axis=1, keepdims=False)
>>> out, op.vjp(np.ones(2), (x,), out, {'axis': 1, 'keepdims': False})[0]
(array([ 3., 12.]), array([[1., 1., 1.],
       [1., 1., 1.]]))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ['Structural', 'STRUCTURAL', 'unbroadcast']


@dataclass(frozen=True)
class Structural:
    """One structural operation: forward on arrays, and its vector-Jacobian product.

    ``forward(*arrays, **params)`` computes the output; ``vjp(g, inputs, out, params)``
    returns one gradient per input, each shaped like that input, from ``g``, the
    gradient of the output. ``rule`` is the VJP as people write it; ``rules``, when
    the inputs differ, that of each input. In them ``{X}`` (or ``{A}``, ``{B}``) stands
    for the input, ``{Y}`` for the output: :func:`microgradnode.tensor.rules.edge_rule`
    puts the tensors' names there.
    """

    name: str
    symbol: str
    rule: str
    forward: Callable[..., Any]
    vjp: Callable[[Any, tuple, Any, dict], tuple]
    rules: tuple[str, ...] = ()

    def rule_for(self, parent: int) -> str:
        """The rule that gives the gradient of input number ``parent``."""
        return self.rules[parent] if self.rules else self.rule


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Broadcasting's backward: sum ``g`` over the axes broadcasting added or stretched.

    An input of shape (3,) added to a (2, 3) matrix was used by both rows: its gradient
    is the sum of both rows' gradients.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), (2, 1))
    array([[3.],
           [3.]])
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g


def _axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim if ndim else a for a in axes))


def _spread(g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    # The output lost the summed axes (unless keepdims): put them back as size 1, then
    # every element of the input receives the gradient of the sum it went into.
    if not keepdims:
        g = np.expand_dims(g, _axes(axis, len(shape)))
    return np.broadcast_to(g, shape)


def _sum_vjp(g: Any, inputs: tuple, out: Any, params: dict) -> tuple:
    (x,) = inputs
    return (_spread(g, x.shape, params['axis'], params['keepdims']),)


def _mean_forward(x: Any, *, axis: Any, keepdims: bool) -> Any:
    count = _count(x.shape, axis)
    return np.sum(x, axis=axis, keepdims=keepdims) / count


def _count(shape: tuple[int, ...], axis: Any) -> int:
    count = 1
    for a in _axes(axis, len(shape)):
        count *= shape[a]
    return count


def _mean_vjp(g: Any, inputs: tuple, out: Any, params: dict) -> tuple:
    (x,) = inputs
    return (_spread(g / _count(x.shape, params['axis']), x.shape, params['axis'], params['keepdims']),)


def _matmul_vjp(g: Any, inputs: tuple, out: Any, params: dict) -> tuple:
    a, b = inputs
    if a.ndim == 1 and b.ndim == 1:  # a dot product: g is one number
        return g * b, g * a
    # A vector takes part as a matrix with one row (left) or one column (right); its
    # gradient is computed in that form and flattened back.
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g[..., None, :] if a.ndim == 1 else g[..., None] if b.ndim == 1 else g
    ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape)
    gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape)
    return ga.reshape(a.shape), gb.reshape(b.shape)


def _getitem_vjp(g: Any, inputs: tuple, out: Any, params: dict) -> tuple:
    (x,) = inputs
    grad = np.zeros(x.shape)
    # add.at, not assignment: an index that picks the same element twice (a token that
    # occurs twice in a name) must add both gradients (scatter with accumulation).
    np.add.at(grad, params['index'], g)
    return (grad,)


def _concatenate_vjp(g: Any, inputs: tuple, out: Any, params: dict) -> tuple:
    axis = params['axis']
    edges = np.cumsum([x.shape[axis] for x in inputs])[:-1]
    return tuple(np.split(g, edges, axis=axis))


def _stack_vjp(g: Any, inputs: tuple, out: Any, params: dict) -> tuple:
    axis = params['axis']
    return tuple(np.take(g, i, axis=axis) for i in range(len(inputs)))


def _max_forward(x: Any, *, axis: Any, keepdims: bool) -> Any:
    if x.dtype == object:  # Values: pick the winning Value itself, so that its graph carries on
        return _pick_max(x, axis, keepdims)
    return np.max(x, axis=axis, keepdims=keepdims)


def _winner(data: Any, axis: Any) -> Any:
    # The first largest element along the axis, as PyTorch's max(dim) returns it: the
    # whole gradient goes to that element.
    if axis is None:
        return np.unravel_index(np.argmax(data), data.shape)
    return np.expand_dims(np.argmax(data, axis=axis), axis)


def _pick_max(x: Any, axis: Any, keepdims: bool) -> Any:
    data = np.vectorize(lambda v: v.data if hasattr(v, 'data') else float(v), otypes=[float])(x)
    where = _winner(data, axis)
    if axis is None:
        picked = x[where]
        return np.array(picked, dtype=object).reshape((1,) * x.ndim if keepdims else ())
    picked = np.take_along_axis(x, where, axis=axis)
    return picked if keepdims else np.squeeze(picked, axis=axis)


def _max_vjp(g: Any, inputs: tuple, out: Any, params: dict) -> tuple:
    (x,) = inputs
    axis, keepdims = params['axis'], params['keepdims']
    grad = np.zeros(x.shape)
    where = _winner(x, axis)
    if axis is None:
        grad[where] = np.reshape(g, ())
    else:
        np.put_along_axis(grad, where, g if keepdims else np.expand_dims(g, axis), axis=axis)
    return (grad,)


STRUCTURAL: dict[str, Structural] = {op.name: op for op in (
    Structural('sum', 'Σ', 'dL/d{X} = dL/d{Y} spread over the summed axes',
               lambda x, *, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), _sum_vjp),
    Structural('mean', 'mean', 'dL/d{X} = dL/d{Y} / n spread over the averaged axes',
               _mean_forward, _mean_vjp),
    Structural('reshape', 'reshape', 'dL/d{X} = dL/d{Y} reshaped back to {X}\'s shape',
               lambda x, *, shape: np.reshape(x, shape),
               lambda g, inputs, out, params: (np.reshape(g, inputs[0].shape),)),
    Structural('transpose', 'transpose', 'dL/d{X} = dL/d{Y} with the axes put back',
               lambda x, *, axes: np.transpose(x, axes),
               lambda g, inputs, out, params: (np.transpose(g, np.argsort(params['axes'])),)),
    Structural('broadcast_to', 'broadcast', 'dL/d{X} = dL/d{Y} summed over the broadcast axes',
               lambda x, *, shape: np.broadcast_to(x, shape),
               lambda g, inputs, out, params: (unbroadcast(g, inputs[0].shape),)),
    Structural('matmul', '@', 'dL/d{A} = dL/d{Y} · {B}ᵀ,  dL/d{B} = {A}ᵀ · dL/d{Y}',
               lambda a, b: np.matmul(a, b), _matmul_vjp,
               rules=('dL/d{A} = dL/d{Y} · {B}ᵀ', 'dL/d{B} = {A}ᵀ · dL/d{Y}')),
    Structural('getitem', '[ ]', 'dL/d{X} = zeros with dL/d{Y} added at the picked places (scatter-add)',
               lambda x, *, index: x[index], _getitem_vjp),
    Structural('concatenate', 'concat', 'dL/d{X} = the slice of dL/d{Y} where {X} went',
               lambda *xs, axis: np.concatenate(xs, axis=axis), _concatenate_vjp),
    Structural('stack', 'stack', 'dL/d{X} = the slice of dL/d{Y} along the new axis where {X} went',
               lambda *xs, axis: np.stack(xs, axis=axis), _stack_vjp),
    Structural('max', 'max', 'dL/d{X} = dL/d{Y} at the first largest element, 0 elsewhere',
               _max_forward, _max_vjp),
)}
"""Structural operations by name: forward, vector-Jacobian product and its rule for people."""
