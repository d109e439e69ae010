"""Small two-dimensional classification datasets, seeded, with no dependencies.

Each function returns ``(points, labels)``: a list of ``[x, y]`` pairs and a list of
labels, +1 or -1. The same ``seed`` always gives the same data.

>>> points, labels = moons(6, seed=1)
>>> len(points), sorted(set(labels))
(6, [-1, 1])
"""

from __future__ import annotations

import math
import numbers
import random

__all__ = ['moons', 'circles', 'xor', 'DATASETS']

Data = tuple[list[list[float]], list[int]]


def _check(n: object, noise: object, *, multiple: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < multiple or n % multiple:
        what = 'a positive integer' if multiple == 1 else f'a positive multiple of {multiple}'
        raise ValueError(f'number of samples must be {what}, not {n!r}')
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) \
            or not math.isfinite(noise) or noise < 0:
        raise ValueError(f'noise must be a finite number >= 0, not {noise!r}')


def _jitter(rng: random.Random, x: float, y: float, noise: float) -> list[float]:
    return [x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] if noise else [x, y]


def moons(n: int = 100, *, noise: float = 0.1, seed: int = 0) -> Data:
    """Two interleaving half circles: label -1 on the upper arc, +1 on the lower one.

    >>> points, labels = moons(4, noise=0.0)
    >>> labels
    [-1, 1, -1, 1]
    """
    _check(n, noise)
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        angle = math.pi * rng.random()
        if i % 2 == 0:   # upper arc, centred on (0, 0)
            x, y, label = math.cos(angle), math.sin(angle), -1
        else:            # lower arc, shifted right and down so the two interlock
            x, y, label = 1.0 - math.cos(angle), 0.5 - math.sin(angle), 1
        points.append(_jitter(rng, x, y, noise))
        labels.append(label)
    return points, labels


def circles(n: int = 100, *, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Data:
    """A ring of radius 1 (label -1) around a ring of radius ``factor`` (label +1).

    >>> points, labels = circles(2, noise=0.0, factor=0.5)
    >>> [round(math.hypot(*p), 6) for p in points], labels
    ([1.0, 0.5], [-1, 1])
    """
    _check(n, noise)
    if not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f'factor (inner radius / outer radius) must be between 0 and 1, not {factor!r}')
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        angle = 2.0 * math.pi * rng.random()
        radius, label = (1.0, -1) if i % 2 == 0 else (float(factor), 1)
        points.append(_jitter(rng, radius * math.cos(angle), radius * math.sin(angle), noise))
        labels.append(label)
    return points, labels


def xor(n: int = 4, *, noise: float = 0.0, seed: int = 0) -> Data:
    """The XOR truth table: corners of the unit square, +1 where exactly one input is 1.

    ``n`` is a multiple of 4 (copies of the four corners); ``noise`` blurs the copies.

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [-1, 1, 1, -1])
    """
    _check(n, noise, multiple=4)
    rng = random.Random(seed)
    corners = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
    points, labels = [], []
    for i in range(n):
        a, b = corners[i % 4]
        points.append(_jitter(rng, a, b, noise))
        labels.append(1 if a != b else -1)
    return points, labels


DATASETS = {'moons': moons, 'circles': circles, 'xor': xor}
"""Datasets by their command-line names."""
