"""The engine: ``Value``, graph traversal and reverse-mode ``backward``.

A ``Value`` is one scalar. Every operation on Values returns a new Value that
remembers, in order, the Values it came from (``parents``), the name of the
operation (``op``) and the local derivative d self / d parent for each parent
(``local_grads``), computed when the operation ran. ``backward()`` then only has to
multiply and add those numbers, from the output back to the inputs.

The operations themselves (forward formula and local derivatives) are rows of the
table in :mod:`microgradnode.ops`; this module turns each row into a method.

>>> from microgradnode import Value
>>> x = Value(3.0, 'x')
>>> y = x * x + 2 * x
>>> y.backward()
>>> y.data, x.grad
(15.0, 8.0)
"""

from __future__ import annotations

import contextlib
import copy
import copyreg
import functools
import gc
import numbers
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, SupportsFloat, TypeGuard

from .ops import FUNCTIONS, OPS, Op
from .ops.syntax import inline_text
from .ops.user import add_row, check_name, remove_row

__all__ = ['Value', 'no_grad', 'enable_grad', 'is_grad_enabled', 'topological_order', 'Step',
           'backward_steps', 'define_operation', 'remove_operation']

Number = float | int


def _is_numpy_bool(data: object) -> TypeGuard[SupportsFloat]:
    # bool and numpy's numeric scalars are numbers.Real; str, None, complex, lists are
    # not. numpy's bool is not registered as one, yet it is a number as Python's bool
    # is: recognised by its type's name, so that numpy need not be imported. Callers
    # test numbers.Real first, inline: operations with plain numbers pay no extra call.
    kind = type(data)
    return kind.__module__ == 'numpy' and kind.__name__ in ('bool', 'bool_')


def _to_float(data: object, what: str = 'Value') -> float:
    # int first: isinstance against the numbers.Real ABC costs about 300 ns.
    if type(data) is int or isinstance(data, numbers.Real) or _is_numpy_bool(data):
        try:
            return float(data)
        except OverflowError:  # only then the call that words the message: x * 2 pays nothing
            return float_of(data, what)
    kind = type(data)
    name = kind.__name__ if kind.__module__ == 'builtins' else f'{kind.__module__}.{kind.__name__}'
    raise TypeError(f'{what} needs a real number (int, float, bool or a numpy scalar), '
                    f'not {name}: {data!r}'[:200])


def float_of(number: SupportsFloat, what: str) -> float:
    """``float(number)``; a number too large for a float is an OverflowError naming ``what`` and it.

    >>> float_of(2 ** 2000, 'Value')
    Traceback (most recent call last):
    ...
    OverflowError: Value needs a number a float can hold (at most about 1.8e308), not an int of 603 digits
    """
    try:
        return float(number)
    except OverflowError:
        if isinstance(number, int):  # its repr: thousands of digits, or refused (int max str digits)
            digits = len(str(abs(number))) if number.bit_length() < 10_000 else 'over 3,000'
            described = f'an int of {digits} digits'
        else:
            described = f'{type(number).__name__} {number!r}'[:80]
        raise OverflowError(f'{what} needs a number a float can hold (at most about 1.8e308), '
                            f'not {described}') from None


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run a block that builds many nodes with Python's garbage collector off, then restore it.

    Values make no reference cycles, so collections triggered while a large graph grows
    (copying it, building its gradient graph, compiling it) only walk the whole graph for
    nothing: on a 200,000-node chain, ``grad(..., create_graph=True)`` took 5.0 s with the
    collector and 1.8 s without. The collector's previous state is restored on exit, even
    on an exception, so the process is left as it was found.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


# Operations with a constant k, kept in the node's _db slot (see Value.__slots__).
_CONSTANT_OPS = {name for name, op in OPS.items() if op.constant}  # define_operation adds to it


class _ValueType(type):
    """The type of :class:`Value`: ``Value(data, label)`` is checked and filled in here.

    Why not ``Value.__init__``: the engine makes a node per operation, millions in a
    training run, and the fastest way Python has to make an instance without running
    Python code is to call the class when it defines neither ``__init__`` nor
    ``__new__`` (``type.__call__`` then runs in C). ``object.__new__(Value)``, the usual
    way to skip ``__init__``, goes through a wrapper that builds an argument tuple per
    call. Measured side by side: forward passes 8-12% shorter, training steps 5-8%
    (docs/performance.md). So the checks a user's ``Value(data, label)`` needs live here,
    and ``Value`` has no ``__init__``; a subclass may add methods, not ``__init__``.
    """

    def __call__(cls, data: Number, label: str = '') -> Value:
        if type(data) is not float:
            data = _to_float(data)
        if type(label) is not str:
            raise TypeError(f'label must be a str, not {type(label).__name__}')
        # A subclass's instance is made by object.__new__; Value's own in C (_blank_value).
        value: Value = _blank_value() if cls is Value else _new_value(cls)  # type: ignore[arg-type]
        value.data = data
        value.grad = 0.0
        value.label = label
        value._op = ''     # name of the operation in ops.OPS; '' for a leaf
        value._a = None    # first parent (x*x has x as both parents)
        value._da = 0.0    # d self / d first parent, recorded by the forward pass
        value._b = None    # second parent of a binary operation
        value._db = 0.0    # d self / d second parent; for an operation with a constant, k
        value._waiting = 0  # during backward: consumers yet to send their gradient; else 0
        return value


