"""Gradients as values you can keep, draw and differentiate again: ``grad``, ``hessian``, ``hvp``.

``backward()`` writes numbers into ``.grad``. :func:`grad` returns the gradients
instead, and with ``create_graph=True`` it returns them as *graphs*: the backward pass
is run with Values instead of floats, so every product ``upstream × local`` it does is
recorded like any other operation. Each local derivative is built from its row of the
operation table (:mod:`microgradnode.ops`): the row's formula, evaluated with ``a``,
``b`` and ``out`` bound to the node's Values and ``exp``, ``sigmoid``... bound to the
Value operations, *is* the derivative as a graph. No second derivative is written
anywhere; differentiating that graph again uses the same table.

>>> from microgradnode import Value, grad
>>> x = Value(2.0, 'x')
>>> y = x ** 3
>>> (dy,) = grad(y, [x], create_graph=True)     # 3·x² = 12, as a graph over x
>>> (d2y,) = grad(dy, [x], create_graph=True)   # 6·x = 12
>>> (d3y,) = grad(d2y, [x])                     # 6
>>> dy.data, d2y.data, d3y.data, x.grad
(12.0, 12.0, 6.0, 0.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

from .._support.flags import check_flag
from ..engine import Value, _backward_order, collector_paused, float_of
from ..ops import FUNCTIONS, OPS, StrongZero, slope_power
from ..ops.syntax import ROW_CALLS, evaluate, function, parse
from ..ops.user import on_change, user_helpers

__all__ = ['grad', 'hessian', 'hvp', 'HVP_MODES', 'GradientValue', 'FixedWhenBuilt']

HVP_MODES = ('reverse-over-reverse', 'forward-over-reverse')


# -- the table's formulas, evaluated on Values -------------------------------------------------

def _number(operand: Value | float) -> float:
    return operand.data if isinstance(operand, Value) else operand


def _on_values(name: str, method):
    """The helper ``name`` as a Value operation; on a plain number, the table's float helper
    (for a row called like a helper, its formula)."""
    on_floats = FUNCTIONS.get(name) or (lambda x: evaluate(parse(OPS[name].forward), {'a': x}))

    def helper(x, *rest):
        return method(x, *rest) if isinstance(x, Value) else on_floats(x, *rest)
    helper.__name__ = name
    return helper


class FixedWhenBuilt(Value):
    """A number of a gradient graph that a condition on the data chose when ``grad`` ran.

    The table's derivatives of ``relu`` and ``abs`` are operations (``step``, ``sign``),
    so gradient graphs record their conditions and stay right at other inputs. A few
    formulas still branch on numbers: the slope of ``sqrt`` at 0 (inf), of ``x ** k`` at
    0 with ``k < 1``, of ``x ** y`` where ``y`` is 0 or ``x`` is not positive. The number
    taken there is this kind of leaf, so that :func:`microgradnode.compile` can refuse a
    gradient graph that would keep that branch at other inputs. Its ``data`` is kept as
    the table's formula gave it (a strong zero stays strong).
    """

    __slots__ = ()


def _fixed(number: float) -> FixedWhenBuilt:
    leaf = FixedWhenBuilt(0.0)
    leaf.data = number  # as is: Value() would turn the table's strong_zero into a plain 0.0
    return leaf


def _taken(result: Value | float) -> Value | float:
    """The branch a data-dependent condition took: a number becomes a :class:`FixedWhenBuilt` leaf.

    A branch that is itself a graph (``0.5 / out`` away from 0) needs no mark: at inputs
    where the other branch holds, compiled code computes it and fails with the engine's
    error (a division by zero) rather than giving a wrong number.
    """
    return result if isinstance(result, Value) else _fixed(result)


def _slope_power(a: Value | float, k: Value | float) -> Value | float:
    """``a ** k`` as a graph, where the engine's power is defined; else IEEE's number.

    At 0 with a negative exponent (the slope of ``sqrt`` at 0) the table's float helper
    gives inf, as PyTorch does, where ``a ** k`` on Values raises: that slope is then a
    constant, with no graph behind it (its own derivative is not a number anyway).
    """
    if not isinstance(a, Value):
        return slope_power(a, _number(k))
    if type(k) is float and k in (0.0, 1.0):
        return a if k else 1.0  # a ** 1.0 is a and a ** 0.0 is 1.0, exactly: no node needed
    try:
        return a ** k
    except (ArithmeticError, ValueError):
        return _fixed(slope_power(a.data, _number(k)))


_SPECIAL = {'fabs': Value.abs, 'power': Value.__pow__, 'slope_power': None}
_HELPERS: dict[str, object] = {'_number': _number, '_taken': _taken, '__builtins__': {}}


def _without_graph(name: str):
    """A helper given to define_operation with no row of its own: numbers only."""
    on_floats = FUNCTIONS[name]

    def helper(*args):
        if any(isinstance(arg, Value) for arg in args):
            raise NotImplementedError(
                f'grad(create_graph=True) needs the helper {name!r} of a derivative formula as a graph, '
                f'but {name!r} is a plain function given to define_operation, with no derivative of its '
                f'own; define it as an operation too (define_operation({name!r}, ...)) to differentiate '
                f'through it')
        return on_floats(*args)
    helper.__name__ = name
    return helper


def _value_form(name: str, helper: object) -> object:
    """The table's helper ``name`` as the gradient graph evaluates it (on Values and numbers)."""
    if not callable(helper):
        return helper  # inf, nan, a user's constant
    if name == 'slope_power':
        return _slope_power
    if name in _SPECIAL or name in OPS:
        return _on_values(name, _SPECIAL.get(name) or getattr(Value, name))
    if name in user_helpers():
        return _without_graph(name)
    # a new helper in the table needs its Value form here, or second derivatives would be wrong
    raise ImportError(f'autodiff does not know how to run the ops table helper {name!r} on Values')


