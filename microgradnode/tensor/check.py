"""``gradcheck`` for tensors: backward's gradients against central finite differences.

>>> import numpy as np
>>> report = gradcheck(lambda w, x: (w @ x).tanh().sum(), [np.ones((2, 3)), np.arange(3.0)])
>>> report.ok, [row.shape for row in report.rows]
(True, [(2, 3), (3,)])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..calculus.gradcheck import GradcheckError, GradcheckReport
from ..engine import no_grad
from .core import Tensor, as_array

__all__ = ['gradcheck', 'TensorGradcheckReport', 'TensorGradcheckRow']


@dataclass(frozen=True)
class TensorGradcheckRow:
    """One input: its shape, the largest error over its elements and where it is."""

    name: str
    shape: tuple[int, ...]
    worst_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    ok: bool


@dataclass(frozen=True)
class TensorGradcheckReport(GradcheckReport):
    """The scalar report's verdicts (``ok``, ``bool()``), one row per input tensor."""

    rows: tuple[TensorGradcheckRow, ...]  # type: ignore[assignment]

    def __str__(self) -> str:
        lines = [f'gradcheck (tensors): output {self.output:.10g}, central differences with '
                 f'eps={self.eps:g}, tolerance |error| <= {self.atol:g} + {self.rtol:g}·|finite diff.|: '
                 + ('all gradients agree' if self.ok else 'some gradients are off')]
        for row in self.rows:
            lines.append(f'  {row.name} {row.shape}: largest error {row.worst_error:.3g} at '
                         f'{row.worst_index} (backward {row.analytic:.10g}, finite differences '
                         f'{row.numeric:.10g}){"" if row.ok else "  <-- off"}')
        return '\n'.join(lines)


def _scalar_output(out: object) -> float:
    if not isinstance(out, Tensor):
        raise TypeError(f'gradcheck: f must return a Tensor, got {type(out).__name__}')
    if out.size != 1:
        raise ValueError(f'gradcheck: f must return a tensor of one element, not of shape {out.shape} '
                         f'(sum it, or take a weighted sum)')
    return out.item()


def gradcheck(f: Callable[..., Tensor], inputs: Sequence[Any], *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, raise_on_failure: bool = True) -> TensorGradcheckReport:
    """Check ``f``'s gradients at ``inputs`` (arrays or Tensors) element by element.

    ``f`` takes one Tensor per input and returns a one-element Tensor. Every element of
    every input is nudged by ±eps in turn (two calls of ``f`` each, under no_grad).
    Raises :class:`~microgradnode.GradcheckError` with the report when a gradient is
    off, unless ``raise_on_failure=False``.
    """
    if isinstance(inputs, (str, bytes, Tensor, np.ndarray)) or not isinstance(inputs, Sequence):
        raise TypeError('gradcheck needs a list of inputs (arrays or Tensors), one per argument of f')
    if not inputs:
        raise ValueError('gradcheck needs at least one input')
    if not (eps > 0 and np.isfinite(eps)):
        raise ValueError(f'gradcheck eps must be a positive number, not {eps!r}')
    names = [x.label if isinstance(x, Tensor) and x.label else f'x{i}' for i, x in enumerate(inputs)]
    points = [as_array(x, 'gradcheck input') for x in inputs]
    leaves = [Tensor(p, name) for p, name in zip(points, names)]
    out = f(*leaves)
    value = _scalar_output(out)
    out.backward()

    def at(shifted: list[np.ndarray]) -> float:
        with no_grad():
            return _scalar_output(f(*(Tensor(p) for p in shifted)))

    rows = []
    for i, (leaf, name) in enumerate(zip(leaves, names)):
        numeric = np.zeros(leaf.shape)
        for index in np.ndindex(*leaf.shape):
            plus = [p.copy() for p in points]
            minus = [p.copy() for p in points]
            plus[i][index] += eps
            minus[i][index] -= eps
            numeric[index] = (at(plus) - at(minus)) / (2 * eps)
        analytic = leaf.grad if leaf.grad is not None else np.zeros(leaf.shape)
        error = np.abs(analytic - numeric)
        allowed = atol + rtol * np.abs(numeric)
        found = np.unravel_index(np.argmax(error - allowed), error.shape) if error.size else ()
        worst = tuple(int(j) for j in found)
        rows.append(TensorGradcheckRow(name, leaf.shape, float(error[worst]) if error.size else 0.0, worst,
                                       float(analytic[worst]) if error.size else 0.0,
                                       float(numeric[worst]) if error.size else 0.0,
                                       bool(np.all(error <= allowed))))
    report = TensorGradcheckReport(value, tuple(rows), eps, atol, rtol)
    if raise_on_failure and not report.ok:
        raise GradcheckError(str(report))
    return report