# A wrong call reads "Value() missing 1 required positional argument: 'data'".
_ValueType.__call__.__qualname__ = 'Value'


class Value(metaclass=_ValueType):
    """A scalar that records how it was computed, so that gradients can flow back.

    >>> a = Value(2.0, label='a')
    >>> b = a.sigmoid()
    >>> round(b.data, 4), b.op, b.parents == (a,)
    (0.8808, 'sigmoid', True)
    """

    # One object per node, holding its (at most two) parents and local derivatives in
    # slots rather than in tuples: fewer objects for the garbage collector to walk
    # is most of what makes building a graph fast in pure Python.
    # Ten slots keep a Value at 112 bytes, a size class of Python's allocator; an eleventh
    # would take it to 128 (measured: about 6% more time per training step). Hence a
    # constant k (x ** k) shares the slot of the second parent's derivative, which an
    # operation with a constant (it has one parent) never uses. '_module' (the nn module
    # that made the value, set by nn.Module's calls) is never initialised here: the hot
    # path does not pay for it; readers use getattr(v, '_module', None).
    __slots__ = ('data', 'grad', 'label', '_op', '_a', '_da', '_b', '_db', '_waiting', '_module')

    # Value(data, label) is made by _ValueType.__call__ (above), and nodes by _blank_value.
    if TYPE_CHECKING:
        def __init__(self, data: Number, label: str = '') -> None: ...
        # The slots' types, for type checkers: they are filled in by _ValueType.__call__
        # and by the generated methods rather than in an __init__.
        data: float
        grad: float
        label: str
        _op: str
        _a: Any  # the first parent, a Value; None for a leaf (the hot loops test it)
        _da: float
        _b: Any  # the second parent, a Value; None for a leaf or a unary operation
        _db: float
        _waiting: int
        _module: tuple  # (name, inputs) of the nn module call that made it; often unset

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # Inherited ones count too: a mixin's __init__ (class V(Mixin, Value)) would never run.
        for base in cls.__mro__:
            if base is object:
                continue
            for method in ('__init__', '__new__'):
                if method in base.__dict__:
                    where = '' if base is cls else f' (inherited from {base.__qualname__})'
                    raise TypeError(
                        f'{cls.__name__} defines {method}{where}, which Value subclasses cannot: '
                        f'{cls.__name__}(data, label) is made by Value\'s metaclass, which would '
                        f'never call it; build instances with more arguments in a classmethod')
        # Copies and pickles keep what the subclass adds, unless it says itself what to keep.
        if '__getstate__' not in cls.__dict__ and '__setstate__' not in cls.__dict__:
            cls.__getstate__ = _getstate_with_own  # type: ignore[method-assign]
            cls.__setstate__ = _setstate_with_own  # type: ignore[method-assign]

    # -- what the graph records --------------------------------------------------------

    @property
    def op(self) -> str:
        """Name of the operation that produced this value ('' for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in argument order."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, as recorded by the forward pass."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    @property
    def constant(self) -> float | None:
        """The constant parameter of the operation (the ``k`` of ``x ** k``), if any."""
        return self._db if self._op in _CONSTANT_OPS else None

    @property
    def is_leaf(self) -> bool:
        """True for values created by the user (inputs, weights, constants)."""
        return self._a is None

    def item(self) -> float:
        """The plain float, as in PyTorch."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f', label={self.label!r}' if self.label else ''
        return f'Value(data={self.data!r}, grad={self.grad!r}{label})'

    # Ordering compares data, so that max(), sorted() and `if loss < 0.1` work.
    # == stays identity: Values are graph nodes and are kept in sets and dicts.
    def __lt__(self, other: Value | Number) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other: Value | Number) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other: Value | Number) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other: Value | Number) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)

    # -- operators that pick an operation from the table ---------------------------------

    def __pow__(self, exponent: Value | Number) -> Value:
        if isinstance(exponent, Value):
            return self.powv(exponent)
        if not (isinstance(exponent, numbers.Real) or _is_numpy_bool(exponent)):
            return NotImplemented
        return self.pow(exponent)  # type: ignore[arg-type]  # a Real, checked above

    def __rpow__(self, base: Number) -> Value:
        base_value = _as_value(base)
        return NotImplemented if base_value is NotImplemented else base_value.powv(self)

    if TYPE_CHECKING:
        # The methods generated from ops.py's rows at import (below the class), declared
        # for type checkers only; tests/package/test_typing.py checks that these names are exactly
        # the generated ones.
        def __add__(self, other: Value | Number) -> Value: ...
        def __radd__(self, other: Number) -> Value: ...
        def __sub__(self, other: Value | Number) -> Value: ...
        def __rsub__(self, other: Number) -> Value: ...
        def __mul__(self, other: Value | Number) -> Value: ...
        def __rmul__(self, other: Number) -> Value: ...
        def __truediv__(self, other: Value | Number) -> Value: ...
        def __rtruediv__(self, other: Number) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def add(self, other: Value | Number) -> Value: ...
        def sub(self, other: Value | Number) -> Value: ...
        def mul(self, other: Value | Number) -> Value: ...
        def div(self, other: Value | Number) -> Value: ...
        def neg(self) -> Value: ...
        def pow(self, k: Number) -> Value: ...
        def powv(self, other: Value | Number) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def tanh(self) -> Value: ...
        def softplus(self) -> Value: ...
        def relu(self) -> Value: ...
        def abs(self) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...
        def step(self) -> Value: ...
        def sign(self) -> Value: ...

    # -- reverse mode ----------------------------------------------------------------------

    def backward(self, gradient: Number = 1.0) -> None:
        """Fill ``grad`` of every value this one depends on with d self / d value.

        As in PyTorch, leaves accumulate across calls (call ``zero_grad`` between
        steps), while intermediate values show the gradient of this pass only.

        >>> x = Value(2.0)
        >>> z = (x * 3) * 2
        >>> z.backward(); z.backward()
        >>> x.grad
        12.0
        """
        _backward(self, gradient)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this value and everything it depends on.

        >>> x = Value(2.0); y = x * x; y.backward(); y.zero_grad(); x.grad
        0.0
        """
        for node in topological_order(self):
            node.grad = 0.0

    # -- copying and pickling --------------------------------------------------------------
    #
    # The default copy and pickle follow parents recursively and hit the recursion limit
    # a few hundred nodes deep. Both are done here in topological order instead, parents
    # before children, so that no step ever needs more than the node's own parents.

    def __copy__(self) -> Value:
        twin = _new_value(type(self))
        twin.__setstate__(self.__getstate__())
        return twin

    def __deepcopy__(self, memo: dict) -> Value:
        """Copy the whole graph below this value, iteratively; ``memo`` keeps shared nodes shared."""
        keep_alive = memo.setdefault(id(memo), [])
        # Every node made here lives on: collections triggered meanwhile would walk the
        # whole growing graph for nothing (it has no cycles), as in compile().
        with collector_paused():
            for node in topological_order(self):
                if id(node) in memo:  # copied before, e.g. a weight listed beside its loss
                    continue
                twin = _new_value(type(node))
                # In the memo before copying what the node refers to besides its parents (a
                # subclass's own state may name a Value below or above it): copied once.
                memo[id(node)] = twin
                state = node.__getstate__()
                if type(node) is not Value and type(state[-1]) is dict:
                    state = (*state[:-1], copy.deepcopy(state[-1], memo))
                twin.__setstate__(state)
                if node._a is not None:
                    twin._a = memo[id(node._a)]
                    if node._b is not None:
                        twin._b = memo[id(node._b)]
                    if len(state) > 8 and type(state[8]) is tuple:
                        # The nn module record names the call's inputs: the copies, not the
                        # original graph (which the copy would otherwise keep alive).
                        name, inputs = state[8]
                        twin._module = (name, copy.deepcopy(inputs, memo))
                keep_alive.append(node)
        return memo[id(self)]

    # A subclass's own state (its slots, its __dict__) is added by the two methods that
    # __init_subclass__ installs on it (_getstate_with_own, _setstate_with_own): Value's
    # own copies and pickles pay nothing for it.
    def __getstate__(self) -> tuple:
        if self._a is None:  # a leaf (half the nodes of a typical graph): a shorter pickle
            return self.data, self.grad, self.label
        state = self.data, self.grad, self.label, self._op, self._a, self._da, self._b, self._db
        module = getattr(self, '_module', None)  # the nn module that made it, if any
        return state if module is None else (*state, module)

    def __setstate__(self, state: tuple) -> None:
        if len(state) == 3:
            self.data, self.grad, self.label = state
            self._op, self._a, self._da, self._b, self._db = '', None, 0.0, None, 0.0
        else:
            self.data, self.grad, self.label, self._op, self._a, self._da, self._b, self._db = state[:8]
            if len(state) == 9:
                self._module = state[8]
        self._waiting = 0

    def __reduce_ex__(self, protocol: object) -> tuple:
        # Pickle saves a reduction's arguments before the object and looks each object up
        # in its memo before reducing it. So the first value reduced lists its ancestors,
        # parents before children, as an argument: each is saved in turn while its own
        # parents are already in the memo, and reduces shallowly (its state names its
        # parents, saved as memo references). Nothing recurses, and a weight pickled
        # beside its loss is one object, shared, when loaded.
        pending = _thread_state.pickling
        if pending and pending.pop(id(self), None) is not None or self._a is None:
            # __newobj__ is pickle's NEWOBJ opcode: a blank Value made in C when loading.
            return copyreg.__newobj__, (type(self),), self.__getstate__()  # type: ignore[attr-defined]
        ancestors = topological_order(self)
        ancestors.pop()  # self
        pending = _thread_state.pickling = {id(node): node for node in ancestors if node._a is not None}
        return _unpickle_value, (type(self), ancestors, _EndOfAncestors(pending)), self.__getstate__()


def _getstate_with_own(self: Value) -> tuple:
    """A subclass's state: Value's, then its own slots and __dict__ as a dict, if it has any."""
    state = Value.__getstate__(self)
    own = _own_state(self)
    return (*state, own) if own else state


def _setstate_with_own(self: Value, state: tuple) -> None:
    if type(state[-1]) is not dict:
        Value.__setstate__(self, state)
        return
    Value.__setstate__(self, state[:-1])
    for name, value in state[-1].items():
        if name == '__dict__':
            self.__dict__.update(value)
        else:
            setattr(self, name, value)


def _own_state(value: Value) -> dict:
    """What a subclass of Value keeps beyond Value's slots: its ``__dict__`` and its own slots."""
    own: dict = {}
    attributes = getattr(value, '__dict__', None)
    if attributes:
        own['__dict__'] = dict(attributes)
    for name in _subclass_slots(type(value)):
        try:
            own[name] = getattr(value, name)
        except AttributeError:  # a slot never set
            pass
    return own