def _sync_helpers() -> None:
    for name in [name for name in _HELPERS if not name.startswith('_') and name not in FUNCTIONS]:
        del _HELPERS[name]
    for name, helper in FUNCTIONS.items():
        _HELPERS[name] = _value_form(name, helper)
    for name in ROW_CALLS:  # step(a) in relu's slope: recorded as the operation step
        _HELPERS[name] = _on_values(name, getattr(Value, name))


_sync_helpers()


class _LocalValues(dict):
    """op name -> a function (a, b, k, out) -> d out / d each parent, built as Values from
    the node's row of the table; compiled on first use, once per operation, so that
    ``import microgradnode`` pays nothing for it."""

    stale = False  # the table changed (define_operation): helpers to read again first

    def __missing__(self, name: str):
        if self.stale:
            _sync_helpers()
            self.stale = False
        local = self[name] = function(OPS[name].local, _HELPERS, tests_on_numbers=True)
        return local


_LOCAL_VALUES = _LocalValues()


@on_change
def _forget() -> None:
    _LOCAL_VALUES.clear()
    _LOCAL_VALUES.stale = True


class GradientValue(Value):
    """A Value made by the backward pass of ``grad(..., create_graph=True)``.

    It is an ordinary Value (it computes, differentiates and pickles like one); its type
    only says where it comes from, so that a diagram can tell the backward pass from the
    forward values it reads. ``grad`` labels those that are a derivative with what they
    are: ``dloss/ds2`` (the whole gradient of a value), ``dloss/dout·∂out/∂s2`` (what one
    use passes back), ``∂out/∂s2`` (a local derivative).

    >>> from microgradnode import Value
    >>> x = Value(3.0, 'x'); y = x * x; y.label = 'y'
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> isinstance(dy, GradientValue), dy.label, isinstance(x, GradientValue)
    (True, 'dy/dx', False)
    """

    __slots__ = ()


_LONGEST_NAME = 24  # a forward value's name in a backward node's label, before it is called "value"


def _forward_name(node: Value, depth: int = 0) -> str:
    """A forward value's name in a backward node's label: its label, else a short formula."""
    if node.label:
        return node.label
    if node.is_leaf:
        return format(node.data, 'g')
    if depth > 1:
        return '…'
    op = OPS[node.op]
    parents = [_forward_name(parent, depth + 1) for parent in node.parents]
    if node.constant is not None:
        text = f'{parents[0]}{op.symbol}{format(node.constant, "g")}'
    elif len(parents) == 2:
        text = f'({parents[0]} {op.symbol} {parents[1]})'
    else:
        text = f'{op.symbol}({parents[0]})'
    return text if len(text) <= _LONGEST_NAME else 'value'


