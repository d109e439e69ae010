"""The primitive operations: each one's forward formula and local derivatives, written once.

This table is the single source of truth for calculus in microgradnode. The engine
turns every row into a ``Value`` method; diagrams, chain-rule explanations, the
backward walkthrough and the compiler all read the same rows (or the numbers the
engine computed from them). Nothing else in the project knows a derivative.

Each formula is a small Python expression over these names:

- ``a``, ``b``: the parents' data (``b`` only for binary operations),
- ``k``: a constant parameter of the operation (the exponent of ``x ** 2``),
- ``out``: the result of the forward formula (so ``sigmoid`` can reuse it).

``local`` holds d out / d parent for each parent, in order. A conditional expression
(``x if test else y``) is allowed; explanations show the branch that was taken.
Every comparison with NaN is false, so a test must send NaN to the branch that keeps
it: ``0.0 if a <= 0.0 else a``, not ``a if a > 0.0 else 0.0`` (a NaN input must give a
NaN output, as in PyTorch; tests/engine/test_reliability_engine.py checks every row).

>>> OPS['mul'].forward, OPS['mul'].local
('a * b', ('b', 'a'))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ['Op', 'OPS', 'FUNCTIONS']


@dataclass(frozen=True)
class Op:
    """One primitive operation.

    ``name`` is the method name and the id recorded on each node; ``symbol`` is how
    diagrams draw it; ``problem`` says what input makes it undefined, for error messages.
    """

    name: str
    symbol: str
    forward: str
    local: tuple[str, ...]
    problem: str = ''
    constant: bool = False  # True when the op takes the constant ``k``

    @property
    def arity(self) -> int:
        """Number of Value parents (1 or 2)."""
        return len(self.local)


# Float helpers the formulas may call. They live here, beside the table, so that the
# engine and generated code evaluate exactly the same arithmetic.

def sigmoid(x: float) -> float:
    """Logistic function without overflow: exp() only ever sees a non-positive number."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def power(a: float, k: float) -> float:
    """``a ** k`` over the reals: never a complex number, clear errors instead.

    An infinite or NaN exponent follows IEEE and PyTorch: ``(-2) ** inf == inf``,
    ``(-2) ** nan`` is nan.
    """
    if a < 0.0 and math.isfinite(k) and not k.is_integer():
        raise ValueError('a negative base needs an integer exponent')
    if a == 0.0 and k < 0.0:
        raise ZeroDivisionError('zero cannot be raised to a negative power')
    try:
        return a ** k
    except OverflowError:  # float ** reports a bare errno tuple; say what happened
        raise OverflowError('the result is too large for a float') from None


def slope_power(a: float, k: float) -> float:
    """``a ** k`` for derivatives, where IEEE rules (0 ** -0.5 == inf) match PyTorch."""
    if a == 0.0 and k < 0.0:
        return math.inf  # math.pow raises here; IEEE pow and PyTorch give inf
    try:
        return math.pow(a, k)
    except ValueError:  # a negative base with a fractional exponent
        return math.nan


def softplus(x: float) -> float:
    """``log(1 + exp(x))`` without overflow and without losing small terms to rounding."""
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


FUNCTIONS = {
    'exp': math.exp, 'log': math.log, 'sqrt': math.sqrt, 'tanh': math.tanh,
    'sin': math.sin, 'cos': math.cos, 'fabs': math.fabs,
    'sigmoid': sigmoid, 'softplus': softplus, 'power': power, 'slope_power': slope_power,
    'inf': math.inf, 'nan': math.nan,
}
"""Names the formulas may use besides a, b, k and out."""


OPS: dict[str, Op] = {op.name: op for op in (
    #  name       symbol  forward                local derivatives (d out / d a, d out / d b)
    Op('add',     '+',    'a + b',               ('1.0', '1.0')),
    Op('sub',     '−',    'a - b',               ('1.0', '-1.0')),
    Op('mul',     '×',    'a * b',               ('b', 'a')),
    Op('div',     '÷',    'a / b',               ('1.0 / b', '-out / b'),
       problem='division by zero'),
    Op('neg',     '−',    '-a',                  ('-1.0',)),
    Op('pow',     '^',    'power(a, k)',         ('k * slope_power(a, k - 1.0) if k else 0.0',),
       constant=True),
    Op('powv',    '^',    'power(a, b)',         ('b * slope_power(a, b - 1.0) if b else 0.0',
                                                  'out * log(a) if a > 0.0 else '
                                                  '(0.0 if b >= 0.0 else nan) if a == 0.0 else nan')),
    Op('exp',     'exp',  'exp(a)',              ('out',),
       problem='the result is too large for a float'),
    Op('log',     'log',  'log(a)',              ('1.0 / a',),
       problem='log needs a positive input'),
    Op('sqrt',    '√',    'sqrt(a)',             ('0.5 / out if out else inf',),
       problem='sqrt needs a non-negative input'),
    Op('sigmoid', 'σ',    'sigmoid(a)',          ('out * (1.0 - out)',)),
    Op('tanh',    'tanh', 'tanh(a)',             ('1.0 - out * out',)),
    Op('softplus', 'softplus', 'softplus(a)',    ('sigmoid(a)',)),
    Op('relu',    'ReLU', '0.0 if a <= 0.0 else a', ('0.0 if a <= 0.0 else 1.0',)),
    Op('abs',     '|·|',  'fabs(a)',             ('1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0',)),
    Op('sin',     'sin',  'sin(a)',              ('cos(a)',),
       problem='sin needs a finite input'),
    Op('cos',     'cos',  'cos(a)',              ('-sin(a)',),
       problem='cos needs a finite input'),
)}