@functools.cache
def _subclass_slots(kind: type) -> tuple[str, ...]:
    """The slots the classes between ``kind`` and Value declare, as attribute names."""
    names = []
    for klass in kind.__mro__:
        if klass is Value:
            break
        slots = klass.__dict__.get('__slots__', ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name in ('__dict__', '__weakref__'):
                continue
            if name.startswith('__') and not name.endswith('__'):  # stored under its mangled name
                name = f'_{klass.__name__.lstrip("_")}{name}'
            names.append(name)
    return tuple(names)


def _unpickle_value(kind: type[Value], *ancestors: object) -> Value:
    """A blank Value for pickle to fill with ``__setstate__`` (the ancestors are loaded already)."""
    return _new_value(kind)


class _EndOfAncestors:
    """Pickled right after a value's ancestors: they are all saved, forget the list.

    Also forgets it when the pickler drops this object without pickling it (a write
    failed, a full disk, Ctrl-C): nodes left in the list would otherwise reduce
    shallowly, and recursively, the next time they are pickled on their own.
    """

    def __init__(self, pending: dict) -> None:
        self.pending: dict | None = pending

    def _forget(self) -> None:
        if _thread_state.pickling is self.pending:
            _thread_state.pickling = None
        self.pending = None

    def __reduce__(self) -> tuple:
        self._forget()
        return tuple, ()

    def __del__(self) -> None:
        self._forget()


def _as_value(x: object) -> Value:
    """``x`` itself if a Value, a constant leaf if a real number, else NotImplemented."""
    kind = type(x)
    if kind is float or kind is int:  # most constants (x * 2, 1 - y): no ABC check, ~300 ns
        return Value(x)  # type: ignore[arg-type]  # a float or an int, checked above
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) or _is_numpy_bool(x):
        return Value(float(x))
    return NotImplemented


