"""The textbook engine: reverse-mode autodiff on one page. Read this first.

Every operation on a ``Value`` makes a new Value that remembers its parents and, for
each parent, the local derivative d out / d parent, worked out right there, beside the
forward formula. ``backward()`` then applies the chain rule from the output back:
each value hands ``its grad × local derivative`` to each parent, in an order where a
value goes only once all the values computed from it have handed theirs over.

It computes what ``microgradnode.Value`` computes, bit for bit (the formulas of the
operation table, ops/table.py); the real engine is the same algorithm made fast and safe
(docs/engine.md: what it does differently, and why).

>>> x = Value(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> y.data, x.grad
(15.0, 8.0)
"""

from __future__ import annotations

import math

__all__ = ['Value', 'topological_order']


class Value:
    """One number, with the gradient d (output) / d (this number) once backward() has run."""

    def __init__(self, data: float, label: str = '') -> None:
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._op = ''       # the operation that made it, named as in the operation table
        self._edges: tuple[tuple[Value, float], ...] = ()  # (parent, d self / d parent), in order

    def __repr__(self) -> str:
        return f'Value(data={self.data!r}, grad={self.grad!r})'

    def _result(self, data: float, op: str, *edges: tuple[Value, float]) -> Value:
        """The Value ``op`` made: its data, and each parent with its local derivative."""
        out = type(self)(data)
        out._op, out._edges = op, edges
        return out

    def _wrap(self, other: Value | float) -> Value:
        return other if isinstance(other, Value) else type(self)(other)

    # -- the operations: forward formula, and beside it d out / d each input ----------------

    def __add__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        return self._result(self.data + other.data, 'add', (self, 1.0), (other, 1.0))

    def __sub__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        return self._result(self.data - other.data, 'sub', (self, 1.0), (other, -1.0))

    def __mul__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        return self._result(self.data * other.data, 'mul', (self, other.data), (other, self.data))

    def __truediv__(self, other: Value | float) -> Value:
        other = self._wrap(other)
        out = self.data / other.data
        return self._result(out, 'div', (self, 1.0 / other.data), (other, -out / other.data))

    def __neg__(self) -> Value:
        return self._result(-self.data, 'neg', (self, -1.0))

    def __pow__(self, k: float) -> Value:  # a number exponent: d a^k / da = k a^(k-1)
        assert isinstance(k, (int, float)), 'the exponent is a plain number'
        k = float(k)
        return self._result(self.data ** k, 'pow', (self, k * self.data ** (k - 1.0)))

    def exp(self) -> Value:
        out = math.exp(self.data)
        return self._result(out, 'exp', (self, out))

    def log(self) -> Value:
        return self._result(math.log(self.data), 'log', (self, 1.0 / self.data))

    def tanh(self) -> Value:
        out = math.tanh(self.data)
        return self._result(out, 'tanh', (self, 1.0 - out * out))

    def sigmoid(self) -> Value:
        x = self.data  # written so that exp() never sees a large positive number
        out = 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))
        return self._result(out, 'sigmoid', (self, out * (1.0 - out)))

    def relu(self) -> Value:
        x = self.data
        return self._result(0.0 if x <= 0.0 else x, 'relu', (self, 0.0 if x <= 0.0 else 1.0))

    # 2 + x, 2 - x, 2 * x, 2 / x: the number becomes a Value on the left
    def __radd__(self, other: Value | float) -> Value:
        return self._wrap(other) + self

    def __rsub__(self, other: Value | float) -> Value:
        return self._wrap(other) - self

    def __rmul__(self, other: Value | float) -> Value:
        return self._wrap(other) * self

    def __rtruediv__(self, other: Value | float) -> Value:
        return self._wrap(other) / self

    # -- backpropagation ---------------------------------------------------------------------

    def _propagate(self) -> None:
        """The chain rule at one value: each parent gets grad × local derivative."""
        for parent, local in self._edges:
            parent.grad += local * self.grad  # +=: a value used twice gets both shares

    def backward(self) -> None:
        """Fill ``grad`` of every value this one was computed from with d self / d value.

        As in PyTorch, inputs (leaves) add to the grad they have (call zero_grad between
        training steps), while computed values show the gradient of this pass only.
        """
        order = topological_order(self)
        for node in order:
            if node._edges:
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):  # the output first, each value after its consumers
            node._propagate()

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this value and on everything it was computed from."""
        for node in topological_order(self):
            node.grad = 0.0


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, once each, parents before children, root last.

    Depth first with a list as the stack, not by recursion: a chain of a million values
    needs no deeper Python stack than a chain of two.

    >>> x = Value(1.0, 'x'); y = x * x; z = y + x
    >>> [v.label or v._op for v in topological_order(z)]
    ['x', 'mul', 'add']
    """
    order: list[Value] = []
    seen, stack = set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))  # comes off the stack after all its parents
            stack.extend((parent, False) for parent, _ in reversed(node._edges))
    return order