def _mark_backward(results: Iterable[Value], forward: set[Value], named: dict[Value, str]) -> None:
    """Make each Value the backward pass built a GradientValue, and label it with its name in ``named``."""
    stack = [value for value in results if value not in forward]
    seen = set(stack)
    while stack:
        node = stack.pop()
        if node.is_leaf:  # a number of a derivative's formula (the 2 of 2·a): a constant
            continue
        node.__class__ = GradientValue  # the same slots: only the type changes
        if not node.label and node in named:
            node.label = named[node]
        for parent in node.parents:
            if parent not in forward and parent not in seen:
                seen.add(parent)
                stack.append(parent)


def _times(upstream: Value | float, local: Value | float) -> Value | float:
    """``upstream * local``, without recording a product by an exact 1 (it changes nothing).

    A strong zero (``x ** 0``) passes nothing whatever ``upstream`` is: no product at all.
    """
    if type(local) is float:
        if local == 1.0:
            return upstream
        if local == -1.0:
            return -upstream
    elif type(local) is StrongZero:
        return local
    elif type(upstream) is float and upstream == 1.0:
        return local
    return upstream * local


# -- checking arguments ------------------------------------------------------------------------

def _check(output: object, inputs: object, function: str) -> list[Value]:
    if not isinstance(output, Value):
        raise TypeError(f'{function}() needs a Value as output, not {type(output).__name__}')
    if isinstance(inputs, Value):
        return [inputs]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise TypeError(f'{function}() needs inputs as a list of Values, not {type(inputs).__name__}')
    inputs = list(inputs)
    if not inputs:
        raise ValueError(f'{function}() needs at least one input')
    for position, value in enumerate(inputs):
        if not isinstance(value, Value):
            raise TypeError(f'{function}() inputs must be Values; inputs[{position}] is '
                            f'{type(value).__name__}: {value!r}'[:200])
    return inputs


# -- the functions -----------------------------------------------------------------------------

def grad(output: Value, inputs: Value | Sequence[Value], *, create_graph: bool = False) -> list[Value]:
    """d output / d input for each input, in order, as Values; no ``.grad`` changes anywhere.

    Follows ``torch.autograd.grad``. Without ``create_graph`` each result is a leaf
    holding the number ``backward()`` would compute (bit for bit). With
    ``create_graph=True`` each result is a graph connected to the inputs, built from the
    operation table's local derivatives, so it can be drawn, explained, compiled and
    differentiated again. An input ``output`` does not depend on gets 0.

    >>> from microgradnode import Value
    >>> w = Value(3.0, 'w'); x = Value(2.0, 'x'); c = Value(1.0, 'c')
    >>> dw, dx, dc = grad(w * x, [w, x, c])
    >>> dw.data, dx.data, dc.data, w.grad
    (2.0, 3.0, 0.0, 0.0)
    >>> (g,) = grad((w * x).sigmoid(), [w], create_graph=True)
    >>> g.is_leaf, round(g.data, 6)
    (False, 0.004933)
    """
    inputs = _check(output, inputs, 'grad')
    check_flag(create_graph, 'create_graph')
    if not create_graph:
        return _gradients(output, inputs, False)
    # Building the gradient graph creates a few Values per node (see collector_paused).
    with collector_paused():
        return _gradients(output, inputs, True)