_new_value = object.__new__

# A blank Value, made in C: no __init__ runs (see _ValueType). The generated methods
# make every node with it and fill in its slots themselves.
_blank_value = type.__call__.__get__(Value)


def _domain_error(op: Op, error: Exception, inputs: tuple, k: float | None) -> Exception:
    """Say which operation failed, on which numbers and nodes, and why."""
    args = [f'{v.label}={v.data!r}' if v.label else repr(v.data) for v in inputs]
    if k is not None:
        args.append(f'k={k!r}')
    reason = op.problem or str(error)
    kind = type(error) if isinstance(error, (ValueError, ArithmeticError)) else ValueError
    return kind(f'{op.name}({", ".join(args)}): {reason}')


# -- turning each row of the operation table into methods ---------------------------------
#
# The generated method computes the forward formula and the local derivatives inline,
# exactly as written in the table, and fills the new node's slots itself: no closure
# per node and no call per formula or per node, which is what keeps a pure-Python
# engine fast. ``Value.mul.__doc__`` shows the row used.

# The node is built in two places with the same text (`_NODE`): the first, reached
# while no thread is inside no_grad, is the code the engine ran before no_grad became
# per thread, so the hot path falls straight through to it with no extra jump; the
# second serves threads that record while another one is inside no_grad.
_METHOD = '''\
def {method}(self{other_param}):
    {coerce}a = {a}.data{b_load}
    try:
        out = {forward}
        if _recording:
{node}
        if _thread_state.enabled:
{node}
    except (ArithmeticError, ValueError) as error:
        raise _domain_error(OPS[{name!r}], error, {parents}, {k}) from None
    return Value(out)  # under no_grad: a plain leaf
'''

