"""Loss functions over lists of Values, each composed of engine operations only.

Every loss returns one Value, the mean over the samples, so ``loss.backward()``
reaches every weight. Labels for the classification losses name the class: +1 for
the positive class and -1 (or 0) for the negative one; a score above 0 predicts +1.

``l2=`` adds ``l2 * sum(p * p for p in parameters)`` (weight decay) to any loss.

>>> from microgradnode import Value
>>> scores = [Value(2.0), Value(-0.5)]
>>> hinge(scores, [1, -1]).data
0.25
>>> round(binary_cross_entropy([Value(1000.0), Value(-1000.0)], [1, 0]).data, 12)
0.0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

from ..engine import Value

__all__ = ['mse', 'hinge', 'binary_cross_entropy', 'softplus', 'l2_penalty', 'LOSSES']

Score = Value | float


def _total(values: Iterable[Value]) -> Value:
    # sum() would start from 0 and add one useless node; start from the first term.
    iterator = iter(values)
    total = next(iterator)
    for v in iterator:
        total = total + v
    return total


def _mean(values: list[Value]) -> Value:
    return _total(values) * (1.0 / len(values))


def _values(scores: Sequence[Score]) -> list[Value]:
    # Plain numbers are allowed as scores (a constant prediction): make them leaves, so
    # that every loss is a Value whatever it was given.
    return [s if isinstance(s, Value) else Value(s) for s in scores]


def _check_pairs(scores: Sequence[Score], targets: Sequence[float], loss: str) -> None:
    if len(scores) != len(targets):
        raise ValueError(f'{loss}: {len(scores)} predictions but {len(targets)} targets')
    if not scores:
        raise ValueError(f'{loss}: no predictions (an empty batch has no mean)')


def _signs(labels: Sequence[float], loss: str) -> list[float]:
    """Labels as -1.0 / +1.0; 0 counts as the negative class."""
    signs: list[float] = []
    for label in labels:
        if isinstance(label, numbers.Real) and label in (-1, 0, 1):
            signs.append(1.0 if label == 1 else -1.0)
        else:
            raise ValueError(f'{loss}: labels must be +1 (positive class) or -1 / 0 (negative class), '
                             f'not {label!r}')
    return signs


def l2_penalty(parameters: Iterable[Value], strength: float) -> Value | float:
    """``strength * sum(p * p)``: pulls weights towards 0 (weight decay).

    >>> l2_penalty([Value(3.0), Value(-4.0)], 0.01).data
    0.25
    """
    if not isinstance(strength, numbers.Real) or not math.isfinite(strength) or strength < 0:
        raise ValueError(f'l2 strength must be a finite number >= 0, not {strength!r}')
    params = list(parameters)
    if not strength or not params:
        return 0.0
    return _total(p * p for p in params) * float(strength)


def _regularised(data_loss: Value, l2: float, parameters: Iterable[Value] | None) -> Value:
    if not l2:
        return data_loss
    if parameters is None:
        raise ValueError('l2 regularisation needs the parameters: pass parameters=model.parameters()')
    return data_loss + l2_penalty(parameters, l2)


def mse(predictions: Sequence[Score], targets: Sequence[float], *, l2: float = 0.0,
        parameters: Iterable[Value] | None = None) -> Value:
    """Mean squared error, ``mean((prediction - target) ** 2)``.

    >>> mse([Value(1.0), Value(3.0)], [0.0, 1.0]).data
    2.5
    """
    _check_pairs(predictions, targets, 'mse')
    return _regularised(_mean([(p - t) ** 2 for p, t in zip(_values(predictions), targets)]), l2, parameters)


def hinge(scores: Sequence[Score], labels: Sequence[float], *, l2: float = 0.0,
          parameters: Iterable[Value] | None = None) -> Value:
    """Max-margin loss ``mean(relu(1 - label * score))``: 0 once each score is on the
    right side of 0 by a margin of 1.

    >>> hinge([Value(0.5)], [1]).data
    0.5
    """
    _check_pairs(scores, labels, 'hinge')
    signs = _signs(labels, 'hinge')
    return _regularised(_mean([(1.0 - y * s).relu() for s, y in zip(_values(scores), signs)]), l2, parameters)


def softplus(z: Value) -> Value:
    """``log(1 + exp(z))``: the engine's ``softplus`` operation (local derivative sigmoid(z)).

    Never overflows and keeps small terms: softplus(-40) is about 4.25e-18, not 0.

    >>> round(softplus(Value(0.0)).data, 6), softplus(Value(1000.0)).data
    (0.693147, 1000.0)
    """
    return z.softplus()


def binary_cross_entropy(logits: Sequence[Score], labels: Sequence[float], *, l2: float = 0.0,
                         parameters: Iterable[Value] | None = None) -> Value:
    """Cross-entropy of ``sigmoid(logit)`` against 0/1 labels, computed from the logits.

    ``-[y log σ(z) + (1 - y) log(1 - σ(z))]`` equals ``softplus(z) - y z``; that form
    never takes log(0), so a confident prediction (logit ±1000) gives a finite loss
    and the gradient ``σ(z) - y``.

    >>> binary_cross_entropy([Value(-1000.0)], [1]).data
    1000.0
    """
    _check_pairs(logits, labels, 'binary_cross_entropy')
    ones = [(y + 1.0) / 2.0 for y in _signs(labels, 'binary_cross_entropy')]
    terms = [softplus(z) - y * z for z, y in zip(_values(logits), ones)]
    return _regularised(_mean(terms), l2, parameters)


LOSSES = {'hinge': hinge, 'bce': binary_cross_entropy, 'mse': mse}
"""Losses by their command-line names."""
