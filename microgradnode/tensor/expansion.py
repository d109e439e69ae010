"""From tensors back to scalars: re-run a tensor program element by element on Values.

:func:`expand` walks the graph of a Tensor and builds, for each tensor operation, the
scalar graph it stands for: an elementwise row becomes one Value operation per element
(the very method of :class:`~microgradnode.Value` the row generates); a structural
operation runs its forward on arrays of Values, so a 2×3 @ 3×2 product becomes its 12
products and the sums that add them up, and a sum over an axis becomes a chain of
additions. ``backward()`` on an element of the expanded output then fills the
Values of the leaves, and those numbers are the tensor's gradient, element by element:
the proof that a matrix rule such as ``dL/dW = Xᵀ · dL/dY`` is a sum of scalar chain
rules.

>>> from microgradnode.tensor import Tensor
>>> x = Tensor([[1.0, 2.0]], 'x'); w = Tensor([[3.0], [4.0]], 'w')
>>> scalars = expand((x @ w).sum())
>>> scalars.output.shape, scalars.output.item().data
((), 11.0)
>>> scalars.output.item().backward()
>>> [v.grad for v in scalars.inputs[w].ravel()]
[1.0, 2.0]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Value
from .core import Tensor, _backward_order
from .structural import STRUCTURAL

__all__ = ['expand', 'Expansion', 'MAX_ELEMENTS']

MAX_ELEMENTS = 200_000
"""Largest number of scalar results an expansion may create: a scalar graph grows fast."""


@dataclass
class Expansion:
    """The scalar graph of a tensor program.

    ``output`` is an array of Values shaped like the expanded tensor; ``inputs`` maps each
    leaf Tensor (constants included) to its array of Values; ``values`` maps every tensor
    of the program to its array of Values; ``made_by`` maps each Value an operation created
    to the tensor whose operation created it (what folded diagrams group by).
    """

    output: np.ndarray
    inputs: dict[Tensor, np.ndarray]
    values: dict[Tensor, np.ndarray]
    made_by: dict[Value, Tensor] = field(default_factory=dict)

    def total(self) -> Value:
        """The sum of the output's elements, as one Value (the output itself when it is one)."""
        flat = list(self.output.ravel())
        total = flat[0]
        for value in flat[1:]:
            total = total + value
        return total


def _element_name(label: str, index: tuple[int, ...]) -> str:
    return f'{label}[{",".join(map(str, index))}]' if index else label


def _leaf_values(tensor: Tensor, name: str) -> np.ndarray:
    values = np.empty(tensor.shape, dtype=object)
    for index in itertools.product(*(range(n) for n in tensor.shape)):
        values[index] = Value(float(tensor.data[index]), _element_name(name, index) if name else '')
    return values


def _apply(method: str, *operands: Any, k: float | None = None) -> np.ndarray:
    if k is not None:
        return np.frompyfunc(lambda a: getattr(a, method)(k), 1, 1)(*operands)
    return np.frompyfunc(lambda *args: getattr(args[0], method)(*args[1:]), len(operands), 1)(*operands)


def _claim(result: np.ndarray, parents: list[np.ndarray], node: Tensor, made_by: dict[Value, Tensor]) -> None:
    # Every Value between the operation's inputs and its results was made by it (the
    # products inside a matrix product, the partial sums of a sum): walk back from each
    # result until an input's Value is met.
    known = {id(v) for p in parents for v in p.ravel()}
    stack = [v for v in result.ravel() if isinstance(v, Value)]
    while stack:
        value = stack.pop()
        if id(value) in known or value in made_by or value.is_leaf and not value.op:
            if value.is_leaf and id(value) not in known and value not in made_by:
                made_by[value] = node  # a constant the operation introduced
            continue
        made_by[value] = node
        stack.extend(value.parents)


def expand(t: Tensor, *, max_elements: int = MAX_ELEMENTS) -> Expansion:
    """Re-run the computation of ``t`` element by element on Values (see the module docstring).

    Leaves become Values labelled ``label[i,j]`` (unlabelled leaves are called ``t0``,
    ``t1``, ... in the order they are met; constants keep no label).
    """
    if not isinstance(t, Tensor):
        raise TypeError(f'expand() needs a Tensor, not {type(t).__name__}')
    order = _backward_order(t)
    order.reverse()  # parents first
    count = sum(node.size for node in order)
    if count > max_elements:
        raise ValueError(f'expand(): the program has {count:,} elements in all, more than '
                         f'max_elements={max_elements:,}; expand a smaller example')
    values: dict[Tensor, np.ndarray] = {}
    inputs: dict[Tensor, np.ndarray] = {}
    made_by: dict[Value, Tensor] = {}
    unnamed = 0
    for node in order:
        if not node._op:
            name = node.label
            if not name and not node._constant:
                name, unnamed = f't{unnamed}', unnamed + 1
            values[node] = inputs[node] = _leaf_values(node, name)
            continue
        parents = [values[p] for p in node._parents]
        if node._op in STRUCTURAL:
            result = STRUCTURAL[node._op].forward(*parents, **node._params)
        elif len(parents) == 2:
            result = _apply(node._op, *parents)
        else:
            result = _apply(node._op, parents[0], k=node._params)
        result = np.asarray(result, dtype=object)
        _claim(result, parents, node, made_by)
        operation = node.label or f'{node.op}{len(values)}'
        inputs_of_op = [v for p in parents for v in p.ravel()]
        for index in np.ndindex(*result.shape):
            value = result[index]
            if not isinstance(value, Value) or made_by.get(value) is not node:
                continue  # reshape, transpose, indexing: the element was made earlier
            if node.label and not value.label:  # name the results as the tensor's elements: Y[0,1]
                value.label = _element_name(node.label, index)
            # The record nn modules leave on their outputs, read by the diagrams' grouping and
            # folding: draw(v, group='module') clusters by tensor operation, fold='layer' draws
            # each operation as one box, fold='neuron' each element of its result.
            value._module = (f'{operation}.[{",".join(map(str, index))}]', inputs_of_op)
        values[node] = result
    return Expansion(values[t], inputs, values, made_by)