_NODE = '''\
            node = _blank_value()
            node.data = out
            node.grad = 0.0
            node.label = ''
            node._op = {name!r}
            node._a = {a}
            node._da = {local_a}
            node._b = {b}
            node._db = {local_b}
            node._waiting = 0
            return node'''

# The other operand: a Value passes with one type test; anything else (a number, a
# subclass's instance) goes to _as_value. isinstance(2.0, Value) would cost 110 ns: a
# class with a metaclass leaves isinstance's fast path.
_COERCE = '''if type(other) is not Value:
        other = _as_value(other)
        if other is NotImplemented:
            return NotImplemented
    '''

# Python operator methods, (operation, reflected) for each.
_OPERATORS = {
    '__add__': ('add', False), '__radd__': ('add', True),
    '__sub__': ('sub', False), '__rsub__': ('sub', True),
    '__mul__': ('mul', False), '__rmul__': ('mul', True),
    '__truediv__': ('div', False), '__rtruediv__': ('div', True),
    '__neg__': ('neg', False), '__abs__': ('abs', False),
}

# Whether this thread records is per thread, as in PyTorch; but a threading.local
# read on every operation would cost the hot path. So every generated method first
# reads `_recording`, one global flag that is True while no thread anywhere has
# recording switched off, and only when it is False asks this thread's own state.
class _ThreadState(threading.local):
    """What the engine keeps per thread; __init__ runs once in each thread that reads it."""

    def __init__(self) -> None:
        self.enabled = True                  # this thread records (no_grad, enable_grad)
        self.saved: list[bool] = []          # modes to restore, innermost last
        self.pickling: dict | None = None    # see Value.__reduce_ex__


_thread_state = _ThreadState()
_switch_lock = threading.Lock()
_threads_not_recording = 0  # threads whose innermost no_grad/enable_grad turned recording off


# Held while gradients are added into .grad (backward, compiled calls), see _backward.
_grad_lock = threading.RLock()


# The globals of every generated method. One shared dict, so that no_grad flips
# the single `_recording` flag that all of them read.
_namespace: dict = {**FUNCTIONS, 'OPS': OPS, 'Value': Value, '_blank_value': _blank_value,
                    '_as_value': _as_value, '_domain_error': _domain_error, '_to_float': _to_float,
                    '_recording': True, '_thread_state': _thread_state}


# method name -> the Python text _make_method compiled for it (see method_source).
_SOURCES: dict[str, str] = {}


def _make_method(method: str, op: Op, reflected: bool = False):
    binary = op.arity == 2
    a, b = ('other', 'self') if reflected else ('self', 'other')
    if op.constant:
        # Any real number, as Value() takes (a string or a too large int is refused there).
        other_param, k = ', k', 'k'
        coerce = f"if type(k) is not float:\n        k = _to_float(k, 'the exponent k of {method}')\n    "
    elif binary:
        other_param, k, coerce = ', other', 'None', _COERCE
    else:
        other_param, k, coerce = '', 'None', ''
    # A row called like a helper (relu's step(a)) is pasted in as its formula: no call per node.
    fields = dict(name=op.name, a=a, k=k, b=b if binary else 'None', local_a=inline_text(op.local[0]),
                  local_b=inline_text(op.local[1]) if binary else k if op.constant else '0.0')
    source = _METHOD.format(
        method=method, other_param=other_param, coerce=coerce,
        b_load=f'; b = {b}.data' if binary else '', forward=op.forward,
        parents=f'({a}, {b})' if binary else '(self,)', node=_NODE.format(**fields), **fields)
    defined: dict = {}
    # The source is built only from the table's rows. A row added by define_operation has
    # its formulas checked (arithmetic, comparisons and calls of helpers only) and
    # written back from their syntax trees, so no statement can reach this text.
    exec(compile(source, f'<microgradnode op {op.name}>', 'exec'), _namespace, defined)  # noqa: S102
    _SOURCES[method] = source  # for method_source(): a learner can read what runs
    function = defined[method]
    function.__qualname__ = f'Value.{method}'
    function.__doc__ = (f'``{op.name}``: out = {op.forward}; '
                        f'd out / d parents = ({", ".join(op.local)})')
    return function


