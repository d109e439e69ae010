"""Optimizers: how a parameter's ``data`` moves, given the ``grad`` backward() left on it.

Each ``step()`` is a few lines over ``parameters()``, written the way PyTorch's
``torch.optim`` defines it (same formulas, same defaults), so the two agree step by step.

>>> from microgradnode import Value
>>> w = Value(3.0)
>>> opt = SGD([w], lr=0.1)
>>> for _ in range(100):
...     opt.zero_grad()
...     loss = (w - 1.0) ** 2
...     loss.backward()
...     opt.step()
>>> round(w.data, 6)
1.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from ..engine import Value, float_of

__all__ = ['Optimizer', 'SGD', 'Momentum', 'Adam', 'OPTIMIZERS']


def _check_rate(value: object, name: str, *, upper: float = math.inf) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        float_of(value, name)  # 10 ** 400 is too large, said so rather than a bare OverflowError
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not (0.0 <= float(value) < upper) or not math.isfinite(value):
        bound = '' if upper == math.inf else f' and below {upper:g}'
        raise ValueError(f'{name} must be a finite number >= 0{bound}, not {value!r}')
    return float(value)


class Optimizer:
    """Holds the parameters and the learning rate ``lr``; subclasses define ``step()``."""

    def __init__(self, parameters: Iterable[Value], *, lr: float) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError(f'{type(self).__name__} got no parameters to optimize')
        for p in self.parameters:
            if not isinstance(p, Value):
                raise TypeError(f'{type(self).__name__} optimizes Values, not {type(p).__name__}')
        self.lr = _check_rate(lr, 'lr (learning rate)')

    def zero_grad(self) -> None:
        """Reset every parameter's ``grad`` to 0: backward() adds to it.

        >>> w = Value(1.0); w.grad = 5.0; SGD([w], lr=0.1).zero_grad(); w.grad
        0.0
        """
        for p in self.parameters:
            p.grad = 0.0

    def step(self) -> None:
        """Move every parameter once, using its current ``grad``.

        >>> w = Value(1.0); w.grad = 2.0; SGD([w], lr=0.1).step(); w.data
        0.8
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        n = len(self.parameters)
        return f'{type(self).__name__}({n} parameter{"" if n == 1 else "s"}, lr={self.lr:g})'


class SGD(Optimizer):
    """Plain gradient descent: ``p -= lr * grad``.

    >>> SGD([Value(1.0)], lr=0.5)
    SGD(1 parameter, lr=0.5)
    """

    def step(self) -> None:
        for p in self.parameters:
            p.data -= self.lr * p.grad


class Momentum(Optimizer):
    """Gradient descent with momentum: a velocity that remembers past gradients.

    ``v = momentum * v + grad; p -= lr * v`` (PyTorch's SGD with ``momentum=``).

    >>> w = Value(0.0); opt = Momentum([w], lr=0.1, momentum=0.5)
    >>> w.grad = 1.0; opt.step(); opt.step(); round(w.data, 6)
    -0.25
    """

    def __init__(self, parameters: Iterable[Value], *, lr: float, momentum: float = 0.9) -> None:
        super().__init__(parameters, lr=lr)
        self.momentum = _check_rate(momentum, 'momentum', upper=1.0)
        self.velocity = [0.0] * len(self.parameters)

    def step(self) -> None:
        for i, p in enumerate(self.parameters):
            self.velocity[i] = v = self.momentum * self.velocity[i] + p.grad
            p.data -= self.lr * v


class Adam(Optimizer):
    """Adam: a step per parameter scaled by running averages of its gradient and its square.

    ``m`` averages the gradient, ``v`` its square; both start at 0, so they are divided
    by ``1 - beta ** t`` to undo that bias in the first steps.

    >>> w = Value(0.0); w.grad = 3.0; opt = Adam([w], lr=0.01); opt.step()
    >>> round(w.data, 6)  # the first step is lr in size, whatever the gradient's scale
    -0.01
    """

    def __init__(self, parameters: Iterable[Value], *, lr: float = 0.001, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(parameters, lr=lr)
        self.beta1 = _check_rate(beta1, 'beta1', upper=1.0)
        self.beta2 = _check_rate(beta2, 'beta2', upper=1.0)
        self.eps = _check_rate(eps, 'eps')
        self.m = [0.0] * len(self.parameters)
        self.v = [0.0] * len(self.parameters)
        self.t = 0

    def step(self) -> None:
        self.t += 1
        unbias1 = 1.0 - self.beta1 ** self.t
        unbias2 = 1.0 - self.beta2 ** self.t
        for i, p in enumerate(self.parameters):
            g = p.grad
            self.m[i] = m = self.beta1 * self.m[i] + (1.0 - self.beta1) * g
            self.v[i] = v = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g
            p.data -= self.lr * (m / unbias1) / (math.sqrt(v / unbias2) + self.eps)


OPTIMIZERS = {'sgd': SGD, 'momentum': Momentum, 'adam': Adam}
"""Optimizers by their command-line names."""
