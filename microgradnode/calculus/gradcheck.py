"""Compare the engine's gradients with central finite differences.

A test tool and a teaching tool: the report shows, for each input, the gradient
backward() computed, the one measured by nudging the input, and how far apart they are.

>>> from microgradnode import gradcheck
>>> report = gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
>>> report.ok
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .._support.flags import check_flag
from ..engine import Value, float_of, no_grad

__all__ = ['gradcheck', 'GradcheckReport', 'GradcheckRow', 'GradcheckError']


class GradcheckError(AssertionError):
    """The engine's gradient and the finite difference disagree beyond tolerance."""


@dataclass(frozen=True)
class GradcheckRow:
    """One input's verdict."""

    name: str
    value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport:
    """All inputs' verdicts; ``str(report)`` is a readable table."""

    output: float
    rows: tuple[GradcheckRow, ...]
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        """True when every input is within tolerance."""
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        header = ('input', 'value', 'backward()', 'finite diff.', 'abs error', 'rel error', '')
        lines = [header] + [
            (row.name, f'{row.value:.6g}', f'{row.analytic:.10g}', f'{row.numeric:.10g}',
             f'{row.abs_error:.2e}', f'{row.rel_error:.2e}', 'ok' if row.ok else 'FAIL')
            for row in self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        table = '\n'.join('  '.join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
                          for line in lines)
        verdict = 'all gradients agree' if self.ok else 'some gradients DISAGREE'
        if not math.isfinite(self.output):
            # Not a wrong derivative: differences of nan or inf say nothing.
            verdict = f'the output is {self.output}, so finite differences cannot check the gradients'
        return (f'gradcheck: output {self.output:.10g}, central differences with eps={self.eps:g}, '
                f'tolerance |error| <= {self.atol:g} + {self.rtol:g}·|finite diff.|: {verdict}\n'
                + table)


def gradcheck(f: Callable[..., Value], inputs: Sequence[float | Value] | Mapping[str, float], *,
              eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-4,
              raise_on_failure: bool = True) -> GradcheckReport:
    """Check ``f``'s gradients at ``inputs`` against central finite differences.

    ``f`` takes one Value per input and returns a Value. ``inputs`` are numbers, Values
    (their labels name the rows) or a mapping from names to numbers. Raises
    :class:`GradcheckError` with the report when a gradient is off, unless
    ``raise_on_failure=False``.

    >>> print(gradcheck(lambda x: x ** 3, {'x': 2.0}).rows[0].analytic)
    12.0
    """
    if isinstance(inputs, Mapping):
        named = list(inputs.items())
    elif isinstance(inputs, (Sequence, Value)) and not isinstance(inputs, str):
        items = [inputs] if isinstance(inputs, Value) else list(inputs)
        named = [(x.label if isinstance(x, Value) and x.label else f'x{i}',
                  x.data if isinstance(x, Value) else x) for i, x in enumerate(items)]
    else:
        raise TypeError(f'gradcheck inputs must be a sequence or a mapping, not {type(inputs).__name__}')
    if not named:
        raise ValueError('gradcheck needs at least one input')
    check_flag(raise_on_failure, 'raise_on_failure')
    for name, number in (('eps', eps), ('atol', atol), ('rtol', rtol)):
        if isinstance(number, int):  # 10 ** 400 is no tolerance: say so, not a bare OverflowError
            float_of(number, f'gradcheck {name}')
    if not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f'gradcheck eps must be a positive number, not {eps!r}')
    for name, tolerance in (('atol', atol), ('rtol', rtol)):
        # A nan or negative tolerance would fail every row and blame the gradients.
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                or not 0 <= tolerance < math.inf:
            raise ValueError(f'gradcheck {name} must be a finite number >= 0, not {tolerance!r}')
    points = [Value(x).data for _, x in named]  # validates: TypeError for non-numbers

    leaves = [Value(x, name) for (name, _), x in zip(named, points)]
    out = _call(f, leaves)
    out.backward()

    def at(shifted: list[float], i: int, sign: str) -> float:
        with no_grad():
            try:
                return _call(f, [Value(x) for x in shifted]).data
            except (ArithmeticError, ValueError) as error:
                # f works at the point itself (it ran above): the nudge took it out.
                probe = f'{named[i][0]} = {points[i]!r} {sign} eps = {shifted[i]!r}'
                raise type(error)(
                    f'gradcheck: f fails at the finite-difference probe {probe}: {error}; '
                    f'the point is within eps={eps:g} of the edge of where f is defined: '
                    f'move it away from the edge or pass a smaller eps') from error

    rows = []
    for i, (leaf, (name, _)) in enumerate(zip(leaves, named)):
        plus, minus = list(points), list(points)
        plus[i] += eps
        minus[i] -= eps
        numeric = (at(plus, i, '+') - at(minus, i, '-')) / (2 * eps)
        error = abs(leaf.grad - numeric)
        scale = max(abs(leaf.grad), abs(numeric))
        rows.append(GradcheckRow(name, points[i], leaf.grad, numeric, error,
                                 error / scale if scale else 0.0,
                                 error <= atol + rtol * abs(numeric)))
    report = GradcheckReport(out.data, tuple(rows), eps, atol, rtol)
    if raise_on_failure and not report.ok:
        raise GradcheckError(str(report))
    return report


def _call(f: Callable[..., Value], args: list[Value]) -> Value:
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(f'gradcheck: f must return a Value, got {type(out).__name__}')
    return out