for _op in OPS.values():
    setattr(Value, _op.name, _make_method(_op.name, _op))
for _method, (_name, _reflected) in _OPERATORS.items():
    setattr(Value, _method, _make_method(_method, OPS[_name], _reflected))
del _op, _method, _name, _reflected


# -- no_grad -------------------------------------------------------------------------------

def _set_thread_recording(enabled: bool) -> None:
    """Switch recording for this thread, keeping the global fast-path flag in step."""
    global _threads_not_recording
    if _thread_state.enabled == enabled:
        return
    with _switch_lock:
        _thread_state.enabled = enabled
        _threads_not_recording += -1 if enabled else 1
        _namespace['_recording'] = not _threads_not_recording


class _GradMode:
    """Shared by no_grad and enable_grad: a context manager and decorator for one mode.

    What to restore is kept on a per-thread stack, not on the instance, so one instance
    may be entered again while inside itself, or from several threads at once.
    """

    _enabled = True

    def __enter__(self) -> _GradMode:
        _thread_state.saved.append(_thread_state.enabled)
        _set_thread_recording(self._enabled)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _set_thread_recording(_thread_state.saved.pop())

    def __call__(self, function):
        import functools
        import inspect

        mode = type(self)
        if inspect.isgeneratorfunction(function):
            # A generator's body runs a piece at a time, between the caller's own code:
            # switch the mode around each piece, never across a yield.
            @functools.wraps(function)
            def generator_in_mode(*args, **kwargs):
                generator = function(*args, **kwargs)
                try:
                    with mode():
                        item = next(generator)
                    while True:
                        try:
                            sent = yield item
                        except GeneratorExit:
                            with mode():
                                generator.close()
                            raise
                        except BaseException as error:
                            with mode():
                                item = generator.throw(error)
                        else:
                            with mode():
                                item = generator.send(sent)
                except StopIteration as finished:
                    return finished.value
            return generator_in_mode

        @functools.wraps(function)
        def in_mode(*args, **kwargs):
            with mode():
                return function(*args, **kwargs)
        return in_mode


class no_grad(_GradMode):
    """Context manager (and decorator) inside which this thread's operations record no graph.

    Results are plain leaves: cheaper to build, and backward() will not reach through them.
    As in PyTorch, the mode is per thread, blocks nest, an instance can be reused, and the
    previous mode is restored on leaving, even by an exception. As a decorator it also
    works on generator functions.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.data, y.is_leaf
    (4.0, True)
    """

    _enabled = False


class enable_grad(_GradMode):
    """Record again inside a ``no_grad`` block (for this thread), as PyTorch's ``enable_grad``.

    >>> x = Value(2.0)
    >>> with no_grad(), enable_grad():
    ...     y = x * x
    >>> y.is_leaf
    False
    """


def is_grad_enabled() -> bool:
    """False inside ``no_grad()`` (in the thread that entered it).

    >>> is_grad_enabled()
    True
    """
    return _namespace['_recording'] or _thread_state.enabled


# -- traversal and reverse mode ------------------------------------------------------------

def _backward_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, each once, every value after all its consumers.

    Kahn's algorithm: count each value's consumers, then release a value once all of
    them are done. Iterative (a million-node chain needs no recursion) and linear.
    """
    waiting = {root: 0}  # value -> consumers not yet processed
    stack = [root]
    while stack:
        node = stack.pop()
        for parent in (node._a, node._b):
            if parent is None:
                break
            if parent in waiting:
                waiting[parent] += 1
            else:
                waiting[parent] = 1
                stack.append(parent)
    order = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in (node._a, node._b):
            if parent is None:
                break
            left = waiting[parent] - 1
            waiting[parent] = left
            if not left:
                ready.append(parent)
    return order


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, each once, parents before children; root last.

    >>> x = Value(1.0, 'x'); y = x * x; z = y + x
    >>> [v.label or v.op for v in topological_order(z)]
    ['x', 'mul', 'add']
    """
    order = _backward_order(root)
    order.reverse()
    return order


class Step(NamedTuple):
    """One step of the backward pass: ``node`` passes its finished gradient to parents.

    ``contributions`` has one entry per edge: (parent, local derivative, upstream grad ×
    local derivative, the parent's grad after adding it).
    """

    node: Value
    grad: float
    contributions: tuple[tuple[Value, float, float, float], ...]


