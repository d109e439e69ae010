"""``Tensor``: a float64 array that records how it was computed, and backward on arrays.

A Tensor is to an array what a :class:`~microgradnode.Value` is to a number: every
operation returns a new Tensor that remembers the operation, its parents and what its
backward needs. Elementwise operations are the rows of the operation table evaluated
on arrays (:mod:`.arrays`); the others are the structural operations of
:mod:`.structural`. ``backward()`` hands each node's gradient, an array shaped like
the node, to its parents: upstream times the row's local derivatives, summed over the
axes broadcasting stretched, or the structural operation's vector-Jacobian product.

>>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], 'x')
>>> y = (x * x).sum()
>>> y.backward()
>>> y.item(), x.grad.tolist()
(30.0, [[2.0, 4.0], [6.0, 8.0]])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._support.flags import check_flag
from ..engine import Value, is_grad_enabled
from ..ops.syntax import function
from ..ops.table import FUNCTIONS, OPS
from .arrays import ROWS
from .structural import STRUCTURAL, unbroadcast

__all__ = ['Tensor', 'concatenate', 'stack', 'softmax', 'log_softmax', 'cross_entropy', 'grad',
           'as_tensor']

Operand = Any  # a Tensor, a real number or an array-like of them


def _describe(data: object) -> str:
    kind = type(data)
    return kind.__name__ if kind.__module__ == 'builtins' else f'{kind.__module__}.{kind.__name__}'


def as_array(data: object, what: str = 'Tensor') -> np.ndarray:
    """``data`` as a new float64 array, or a clear error saying what is wrong with it.

    >>> as_array([1, 2]).dtype
    dtype('float64')
    >>> as_array([[1.0], [2.0, 3.0]])
    Traceback (most recent call last):
    ...
    ValueError: Tensor needs a rectangular array of real numbers; rows of different lengths: \
