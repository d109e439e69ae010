"""The operation table's rows, evaluated on arrays: the one place tensors meet the table.

Every elementwise operation of a :class:`~microgradnode.tensor.Tensor` is a row of
:data:`microgradnode.ops.table.OPS`: its forward formula and its local derivatives,
the very strings the scalar engine compiles, are compiled here once more with the
table's helper functions replaced by their array counterparts (:data:`ARRAY_FUNCTIONS`)
and every ``x if test else y`` turned into an elementwise choice. No derivative is
written in this module: a local derivative on arrays is the row's formula, element by
element.

A helper of the table without an array counterpart here (a row added later) still
works: it runs element by element through the scalar helper, slowly but with the same
numbers.

>>> import numpy as np
>>> forward, local = ROWS['mul']
>>> a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
>>> forward(a, b, None, None)[0], local(a, b, None, None)
(array([3., 8.]), (array([3., 4.]), array([1., 2.])))
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops.syntax import function
from ..ops.table import FUNCTIONS, OPS

__all__ = ['ARRAY_FUNCTIONS', 'ROWS', 'row_functions']


def _sigmoid(x: Any) -> Any:
    # As the scalar helper: exp() only ever sees a non-positive number.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _power(a: Any, k: Any) -> Any:
    # Never raises: a negative base with a fractional exponent gives NaN, zero to a
    # negative power gives inf. The tensor operation then asks the scalar helper about the
    # first such element, so that the error (and its type) is the scalar engine's.
    return np.power(a, k)


def _softplus(x: Any) -> Any:
    return np.where(x > 0.0, x, 0.0) + np.log1p(np.exp(-np.abs(x)))


ARRAY_FUNCTIONS: dict[str, Any] = {
    'exp': np.exp, 'log': np.log, 'sqrt': np.sqrt, 'tanh': np.tanh, 'sin': np.sin, 'cos': np.cos,
    'fabs': np.fabs, 'sigmoid': _sigmoid, 'softplus': _softplus, 'power': _power,
    'slope_power': np.power, 'inf': np.inf, 'nan': np.nan,
    # An array cannot mark one element as a strong zero: on tensors it is an ordinary 0, so
    # an inf arriving at a dead ReLU gives nan there (Values and PyTorch give 0).
    'strong_zero': 0.0,
}
"""The table's helpers (:data:`~microgradnode.ops.table.FUNCTIONS`) on arrays, elementwise."""


def _helpers() -> dict[str, Any]:
    helpers: dict[str, Any] = {}
    for name, scalar in FUNCTIONS.items():
        if name in ARRAY_FUNCTIONS:
            helpers[name] = ARRAY_FUNCTIONS[name]
        elif callable(scalar):  # a helper added to the table later: element by element
            helpers[name] = np.vectorize(scalar, otypes=[np.float64])
        else:
            helpers[name] = scalar
    return helpers


def _all(*conditions: Any) -> Any:
    result = conditions[0]
    for condition in conditions[1:]:
        result = np.logical_and(result, condition)
    return result


def _any(*conditions: Any) -> Any:
    result = conditions[0]
    for condition in conditions[1:]:
        result = np.logical_or(result, condition)
    return result


def _choose(test: Any, body: Any, orelse: Any) -> Any:
    # np.where evaluates both branches; the branch not taken may divide by zero: its
    # warnings are silenced by the caller (np.errstate), its values are dropped here.
    if np.ndim(test) == 0:
        return body if test else orelse
    return np.where(test, body, orelse)


def _truth(x: Any) -> Any:
    if type(x) is float:  # the constant k of a row such as pow: one test, not an array
        return x != 0.0
    return np.not_equal(x, 0.0)


class _Elementwise(ast.NodeTransformer):
    """``x if t else y`` -> ``_choose(t, x, y)``; ``and``/``or``/``not``/chained ``<`` elementwise."""

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        test = node.test
        if not isinstance(test, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Call)):
            test = _call('_truth', [test])  # `if k`: a number's truth, element by element
        return _call('_choose', [test, node.body, node.orelse])

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        return _call('_all' if isinstance(node.op, ast.And) else '_any', list(node.values))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return _call('np_logical_not', [node.operand])
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        lefts = [node.left, *node.comparators[:-1]]
        pairs: list[ast.expr] = [ast.Compare(left, [op], [right])
                 for left, op, right in zip(lefts, node.ops, node.comparators)]
        return _call('_all', pairs)


def _call(name: str, args: list[ast.expr]) -> ast.Call:
    return ast.Call(ast.Name(name, ast.Load()), args, [])


_NAMESPACE = {**_helpers(), '_choose': _choose, '_all': _all, '_any': _any, '_truth': _truth,
              'np_logical_not': np.logical_not}


def row_functions(name: str) -> tuple[Callable[..., tuple], Callable[..., tuple]]:
    """(forward, local) of the table's row ``name`` on arrays: ``(a, b, k, out) -> tuple``.

    >>> forward, local = row_functions('relu')
    >>> local(np.array([-1.0, 2.0]), None, None, None)[0]
    array([0., 1.])
    """
    op = OPS[name]
    forward = function((op.forward,), _NAMESPACE, transform=_Elementwise())
    local = function(op.local, _NAMESPACE, transform=_Elementwise())
    return forward, local


ROWS: dict[str, tuple[Callable[..., tuple], Callable[..., tuple]]] = {
    name: row_functions(name) for name in OPS}
"""Every row of the operation table as ``(forward, local)`` functions on arrays."""