def _check_gradient(gradient: object) -> float:
    if not (isinstance(gradient, numbers.Real) or _is_numpy_bool(gradient)):
        raise TypeError(f'backward gradient must be a number, not {type(gradient).__name__}')
    return float_of(gradient, 'backward gradient')


def _backward(root: Value, gradient: Number, trace: list[Value] | None = None) -> None:
    """The backward pass of ``Value.backward``: the sums of ``backward_steps``, made fast.

    Same algorithm as :func:`_backward_order` followed by the sums, fused into two
    passes over the graph, because this loop is where training spends its time:

    1. count, on each intermediate value, its consumers in this graph (``_waiting``),
       zeroing its grad on first sight;
    2. starting from the root, hand each value's finished gradient to its parents;
       a parent whose consumers have all reported is finished in turn (Kahn).

    What makes it fast in pure Python (see docs/performance.md): the count lives in a
    slot of the node rather than a dict keyed by node; the two parents are read one
    by one rather than through a tuple built per node; leaves are not counted at all
    (nothing waits on a leaf: it only accumulates). Apart from its two lists it creates
    no object the garbage collector tracks, so no collection runs during backward.
    ``trace``, when given, receives each intermediate value as it passes its gradient
    on: :func:`backward_steps` reads the walkthrough's record from it, so there is one
    backward pass in the project, not a fast one and a teaching one. Every count is
    back to 0 when it returns, and is reset if the pass is interrupted.

    The counts live on the nodes and leaves' grads are added to in place, so passes
    over shared nodes must not interleave: one process-wide lock (also taken by
    compiled code, which adds into the same grads) runs them one at a time. Under the
    GIL pure-Python passes never ran in parallel anyway; taking the lock costs well
    under a microsecond per pass.
    """
    if type(gradient) is not float:
        gradient = _check_gradient(gradient)
    # Held for the whole pass (see above); acquire/release cost less than a with block,
    # which counts on the seed's 12-node steps.
    _grad_lock.acquire()
    try:
        if root._a is None:  # a leaf: nothing to propagate; leaves accumulate
            root.grad += gradient
            return
        try:
            root.grad = 0.0  # intermediate values show this pass only
            # Depth first (a stack): a value's parents are counted right after it, while
            # its memory is still in the cache, and a graph is walked roughly in the order it
            # was built (allocated); breadth first (a for loop over a growing list) runs
            # fewer instructions yet takes 10% longer on 66,000-node graphs. The loop is a
            # `while True`, whose back edge (an unconditional jump) counts towards CPython
            # 3.11's warm-up: this function is specialized during its first call; with only
            # `while <condition>` loops that waits for the 8th call (docs/performance.md).
            found = [None, root]  # None at the bottom ends the loop
            while True:
                node = found.pop()
                if node is None:  # only intermediate values are ever pushed: _a is a Value
                    break
                a = node._a
                if a._a is not None:
                    waiting = a._waiting
                    if not waiting:
                        a.grad = 0.0
                        found.append(a)
                    a._waiting = waiting + 1
                b = node._b
                if b is not None and b._a is not None:
                    waiting = b._waiting
                    if not waiting:
                        b.grad = 0.0
                        found.append(b)
                    b._waiting = waiting + 1
            root.grad += gradient
            ready = [root]
            while ready:
                node = ready.pop()
                if trace is not None:
                    trace.append(node)
                a = node._a
                upstream = node.grad
                a.grad += upstream * node._da
                if a._a is not None:
                    waiting = a._waiting - 1
                    a._waiting = waiting
                    if not waiting:
                        ready.append(a)
                b = node._b
                if b is not None:
                    b.grad += upstream * node._db
                    if b._a is not None:
                        waiting = b._waiting - 1
                        b._waiting = waiting
                        if not waiting:
                            ready.append(b)
        except BaseException:  # e.g. KeyboardInterrupt: leave no stale count behind
            for node in _backward_order(root):
                node._waiting = 0
            raise
    finally:
        _grad_lock.release()