[[1.0], [2.0, 3.0]]
    """
    if isinstance(data, Tensor):
        return data.data.copy()
    if isinstance(data, Value):
        raise TypeError(f'{what} needs numbers, not a Value (use its .data, or '
                        f'microgradnode.tensor.expand to go from tensors to Values)')
    try:
        array = np.array(data)
    except ValueError:
        raise ValueError(f'{what} needs a rectangular array of real numbers; rows of different '
                         f'lengths: {data!r}'[:200]) from None
    kind = array.dtype.kind
    if kind not in 'biuf':
        found = 'complex numbers' if kind == 'c' else (
            f'{_describe(array.flat[0])} elements' if array.size else f'dtype {array.dtype}')
        if kind == 'O':
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError, OverflowError) as error:
                if isinstance(error, OverflowError):
                    raise OverflowError(f'{what}: an integer is too large for a float64: '
                                        f'{data!r}'[:200]) from None
                raise TypeError(f'{what} needs real numbers (int, float, bool), not {found}: '
                                f'{data!r}'[:200]) from None
            kind = 'f'
        else:
            raise TypeError(f'{what} needs real numbers (int, float, bool), not {found}: {data!r}'[:200])
    array = array.astype(np.float64)  # always a copy: the Tensor owns its data
    if np.isnan(array).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(f'{what}: the data holds NaN (at index {where} of shape {array.shape}); '
                         f'a NaN has no gradient to learn from')
    return array


class Tensor:
    """A float64 array in a computation graph: operations record, ``backward()`` fills ``grad``.

    ``Tensor(data, label='')`` copies ``data`` (numbers, nested lists or an array) into
    a new float64 array. ``grad`` holds d root / d self after ``backward()``: leaves
    accumulate across calls, as with Values and in PyTorch.

    >>> w = Tensor([1.0, 2.0, 3.0], 'w')
    >>> (w * 2.0).sum().backward()
    >>> w.grad
    array([2., 2., 2.])
    """

    __slots__ = ('data', 'grad', 'label', '_op', '_parents', '_params', '_constant')
    __array_ufunc__ = None  # an ndarray on the left defers to the Tensor's reflected method

    def __init__(self, data: Operand, label: str = '') -> None:
        if type(label) is not str:
            raise TypeError(f'label must be a str, not {type(label).__name__}')
        self.data = as_array(data)
        self.grad: np.ndarray | None = np.zeros(self.data.shape)
        self.label = label
        self._op = ''
        self._parents: tuple[Tensor, ...] = ()
        self._params: Any = None
        self._constant = False

    # -- what the graph records --------------------------------------------------------

    @property
    def op(self) -> str:
        """Name of the operation that produced this tensor ('' for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from, in argument order."""
        return self._parents

    @property
    def params(self) -> Any:
        """The operation's settings: ``k`` of ``x ** k``, the axis of a sum, an index."""
        return self._params

    @property
    def is_leaf(self) -> bool:
        return not self._op

    @property
    def is_constant(self) -> bool:
        """True for a number or array an operation wrapped (``x * 2``): it gets no gradient."""
        return self._constant

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:  # noqa: N802 - the NumPy and PyTorch name
        """The transpose (axes reversed)."""
        return self.transpose()

    def __len__(self) -> int:
        return len(self.data)

    def item(self) -> float:
        """The single number of a one-element tensor."""
        if self.data.size != 1:
            raise ValueError(f'item() needs a tensor of one element, not of shape {self.shape}')
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data (the array itself, not a copy)."""
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def __repr__(self) -> str:
        label = f', label={self.label!r}' if self.label else ''
        op = f', op={self._op!r}' if self._op else ''
        body = np.array2string(self.data, separator=', ', threshold=20, precision=4)
        return f'Tensor({body}{label}{op})'

    def detach(self) -> Tensor:
        """The same numbers as a new leaf, cut off from the graph."""
        return _leaf(self.data, constant=True)

    # -- elementwise operations from the table: generated below the class ----------------

    if TYPE_CHECKING:
        # The methods generated from the table's rows (below the class), declared for type
        # checkers only; tests/tensor/test_core.py checks these names are the generated ones.
        def __add__(self, other: Operand) -> Tensor: ...
        def __radd__(self, other: Operand) -> Tensor: ...
        def __sub__(self, other: Operand) -> Tensor: ...
        def __rsub__(self, other: Operand) -> Tensor: ...
        def __mul__(self, other: Operand) -> Tensor: ...
        def __rmul__(self, other: Operand) -> Tensor: ...
        def __truediv__(self, other: Operand) -> Tensor: ...
        def __rtruediv__(self, other: Operand) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def add(self, other: Operand) -> Tensor: ...
        def sub(self, other: Operand) -> Tensor: ...
        def mul(self, other: Operand) -> Tensor: ...
        def div(self, other: Operand) -> Tensor: ...
        def neg(self) -> Tensor: ...
        def pow(self, k: float) -> Tensor: ...
        def powv(self, other: Operand) -> Tensor: ...
        def exp(self) -> Tensor: ...
        def log(self) -> Tensor: ...
        def sqrt(self) -> Tensor: ...
        def sigmoid(self) -> Tensor: ...
        def tanh(self) -> Tensor: ...
        def softplus(self) -> Tensor: ...
        def relu(self) -> Tensor: ...
        def step(self) -> Tensor: ...
        def sign(self) -> Tensor: ...
        def abs(self) -> Tensor: ...
        def sin(self) -> Tensor: ...
        def cos(self) -> Tensor: ...

    def __pow__(self, exponent: Operand) -> Tensor:
        if isinstance(exponent, Tensor):
            return self.powv(exponent)
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            return self.pow(float(exponent))
        return self.powv(exponent)

    def __rpow__(self, base: Operand) -> Tensor:
        return _operand(base, 'powv', self).powv(self)

    def __matmul__(self, other: Operand) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Operand) -> Tensor:
        return _operand(other, 'matmul', self).matmul(self)

    # -- structural operations ---------------------------------------------------------

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(0).tolist()
        [4.0, 6.0]
        """
        return _structural('sum', (self,), axis=_check_axis(axis, self, 'sum'),
                           keepdims=check_flag(keepdims, 'keepdims'))

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes by default).

        >>> Tensor([1.0, 2.0, 6.0]).mean().item()
        3.0
        """
        return _structural('mean', (self,), axis=_check_axis(axis, self, 'mean'),
                           keepdims=check_flag(keepdims, 'keepdims'))

    def max(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis``; its gradient goes to the first largest element.

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).max(1).tolist()
        [5.0, 7.0]
        """
        if axis is not None and not isinstance(axis, int):
            raise TypeError(f'Tensor.max: axis must be an int or None, not {axis!r}')
        if self.size == 0:
            raise ValueError(f'Tensor.max: the tensor of shape {self.shape} has no elements')
        return _structural('max', (self,), axis=_check_axis(axis, self, 'max'),
                           keepdims=check_flag(keepdims, 'keepdims'))

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same elements in another shape.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2).shape
        (2, 2)
        """
        wanted = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            out = self.data.reshape(wanted)
        except (ValueError, TypeError) as error:
            raise ValueError(f'Tensor.reshape: cannot reshape shape {self.shape} into {wanted}: '
                             f'{error}') from None
        return _node(out, 'reshape', (self,), {'shape': wanted})

    def transpose(self, *axes: int) -> Tensor:
        """Axes permuted (reversed by default), as ``numpy.transpose``.

        >>> Tensor([[1.0, 2.0, 3.0]]).transpose().shape
        (3, 1)
        """
        order = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        if not order:
            order = tuple(reversed(range(self.ndim)))
        if sorted(a % self.ndim if self.ndim else a for a in order) != list(range(self.ndim)):
            raise ValueError(f'Tensor.transpose: axes {order} are not a permutation of the '
                             f'{self.ndim} axes of shape {self.shape}')
        return _structural('transpose', (self,), axes=tuple(a % self.ndim for a in order))

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """The tensor repeated along new or size-1 axes, as ``numpy.broadcast_to``.

        >>> Tensor([1.0, 2.0]).broadcast_to((3, 2)).shape
        (3, 2)
        """
        wanted = tuple(shape)
        try:
            np.broadcast_shapes(self.shape, wanted)
            if np.broadcast_shapes(self.shape, wanted) != wanted:
                raise ValueError('the target shape is smaller')
        except ValueError:
            raise ValueError(f'Tensor.broadcast_to: shape {self.shape} does not broadcast to '
                             f'{wanted}') from None
        return _structural('broadcast_to', (self,), shape=wanted)

    def matmul(self, other: Operand) -> Tensor:
        """Matrix product ``self @ other``: vectors, matrices, and batches of them.

        >>> (Tensor([[1.0, 2.0]]) @ Tensor([[3.0], [4.0]])).tolist()
        [[11.0]]
        """
        other = _operand(other, 'matmul', self)
        if self.ndim == 0 or other.ndim == 0:
            raise ValueError(f'Tensor.matmul: shapes {self.shape} and {other.shape}: '
                             f'matmul needs at least one axis on each side')
        inner_a = self.shape[-1]
        inner_b = other.shape[0] if other.ndim == 1 else other.shape[-2]
        if inner_a != inner_b:
            raise ValueError(f'Tensor.matmul: shapes {self.shape} and {other.shape} do not '
                             f'match: {inner_a} columns on the left, {inner_b} rows on the right')
        try:
            np.broadcast_shapes(self.shape[:-2], other.shape[:-2])
        except ValueError:
            raise ValueError(f'Tensor.matmul: shapes {self.shape} and {other.shape}: the batch '
                             f'axes {self.shape[:-2]} and {other.shape[:-2]} do not broadcast') from None
        return _structural('matmul', (self, other))

    def __getitem__(self, index: Any) -> Tensor:
        """Elements picked by NumPy indexing; an integer array gathers rows (an embedding lookup).

        >>> table = Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
        >>> table[[2, 0, 2]].tolist()
        [[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]
        """
        index = _check_index(index, self)
        return _structural('getitem', (self,), index=index)

    def gather(self, indices: Any, axis: int = 0) -> Tensor:
        """Slices ``indices`` along ``axis`` (``table.gather(tokens)`` looks up embedding rows).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).gather([1, 1], axis=1).tolist()
        [[2.0, 2.0], [4.0, 4.0]]
        """
        axis = _check_axis(axis, self, 'gather')
        assert isinstance(axis, int)
        return self[(slice(None),) * axis + (np.asarray(indices),)]

    # -- the backward pass -------------------------------------------------------------

    def backward(self, gradient: Operand | None = None) -> None:
        """Fill ``grad`` of every tensor this one depends on with d self / d tensor.

        ``gradient`` (default: ones, shaped like self) is the vector of the
        vector-Jacobian product. Leaves accumulate; intermediate tensors show this pass.

        >>> x = Tensor([1.0, 2.0]); y = x * x
        >>> y.backward(); y.backward()
        >>> x.grad.tolist()
        [4.0, 8.0]
        """
        seed = self._seed(gradient, 'backward')
        gradients = _propagate(self, seed)
        for node, g in gradients.items():
            if node._constant:
                continue
            if node._op:
                node.grad = g
            elif node.grad is None:
                node.grad = np.array(g, dtype=np.float64)
            else:
                node.grad = node.grad + g

    def _seed(self, gradient: Operand | None, what: str) -> np.ndarray:
        if gradient is None:
            return np.ones(self.shape)
        seed = as_array(gradient, f'{what} gradient')
        if seed.shape != self.shape:
            raise ValueError(f'{what}: the gradient has shape {seed.shape}, the tensor has shape '
                             f'{self.shape}; they must match')
        return seed

    def zero_grad(self) -> None:
        """Set ``grad`` to zeros on this tensor and every tensor it depends on."""
        for node in _backward_order(self):
            node.grad = None if node._constant else np.zeros(node.shape)


def _leaf(array: np.ndarray, *, constant: bool = False, label: str = '') -> Tensor:
    node = Tensor.__new__(Tensor)
    node.data = array
    node.grad = None if constant else np.zeros(array.shape)
    node.label = label
    node._op = ''
    node._parents = ()
    node._params = None
    node._constant = constant
    return node


def _node(out: np.ndarray, op: str, parents: tuple[Tensor, ...], params: Any) -> Tensor:
    node = Tensor.__new__(Tensor)
    node.data = out
    node.grad = None
    node.label = ''
    if is_grad_enabled():
        node._op = op
        node._parents = parents
        node._params = params
        node._constant = False
    else:  # under no_grad: a plain leaf, as with Values
        node._op = ''
        node._parents = ()
        node._params = None
        node._constant = False
    return node


def _operand(x: Operand, op: str, other: Tensor) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if type(x) is float or type(x) is int:
        return _leaf(np.array(float(x)), constant=True)
    try:
        return _leaf(as_array(x, f'Tensor.{op}'), constant=True)
    except (TypeError, ValueError) as error:
        raise type(error)(f'{error} (the other operand has shape {other.shape})') from None


def as_tensor(x: Operand) -> Tensor:
    """``x`` itself when a Tensor, else a new leaf holding it.

    >>> as_tensor(2).shape
    ()
    """
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_axis(axis: Any, tensor: Tensor, op: str) -> Any:
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f'Tensor.{op}: axis must be an int, a tuple of ints or None, not {axis!r}')
        if not -tensor.ndim <= a < max(tensor.ndim, 1) or (tensor.ndim == 0):
            raise ValueError(f'Tensor.{op}: axis {a} is out of range for shape {tensor.shape}')
    normal = tuple(int(a) % tensor.ndim for a in axes)
    if len(set(normal)) != len(normal):
        raise ValueError(f'Tensor.{op}: axis {axis} repeats an axis')
    return normal if isinstance(axis, tuple) else normal[0]


def _check_index(index: Any, tensor: Tensor) -> Any:
    parts = index if isinstance(index, tuple) else (index,)
    checked = []
    for part in parts:
        if isinstance(part, Tensor):
            raise TypeError('Tensor index: index with integers, slices or an integer array, not a '
                            'Tensor (its .data holds floats)')
        if isinstance(part, (list, np.ndarray)):
            array = np.asarray(part)
            if array.dtype.kind not in 'biu' and array.size:
                raise TypeError(f'Tensor index: an index array must hold integers or booleans, '
                                f'not {array.dtype}')
            part = array.astype(np.intp) if array.dtype.kind != 'b' else array
        checked.append(part)
    index = tuple(checked) if isinstance(index, tuple) else checked[0]
    try:
        tensor.data[index]
    except IndexError as error:
        raise IndexError(f'Tensor index {index!r} does not fit shape {tensor.shape}: {error}'[:300]) from None
    return index


def _structural(name: str, parents: tuple[Tensor, ...], **params: Any) -> Tensor:
    op = STRUCTURAL[name]
    out = op.forward(*(p.data for p in parents), **params)
    return _node(np.asarray(out, dtype=np.float64), name, parents, params)


# -- elementwise operations: one method per row of the operation table ---------------------

# The scalar forward of each row, for the rare case an array result is not finite: it
# decides, element by element, whether the scalar engine would refuse these numbers.
_SCALAR_FORWARD = {name: function((op.forward,), dict(FUNCTIONS)) for name, op in OPS.items()}

# Rows whose forward can warn (a division, or a helper that can overflow or leave its
# domain): those run inside np.errstate, which costs a few microseconds, and have their
# results checked. The others (+, -, ×, relu, ...) need neither.
_GUARDED = frozenset(name for name, op in OPS.items() if '/' in op.forward or '(' in op.forward)


def _refuse(name: str, out: np.ndarray, a: np.ndarray, b: np.ndarray | None, k: float | None,
            shapes: str) -> None:
    """Raise the scalar engine's error for the first element it would refuse, if any."""
    arrays = np.broadcast_arrays(out, a) if b is None else np.broadcast_arrays(out, a, b)
    suspects = ~np.isfinite(arrays[0])
    for operand in arrays[1:]:
        suspects &= np.isfinite(operand)
    for position in list(zip(*np.nonzero(suspects)))[:100]:
        numbers_ = [float(x[position]) for x in arrays[1:]]
        try:
            _SCALAR_FORWARD[name](numbers_[0], numbers_[1] if b is not None else None, k, None)
        except (ArithmeticError, ValueError) as error:
            where = tuple(int(i) for i in position)
            operands = ', '.join(f'{letter} = {x!r}' for letter, x in zip('ab', numbers_))
            reason = OPS[name].problem or str(error)
            raise type(error)(f'Tensor.{name} on {shapes}: {reason} (at index {where}: '
                              f'{operands}{f", k = {k!r}" if k is not None else ""})') from None