def _gradients(output: Value, inputs: list[Value], create_graph: bool) -> list[Value]:
    gradients: dict[Value, Value | float] = {output: 1.0}
    order = _backward_order(output)
    named: dict[Value, str] = {}  # create_graph: what each Value the backward pass makes is
    top = _forward_name(output) if create_graph else ''
    # Every node after all of its consumers, in the order backward() visits them, so that
    # each sum is added up in the same order and the floats agree with .grad bit for bit.
    for node in order:
        a = node._a
        if a is None:
            continue
        upstream = gradients[node]
        b = node._b
        if create_graph:
            locals_ = _LOCAL_VALUES[node._op](a, b, node.constant, node)
            for parent, local in zip((a, b), locals_):
                if parent is None:
                    break
                partial = f'∂{_forward_name(node)}/∂{_forward_name(parent)}'
                if isinstance(local, Value):
                    named.setdefault(local, partial)
                contribution = _times(upstream, local)
                if isinstance(contribution, Value):
                    named.setdefault(contribution, f'd{top}/d{_forward_name(node)}·{partial}')
                gradients[parent] = (contribution if parent not in gradients
                                     else gradients[parent] + contribution)
        else:
            gradients[a] = gradients.get(a, 0.0) + upstream * node._da
            if b is not None:
                gradients[b] = gradients.get(b, 0.0) + upstream * node._db
    results: list[Value] = []
    handed_out: set[int] = set()
    for value in inputs:
        gradient = gradients.get(value, 0.0)
        if not isinstance(gradient, Value):
            gradient = Value(gradient)
        elif gradient in gradients or id(gradient) in handed_out:
            # A node of the output's own graph (d(x*y)/dx is y itself) or one already
            # returned for another input: a new node, as PyTorch returns, so that labelling
            # or differentiating one result never renames or changes another Value. It is the
            # product by the upstream 1 that _times leaves out elsewhere: exact, bit for bit.
            gradient = Value(1.0) * gradient
            if create_graph:
                named[gradient] = f'd{top}/d{_forward_name(value)}'
        handed_out.add(id(gradient))
        results.append(gradient)
    if create_graph:
        forward = set(order)
        # A value's whole gradient is called so, even when it is the one contribution it got.
        for value, gradient in gradients.items():
            if isinstance(gradient, Value) and gradient not in forward:
                named[gradient] = f'd{top}/d{_forward_name(value)}'
        _mark_backward(results, forward | set(inputs), named)
    return results


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The matrix of second derivatives d²output / d input_i d input_j, as lists of floats.

    One gradient graph, then one reverse pass over it per input (row by row, as
    ``torch.autograd.functional.hessian`` does). Symmetric up to rounding.

    >>> from microgradnode import Value
    >>> x = Value(1.0, 'x'); y = Value(2.0, 'y')
    >>> hessian(x * x * y, [x, y])
    [[4.0, 2.0], [2.0, 0.0]]
    """
    inputs = _check(output, inputs, 'hessian')
    first = grad(output, inputs, create_graph=True)
    return [[value.data for value in grad(gradient, inputs)] for gradient in first]


def hvp(output: Value, inputs: Sequence[Value], vector: Sequence[float], *,
        mode: str = 'reverse-over-reverse') -> list[float]:
    """The Hessian of ``output`` times ``vector``, without forming the Hessian.

    The gradient is built as a graph once (a reverse pass). With the default
    ``mode='reverse-over-reverse'`` its dot product with ``vector`` is taken as one more
    Value and differentiated: a second reverse pass. With ``mode='forward-over-reverse'``
    the tangent ``vector`` is pushed forward through the gradient graph instead
    (:mod:`microgradnode.forward`), giving the same numbers up to rounding.

    >>> from microgradnode import Value
    >>> x = Value(1.0, 'x'); y = Value(2.0, 'y')
    >>> hvp(x * x * y, [x, y], [1.0, 0.0])
    [4.0, 2.0]
    >>> hvp(x * x * y, [x, y], [1.0, 0.0], mode='forward-over-reverse')
    [4.0, 2.0]
    """
    inputs = _check(output, inputs, 'hvp')
    if isinstance(vector, (str, bytes)) or not isinstance(vector, Iterable):
        raise TypeError(f'hvp() needs vector as a list of numbers, not {type(vector).__name__}')
    vector = list(vector)
    if len(vector) != len(inputs):
        raise ValueError(f'hvp() needs one number in vector per input: {len(inputs)} inputs, '
                         f'{len(vector)} numbers')
    for position, number in enumerate(vector):
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise TypeError(f'hvp() vector must hold real numbers; vector[{position}] is '
                            f'{type(number).__name__}: {number!r}'[:200])
        float_of(number, f'hvp() vector[{position}]')
    if mode not in HVP_MODES:
        raise ValueError(f"hvp() mode must be one of {', '.join(map(repr, HVP_MODES))}, not {mode!r}"[:200])
    first = grad(output, inputs, create_graph=True)
    if mode == 'forward-over-reverse':
        from .forward import hvp_forward_over_reverse
        return hvp_forward_over_reverse(first, inputs, vector)
    dot = first[0] * float(vector[0])
    for gradient, number in zip(first[1:], vector[1:]):
        dot = dot + gradient * float(number)
    return [value.data for value in grad(dot, inputs)]