def backward_steps(root: Value, gradient: Number = 1.0) -> list[Step]:
    """Run ``root.backward()`` and return what each step did, in the order it happened.

    The pass is ``backward()``'s own; its trace says in which order the values passed
    their gradients on, and the record is read from that: each contribution is
    ``upstream × local``, and each running total is added up in the order the pass
    added it, so the totals shown are bit for bit the grads the pass computed. A leaf
    gets its (empty) step as soon as its last consumer has reported.

    >>> x = Value(3.0, 'x'); y = x * x
    >>> [(s.node.label or s.node.op, s.grad) for s in backward_steps(y)]
    [('mul', 1.0), ('x', 6.0)]
    """
    order = topological_order(root)
    totals = {node: node.grad for node in order if node._a is None}  # leaves accumulate
    edges_left: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            edges_left[parent] = edges_left.get(parent, 0) + 1
    trace: list[Value] = []
    _backward(root, gradient, trace)
    if root._a is None:
        return [Step(root, root.grad, ())]
    steps: list[Step] = []
    for node in trace:
        upstream = node.grad  # final: a value passes its gradient on only once it is complete
        edges, finished_leaves = [], []
        for parent, local in zip(node.parents, node.local_grads):
            contribution = upstream * local
            totals[parent] = totals.get(parent, 0.0) + contribution
            edges.append((parent, local, contribution, totals[parent]))
            edges_left[parent] -= 1
            if parent._a is None and not edges_left[parent]:
                finished_leaves.append(parent)
        steps.append(Step(node, upstream, tuple(edges)))
        steps.extend(Step(leaf, leaf.grad, ()) for leaf in finished_leaves)
    return steps


# -- operations defined at run time --------------------------------------------------------

_TABLE_LOCK = threading.RLock()  # define_operation undoes a half-made row with remove_operation


def define_operation(name: str, forward: str, local: str | Sequence[str], *, symbol: str | None = None,
                     constant: bool = False, problem: str = '',
                     functions: Mapping[str, object] | None = None) -> Op:
    """Add a row to the operation table: ``name`` becomes a ``Value`` method every view knows.

    ``forward`` is out as a formula of ``a`` (and ``b`` for an operation on two Values,
    ``k`` with ``constant=True``, where the method takes a number); ``local`` is d out / d a
    (a formula) or one formula per parent, and may use ``out``. ``functions`` adds helpers
    the formulas call (``{'erf': math.erf}``). The derivatives are checked against finite
    differences of ``forward`` at a few points; a wrong one, an existing name, a name that
    would hide a ``Value`` attribute and a formula that does not parse or uses an unknown
    name are refused with a ValueError that says why, and nothing is added
    (docs/operations.md).

    >>> op = define_operation('softsign', 'a / (1.0 + fabs(a))',
    ...                       '1.0 / ((1.0 + fabs(a)) * (1.0 + fabs(a)))')
    >>> x = Value(3.0); y = x.softsign(); y.backward()
    >>> y.data, x.grad, y.op
    (0.75, 0.0625, 'softsign')
    >>> remove_operation('softsign')
    """
    check_name(name, 'define_operation: the operation name')
    # One change of the table at a time: two threads defining one name both found it free
    # and both "succeeded" (5 of 8 threads, with a short switch interval).
    with _TABLE_LOCK:
        if name not in OPS and hasattr(Value, name):
            raise ValueError(f'define_operation({name!r}): Value has an attribute {name!r} already '
                             f'(Value.{name}); an operation of that name would hide it')
        op = add_row(name, forward, local, symbol=symbol, constant=constant, problem=problem,
                     functions=functions)
        try:
            _namespace.update((helper, FUNCTIONS[helper]) for helper in FUNCTIONS
                              if helper not in _namespace or _namespace[helper] is not FUNCTIONS[helper])
            if op.constant:
                _CONSTANT_OPS.add(name)
            setattr(Value, name, _make_method(name, op))
        except BaseException:
            remove_operation(name)
            raise
        return op


def remove_operation(name: str) -> None:
    """Take an operation added by :func:`define_operation` out of the table and off ``Value``.

    Built-in operations cannot be removed. Graphs already built with it keep their
    numbers, but can no longer be drawn, explained or compiled.
    """
    with _TABLE_LOCK:
        remove_row(name)
        if name in Value.__dict__:
            delattr(Value, name)
        _SOURCES.pop(name, None)
        _CONSTANT_OPS.discard(name)


# -- reading the generated methods ---------------------------------------------------------

def method_source(method: str) -> str:
    """The Python source the engine generated for ``Value.<method>`` from the operation table.

    ``method`` is an operation's name (``'mul'``, ``'tanh'``) or an operator method
    (``'__mul__'``, ``'__rtruediv__'``). The text is the very one ``_make_method`` compiled
    into the method, kept when it did, so it cannot drift from what runs.

    >>> print(method_source('mul').splitlines()[0])
    def mul(self, other):
    >>> 'out = a * b' in method_source('__rmul__')
    True
    """
    if not isinstance(method, str):
        raise TypeError(f'method_source: the method name must be a str, not {type(method).__name__}')
    if method not in _SOURCES:
        known = ', '.join([*OPS, *_OPERATORS])
        raise ValueError(f'method_source: Value has no generated method {method[:60]!r}; '
                         f'the generated ones are: {known}')
    return _SOURCES[method]