def _elementwise(name: str, a_tensor: Tensor, b_tensor: Tensor | None, k: float | None) -> Tensor:
    forward = ROWS[name][0]
    a = a_tensor.data
    b = None if b_tensor is None else b_tensor.data
    try:
        if name in _GUARDED:
            with np.errstate(all='ignore'):
                out = forward(a, b, k, None)[0]
        else:
            out = forward(a, b, k, None)[0]
    except ValueError as error:
        if b is not None and 'broadcast' in str(error):
            raise ValueError(f'Tensor.{name}: shapes {a.shape} and {b.shape} do not broadcast '
                             f'(each axis, from the right, must be equal or 1)') from None
        raise
    if type(out) is not np.ndarray:
        out = np.asarray(out, dtype=np.float64)
    if name in _GUARDED and not math.isfinite(out.sum()):
        shapes = f'shape {a.shape}' if b is None else f'shapes {a.shape} and {b.shape}'
        _refuse(name, out, a, b, k, shapes)
    if b_tensor is None:
        return _node(out, name, (a_tensor,), k)
    return _node(out, name, (a_tensor, b_tensor), None)


def _unary_method(name: str):
    def method(self: Tensor) -> Tensor:
        return _elementwise(name, self, None, None)
    return method


def _constant_method(name: str):
    def method(self: Tensor, k: float) -> Tensor:
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f'Tensor.{name}: the constant must be a real number, not {type(k).__name__}')
        return _elementwise(name, self, None, float(k))
    return method


