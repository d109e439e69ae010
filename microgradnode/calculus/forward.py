"""Forward mode: pushing a tangent from the inputs to the outputs (``jvp``, ``jacobian``).

Reverse mode (``backward()``) starts at one output and sends d output / d value back to
every value: one pass gives the derivative of *one output* with respect to *every
input*. Forward mode goes the other way. Give every input a tangent (a direction: how
fast it moves), and each value's tangent follows from its parents' tangents as it is
computed::

    tangent(node) = Σ over parents  d node / d parent × tangent(parent)

One pass gives the derivative of *every output* along *one input direction*. The
numbers d node / d parent are the local derivatives the engine recorded on each node
(``node.local_grads``), read from the operation table as for backward: forward mode
multiplies the same numbers along the same edges, in the other direction.

>>> from microgradnode import Value
>>> x = Value(3.0, 'x'); y = Value(2.0, 'y')
>>> f = x * x * y
>>> forward_tangents([f], {x: 1.0})[f]       # d f / d x = 2·x·y
12.0
>>> jvp(lambda x, y: x * x * y, [3.0, 2.0], [0.0, 1.0])   # f and d f / d y = x²
(18.0, 9.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence

from ..engine import Value, float_of, is_grad_enabled

__all__ = ['jvp', 'forward_tangents', 'forward_order', 'hvp_forward_over_reverse']


# -- the forward pass of tangents ----------------------------------------------------------

def forward_order(outputs: Sequence[Value]) -> list[Value]:
    """Every value the outputs depend on, each once, parents before children.

    One iterative depth-first walk over all the outputs together, so that values they
    share are visited once (a million-node chain needs no recursion).

    >>> x = Value(1.0, 'x'); y = x * x; z = x.exp()
    >>> [v.label or v.op for v in forward_order([y, z])]
    ['x', 'mul', 'exp']
    """
    order: list[Value] = []
    done: set[Value] = set()
    entered: set[Value] = set()
    for output in outputs:
        # A node stays on the stack while its parents are worked through above it; seen
        # again on top, it is finished. No tuple per node: with a large graph alive, every
        # garbage collection those would trigger walks all of it (4x slower on 10^6 nodes).
        stack = [output]
        while stack:
            node = stack[-1]
            if node in done:
                stack.pop()
            elif node in entered:
                stack.pop()
                done.add(node)
                order.append(node)
            else:
                entered.add(node)
                b = node._b
                if b is not None and b not in done:
                    stack.append(b)
                a = node._a
                if a is not None and a not in done:
                    stack.append(a)
    return order


def _push(order: list[Value], seeds: Mapping[Value, float]) -> tuple[dict[Value, float], int]:
    """The tangent of each value the seeds reach, and how many multiply-adds that took.

    Only the seeded values and what is computed from them carry a tangent, as in
    PyTorch's forward mode: a constant or an input that is not seeded has none (rather
    than a tangent 0), so ``x * 2`` at x = nan has the slope 2, and a pass costs one
    multiply-add per edge out of the seeds' part of the graph, not of the whole graph.
    A tangent that happens to be 0 is multiplied like any other (0 × inf is nan, as in
    PyTorch). A seed on a computed value is added to what its parents send it: the
    tangent injected there pairs with the gradient reverse mode reads there, so the
    output's tangent is Σ seed × d output / d seeded value, as ``grad`` gives them.
    """
    tangents: dict[Value, float] = {}
    multiply_adds = 0
    for node in order:
        a = node._a
        if a is None:
            if node in seeds:
                tangents[node] = seeds[node]
            continue
        from_a = tangents.get(a)
        b = node._b
        from_b = None if b is None else tangents.get(b)
        if from_b is None:
            if from_a is not None:
                tangents[node] = node._da * from_a
                multiply_adds += 1
        elif from_a is None:
            tangents[node] = node._db * from_b
            multiply_adds += 1
        else:
            tangents[node] = node._da * from_a + node._db * from_b
            multiply_adds += 2
        if node in seeds:
            tangents[node] = tangents.get(node, 0.0) + seeds[node]
    return tangents, multiply_adds


def forward_tangents(outputs: Value | Sequence[Value], seeds: Mapping[Value, float], *,
                     what: str = 'forward_tangents() seeds') -> dict[Value, float]:
    """The tangent of every value ``outputs`` depend on, given the tangents ``seeds`` of some.

    ``seeds`` maps Values of the graph (usually inputs) to their tangents; every other
    leaf stays still. The result maps each value to d value / d t when each seeded value
    moves at its seed's speed (with ``{x: 1.0}``, d value / d x); a value the seeds do
    not reach gets 0. ``what`` names the argument in error messages.

    >>> x = Value(2.0, 'x'); y = x.sin() * x
    >>> round(forward_tangents(y, {x: 1.0})[y], 6)   # sin x + x cos x
    0.077004
    """
    outputs = _check_values(outputs, 'forward_tangents', 'outputs')
    if not isinstance(seeds, Mapping):
        raise TypeError(f'{what} must be a mapping from Value to number, such as {{x: 1.0}}, '
                        f'not {type(seeds).__name__}')
    order = forward_order(outputs)
    members = set(order)
    checked = {}
    for value, tangent in seeds.items():
        if not isinstance(value, Value) or value not in members:
            raise ValueError(f'{what}: {value!r} is not a Value of the graph'[:200])
        checked[value] = _real(tangent, f'{what}: the tangent of {value!r}')
    pushed = _push(order, checked)[0]
    return {node: pushed.get(node, 0.0) for node in order}


# -- checking arguments ------------------------------------------------------------------------

def _real(number: object, what: str) -> float:
    if isinstance(number, bool) or not isinstance(number, numbers.Real):
        raise TypeError(f'{what} must be a real number, not {type(number).__name__}: {number!r}'[:200])
    return float_of(number, what)


def _numbers(values: object, what: str) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f'{what} must be a list of numbers, not {type(values).__name__}')
    return [_real(number, f'{what}[{position}]') for position, number in enumerate(values)]


def _check_values(outputs: object, function: str, what: str) -> list[Value]:
    if isinstance(outputs, Value):
        return [outputs]
    if isinstance(outputs, (list, tuple)):
        if not outputs:
            raise ValueError(f'{function}(): {what} is an empty list')
        for position, value in enumerate(outputs):
            if not isinstance(value, Value):
                raise TypeError(f'{function}(): {what}[{position}] is {type(value).__name__}, '
                                f'not a Value: {value!r}'[:200])
        return list(outputs)
    raise TypeError(f'{function}(): {what} must be a Value or a list of Values, '
                    f'not {type(outputs).__name__}')


def _call(f: object, primals: object, function: str) -> tuple[list[Value], list[Value], bool]:
    """Run ``f`` on fresh leaves holding ``primals``: (inputs, outputs, f returned one Value)."""
    if not callable(f):
        raise TypeError(f'{function}() needs a function of Values as f, not {type(f).__name__}')
    points = _numbers(primals, 'primals' if function == 'jvp' else 'inputs')
    if not points:
        raise ValueError(f'{function}() needs at least one input')
    if not is_grad_enabled():
        raise RuntimeError(f'{function}() needs the graph that operations record, '
                           'and none is recorded inside no_grad()')
    inputs = [Value(point) for point in points]
    result = f(*inputs)
    outputs = _check_values(result, function, 'what f returned')
    return inputs, outputs, isinstance(result, Value)


# -- the functions -----------------------------------------------------------------------------

def jvp(f: Callable[..., Value | Sequence[Value]], primals: Sequence[float],
        tangents: Sequence[float]) -> tuple[float | list[float], float | list[float]]:
    """``f(*primals)`` and its derivative along ``tangents``: one forward pass, as ``torch.func.jvp``.

    ``f`` takes one Value per primal and returns a Value or a list of Values. Returns
    ``(outputs, tangent_outputs)`` as floats (lists of floats when ``f`` returns a list):
    the Jacobian of ``f`` times the vector ``tangents``, without forming the Jacobian.

    >>> jvp(lambda x: [x * x, x.sin()], [0.0], [1.0])
    ([0.0, 0.0], [0.0, 1.0])
    """
    directions = _numbers(tangents, 'tangents')
    points = _numbers(primals, 'primals')
    if len(directions) != len(points):
        raise ValueError(f'jvp() needs one tangent per primal: {len(points)} primals, '
                         f'{len(directions)} tangents')
    inputs, outputs, single = _call(f, points, 'jvp')
    pushed, _ = _push(forward_order(outputs), dict(zip(inputs, directions)))
    values = [output.data for output in outputs]
    slopes = [pushed.get(output, 0.0) for output in outputs]
    return (values[0], slopes[0]) if single else (values, slopes)


def hvp_forward_over_reverse(gradients: Sequence[Value], inputs: Sequence[Value],
                             vector: Sequence[float]) -> list[float]:
    """The derivative of the gradient graph ``gradients`` along ``vector``: a Hessian-vector product.

    ``gradients`` is ``grad(output, inputs, create_graph=True)``; one forward pass of
    tangents through it, each input moving at its number of ``vector``, gives H · vector.
    Called by ``hvp(..., mode='forward-over-reverse')``, which checks the arguments.

    >>> from microgradnode import grad
    >>> x = Value(1.0, 'x'); y = Value(2.0, 'y')
    >>> hvp_forward_over_reverse(grad(x * x * y, [x, y], create_graph=True), [x, y], [1.0, 0.0])
    [4.0, 2.0]
    """
    _check_independent(inputs)
    seeds: dict[Value, float] = {}
    for value, number in zip(inputs, vector):
        # An input listed twice moves at the sum of its numbers, as in the dot product.
        seeds[value] = seeds.get(value, 0.0) + float(number)
    pushed, _ = _push(forward_order(gradients), seeds)
    return [pushed.get(gradient, 0.0) for gradient in gradients]


def _check_independent(inputs: Sequence[Value]) -> None:
    """Refuse inputs computed from other inputs, naming the first such pair.

    The derivatives of ``grad`` with respect to such inputs (d / d h, and d / d x through
    h too) form a matrix that is not symmetric: forward over reverse would give M·v where
    reverse over reverse gives Mᵀ·v, and neither is the Hessian of a function of the inputs.
    """
    position: dict[Value, int] = {}
    for index, value in enumerate(inputs):
        position.setdefault(value, index)
    source: dict[Value, int] = {}  # value -> an input it is computed from
    for node in forward_order(list(position)):
        for parent in (node._a, node._b):
            if parent is None:
                continue
            origin = position.get(parent, source.get(parent))
            if origin is not None:
                source[node] = origin
                if node in position:
                    raise ValueError(
                        f"hvp(mode='forward-over-reverse'): inputs[{position[node]}] is computed from "
                        f'inputs[{origin}]; with respect to values that depend on one another the second '
                        'derivatives are not symmetric and the two modes differ (reverse-over-reverse '
                        'gives grad of grad)')
                break
