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

Two kinds of zero: an ordinary ``0.0`` multiplies (``abs`` at 0 times an infinite
upstream gradient is nan, as in PyTorch), while ``strong_zero`` passes 0 whatever arrives
(a dead ReLU, ``x ** 0``: PyTorch masks there). A formula may also call a one-argument
row by name, as relu's slope calls ``step(a)``: a condition recorded as an operation in
gradient graphs, so that they stay right when compiled and run at other inputs.

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


class StrongZero(float):
    """A zero that stays zero whatever it multiplies: ``strong_zero * inf == 0.0``, ``* nan`` too.

    A local derivative that is 0 because nothing flows through the edge (a dead ReLU,
    ``x ** 0``) passes 0 backwards whatever arrives, as PyTorch's masks do; an ordinary
    0.0 (``abs`` at 0, ``x * 0``) multiplies, so an infinite upstream gradient gives nan,
    as in PyTorch too. Every view multiplies local derivatives with ``*``, so this one
    object carries the rule to backward, ``grad``, forward mode and compiled code alike.
    Anything else (``+``, ``-``, comparisons, formatting) treats it as 0.0.

    >>> strong_zero * float('inf'), float('nan') * strong_zero, 0.0 * float('inf')
    (0.0, 0.0, nan)
    """

    __slots__ = ()

    def __mul__(self, other: object) -> float:
        return 0.0

    __rmul__ = __mul__

    def __reduce__(self) -> str:
        return 'strong_zero'  # pickled by name: loads as this very object

    def __copy__(self) -> StrongZero:
        return self

    def __deepcopy__(self, memo: object) -> StrongZero:
        return self


strong_zero = StrongZero(0.0)


def softplus(x: float) -> float:
    """``log(1 + exp(x))`` without overflow and without losing small terms to rounding."""
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


FUNCTIONS = {
    'exp': math.exp, 'log': math.log, 'sqrt': math.sqrt, 'tanh': math.tanh,
    'sin': math.sin, 'cos': math.cos, 'fabs': math.fabs,
    'sigmoid': sigmoid, 'softplus': softplus, 'power': power, 'slope_power': slope_power,
    'inf': math.inf, 'nan': math.nan, 'strong_zero': strong_zero,
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
    Op('pow',     '^',    'power(a, k)',         ('k * slope_power(a, k - 1.0) if k else strong_zero',),
       constant=True),
    Op('powv',    '^',    'power(a, b)',         ('b * slope_power(a, b - 1.0) if b else strong_zero',
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
    Op('relu',    'ReLU', '0.0 if a <= 0.0 else a', ('step(a)',)),
    Op('abs',     '|·|',  'fabs(a)',             ('sign(a)',)),
    Op('sin',     'sin',  'sin(a)',              ('cos(a)',),
       problem='sin needs a finite input'),
    Op('cos',     'cos',  'cos(a)',              ('-sin(a)',),
       problem='cos needs a finite input'),
    # The slopes of relu and abs as operations of their own, so that a gradient graph
    # (grad(..., create_graph=True)) records the condition, not the branch taken when it
    # was built: compiled and run at other inputs, it takes the branch of those inputs.
    # A formula may call these rows like helpers (relu's slope is step(a)); every reader
    # pastes the row's forward formula in place of the call, except gradient graphs,
    # which record the call as an operation. 1 at nan for step (relu passes a nan on,
    # as PyTorch), 0 at nan for sign (PyTorch's sgn).
    Op('step',    'step', 'strong_zero if a <= 0.0 else 1.0', ('strong_zero',)),
    Op('sign',    'sign', '1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0', ('strong_zero',)),
)}