def _binary_method(name: str, reflected: bool = False):
    if reflected:
        def method(self: Tensor, other: Operand) -> Tensor:
            return _elementwise(name, _operand(other, name, self), self, None)
    else:
        def method(self: Tensor, other: Operand) -> Tensor:
            return _elementwise(name, self, _operand(other, name, self), None)
    return method


_OPERATORS = {
    '__add__': ('add', False), '__radd__': ('add', True),
    '__sub__': ('sub', False), '__rsub__': ('sub', True),
    '__mul__': ('mul', False), '__rmul__': ('mul', True),
    '__truediv__': ('div', False), '__rtruediv__': ('div', True),
}

for _name, _op in OPS.items():
    if _op.constant:
        _method = _constant_method(_name)
    elif _op.arity == 2:
        _method = _binary_method(_name)
    else:
        _method = _unary_method(_name)
    _method.__name__ = _name
    _method.__qualname__ = f'Tensor.{_name}'
    _method.__doc__ = (f'``{_name}`` elementwise, from its row of the operation table: '
                       f'out = {_op.forward}; d out / d parents = ({", ".join(_op.local)})')
    setattr(Tensor, _name, _method)
for _dunder, (_name, _reflected) in _OPERATORS.items():
    _method = _binary_method(_name, _reflected)
    _method.__name__ = _dunder
    _method.__qualname__ = f'Tensor.{_dunder}'
    setattr(Tensor, _dunder, _method)
Tensor.__neg__ = Tensor.neg  # type: ignore[method-assign]
Tensor.__abs__ = Tensor.abs  # type: ignore[method-assign]


# -- functions of several tensors ----------------------------------------------------------

def _several(tensors: Sequence[Operand], op: str) -> tuple[Tensor, ...]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f'{op} needs a non-empty list of tensors')
    return tuple(t if isinstance(t, Tensor) else _leaf(as_array(t, op), constant=True) for t in tensors)


def _join(name: str, tensors: Sequence[Operand], axis: int, new_axis: bool) -> Tensor:
    parts = _several(tensors, name)
    try:
        (np.stack if new_axis else np.concatenate)([p.data for p in parts], axis=axis)
    except (ValueError, np.exceptions.AxisError) as error:
        raise ValueError(f'{name}: shapes {", ".join(str(p.shape) for p in parts)} along '
                         f'axis {axis}: {error}') from None
    return _structural(name, parts, axis=axis % (parts[0].ndim + new_axis))


def concatenate(tensors: Sequence[Operand], axis: int = 0) -> Tensor:
    """The tensors joined along an existing axis.

    >>> concatenate([Tensor([1.0]), Tensor([2.0, 3.0])]).tolist()
    [1.0, 2.0, 3.0]
    """
    return _join('concatenate', tensors, axis, new_axis=False)


def stack(tensors: Sequence[Operand], axis: int = 0) -> Tensor:
    """The tensors, all of one shape, stacked along a new axis.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    return _join('stack', tensors, axis, new_axis=True)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``, built from exp, sum and a division.

    The largest element is subtracted first as a constant (no gradient flows through it):
    softmax does not change when every input moves by the same amount, and exp() then
    never overflows.

    >>> [round(p, 4) for p in softmax(Tensor([1.0, 2.0, 3.0])).tolist()]
    [0.09, 0.2447, 0.6652]
    """
    exps = (x - _leaf(x.data.max(axis=axis, keepdims=True), constant=True)).exp()
    return exps / exps.sum(axis, keepdims=True)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, as x - max - log(sum(exp(x - max))).

    >>> round(log_softmax(Tensor([0.0, 0.0])).tolist()[0], 6)
    -0.693147
    """
    shifted = x - _leaf(x.data.max(axis=axis, keepdims=True), constant=True)
    return shifted - shifted.exp().sum(axis, keepdims=True).log()


def cross_entropy(logits: Tensor, targets: Any) -> Tensor:
    """Mean over rows of -log softmax(logits)[row, target]: the classifier's loss.

    >>> round(cross_entropy(Tensor([[2.0, 0.0], [0.0, 2.0]]), [0, 1]).item(), 6)
    0.126928
    """
    if logits.ndim != 2:
        raise ValueError(f'cross_entropy needs logits of shape (rows, classes), not {logits.shape}')
    targets = np.asarray(targets)
    if targets.shape != logits.shape[:1] or targets.dtype.kind not in 'iu':
        raise ValueError(f'cross_entropy: targets must be {logits.shape[0]} class indices (one per '
                         f'row of the {logits.shape} logits), not {targets.shape} of {targets.dtype}')
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError(f'cross_entropy: a target is outside 0..{logits.shape[1] - 1}')
    picked = log_softmax(logits, -1)[np.arange(len(targets)), targets]
    return -picked.mean()


# -- reverse mode ----------------------------------------------------------------------------

def _backward_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on, each once, each after all of its consumers (Kahn)."""
    waiting = {root: 0}
    stack_ = [root]
    while stack_:
        node = stack_.pop()
        for parent in node._parents:
            if parent in waiting:
                waiting[parent] += 1
            else:
                waiting[parent] = 1
                stack_.append(parent)
    order = []
    ready = [root]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node._parents:
            waiting[parent] -= 1
            if not waiting[parent]:
                ready.append(parent)
    return order


def _vjp(node: Tensor, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """The gradients of ``node``'s parents from its own: the one backward step of every node."""
    parents = node._parents
    op = node._op
    if op in ROWS:
        a = parents[0].data
        b = parents[1].data if len(parents) == 2 else None
        locals_ = ROWS[op][1](a, b, node._params, node.data)
        return tuple(None if parent._constant else unbroadcast(g * local, parent.shape)
                     for parent, local in zip(parents, locals_))
    return STRUCTURAL[op].vjp(g, tuple(p.data for p in parents), node.data, node._params)


def _propagate(root: Tensor, seed: np.ndarray) -> dict[Tensor, np.ndarray]:
    """d root / d node for every node, ``seed`` being d root / d root (the VJP's vector)."""
    gradients: dict[Tensor, np.ndarray] = {root: seed}
    # One errstate for the whole pass: a local derivative may be inf (sqrt at 0), as in
    # the scalar engine, without a warning per operation.
    with np.errstate(all='ignore'):
        for node in _backward_order(root):
            if not node._op:
                continue
            for parent, g in zip(node._parents, _vjp(node, gradients[node])):
                if g is None or parent._constant:
                    continue
                if parent in gradients:
                    gradients[parent] = gradients[parent] + g
                else:
                    gradients[parent] = g
    return gradients


def grad(output: Tensor, inputs: Tensor | Sequence[Tensor],
         gradient: Operand | None = None) -> list[np.ndarray]:
    """d output / d input for each input, as arrays; no ``.grad`` changes anywhere.

    As ``torch.autograd.grad``: ``gradient`` is the vector of the vector-Jacobian
    product (ones by default). An input ``output`` does not depend on gets zeros.

    >>> x = Tensor([1.0, 2.0]); y = (x * x).sum()
    >>> grad(y, [x])[0].tolist(), x.grad.tolist()
    ([2.0, 4.0], [0.0, 0.0])
    """
    if not isinstance(output, Tensor):
        raise TypeError(f'grad() needs a Tensor output, not {type(output).__name__}')
    listed = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for position, x in enumerate(listed):
        if not isinstance(x, Tensor):
            raise TypeError(f'grad() inputs must be Tensors; inputs[{position}] is {type(x).__name__}')
    gradients = _propagate(output, output._seed(gradient, 'grad()'))
    return [np.array(gradients[x]) if x in gradients else np.zeros(x.shape) for x in listed]
