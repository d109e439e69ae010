"""Rows added to the operation table at run time, checked before they are let in.

:func:`microgradnode.define_operation` (in the engine, which makes the ``Value`` method)
comes here for the row: its formulas must parse, use only their own operands and the
table's helpers (plus those it brings), give floats, and its local derivatives must be
the forward formula's, measured by finite differences at a few points. A wrong
derivative is refused with the numbers that show it wrong; nothing is added then.

Views that keep something per operation (compiled formulas) register a function with
:func:`on_change`, called whenever a row is added or removed.

>>> op = add_row('cube_root_demo', 'a * a * a', ('3.0 * a * a',))
>>> op.forward, op.local, op.symbol
('a * a * a', ('3.0 * a * a',), 'cube_root_demo')
>>> remove_row('cube_root_demo').name
'cube_root_demo'
"""

from __future__ import annotations

import ast
import keyword
import math
import re
from collections.abc import Callable, Mapping, Sequence

from .._support.flags import check_flag
from . import syntax
from .table import FUNCTIONS, OPS, Op

__all__ = ['add_row', 'remove_row', 'user_defined', 'user_helpers', 'on_change', 'check_name',
           'DERIVATIVE_POINTS']

# name -> the helper names its definition added (removed with it when no other row uses them).
_DEFINED: dict[str, tuple[str, ...]] = {}
_LISTENERS: list[Callable[[], object]] = []

DERIVATIVE_POINTS = ((-1.7, 0.7, 0.3), (-0.8, -1.3, 1.7), (-0.3, 1.9, 0.3), (0.35, 0.7, 1.7),
                     (0.9, -1.3, 0.3), (1.6, 1.9, 1.7), (2.4, 0.7, 0.3))
"""(a, b, k) at which a new row's derivatives are checked: away from 0 and the integers,
where kinks usually are; points where the forward formula is undefined are passed over."""

# Lowercase: the engine's and the generated code's own names (Value, OPS, V, G) stay apart.
_NAME = re.compile(r'[a-z][a-z0-9_]{0,39}')
_STEP = 1e-6
_TOLERANCE = 1e-5


def on_change(forget: Callable[[], object]) -> Callable[[], object]:
    """Call ``forget`` whenever a row is added or removed (views drop what they cached)."""
    _LISTENERS.append(forget)
    return forget


def _changed() -> None:
    syntax.forget_checks()
    for forget in _LISTENERS:
        forget()


def user_defined() -> tuple[str, ...]:
    """The names of the rows added at run time, in the order they were added."""
    return tuple(_DEFINED)


def user_helpers() -> frozenset[str]:
    """The helpers rows added at run time brought with them (plain functions or numbers)."""
    return frozenset(helper for helpers in _DEFINED.values() for helper in helpers)


def _names(op: Op) -> set[str]:
    return {node.id for formula in (op.forward, *op.local)
            for node in ast.walk(syntax.parse(formula)) if isinstance(node, ast.Name)}


def check_name(name: object, what: str) -> str:
    """``name`` if it can name an operation or a helper, else a ValueError saying why."""
    if not isinstance(name, str):
        raise TypeError(f'{what} must be a str, not {type(name).__name__}')
    if _NAME.fullmatch(name) is None or keyword.iskeyword(name):
        raise ValueError(f'{what} {name[:60]!r} is not a lowercase Python name (a-z, digits and _, '
                         f'starting with a letter; not a keyword)')
    if name in syntax.OPERANDS:
        raise ValueError(f'{what} {name!r} is one of the operands a formula uses '
                         f'({", ".join(syntax.OPERANDS)})')
    return name


def _helpers(name: str, functions: Mapping[str, object] | None) -> dict[str, object]:
    if functions is None:
        return {}
    if not isinstance(functions, Mapping):
        raise TypeError(f'define_operation({name!r}): functions must be a dict of name -> function, '
                        f'not {type(functions).__name__}')
    added = {}
    for helper, implementation in functions.items():
        check_name(helper, f'define_operation({name!r}): the helper name')
        if not (callable(implementation) or type(implementation) in (int, float)):
            raise TypeError(f'define_operation({name!r}): the helper {helper!r} must be a function or a '
                            f'number, not {type(implementation).__name__}')
        if helper in FUNCTIONS:
            if FUNCTIONS[helper] is not implementation:
                raise ValueError(f'define_operation({name!r}): the table has a helper {helper!r} already; '
                                 f'give yours another name')
            continue
        added[helper] = implementation
    return added


def _formula(name: str, role: str, source: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(source, str):
        raise TypeError(f'define_operation({name!r}): the {role} must be a formula as a str, '
                        f'not {type(source).__name__}')
    try:
        tree = syntax.parse(source)
    except SyntaxError as error:
        raise ValueError(f'define_operation({name!r}): the {role} {source!r} does not parse as a Python '
                         f'expression ({error.msg})') from None
    except ValueError as error:
        hint = ''
        if 'unknown name' in str(error) or 'may only call' in str(error):
            hint = "; a helper a formula calls is given with functions={'name': function}"
        raise ValueError(f'define_operation({name!r}): the {role}: {error}{hint}') from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in syntax.OPERANDS and node.id not in allowed:
            raise ValueError(f'define_operation({name!r}): the {role} {source!r} uses {node.id}, which this '
                             f'operation does not have (it may use {", ".join(allowed)})')
    return ast.unparse(tree)


def _float_result(name: str, role: str, formula: str, value: object, where: str) -> float:
    if type(value) is not float:
        raise ValueError(f'define_operation({name!r}): the {role} {formula!r} gives {value!r} '
                         f'({type(value).__name__}) at {where}; a formula must give a float '
                         f'(write 1.0, not 1)')
    return value


def _check_derivatives(op: Op) -> None:
    """Compare each local derivative with central finite differences of the forward formula."""
    namespace = dict(FUNCTIONS)
    forward = syntax.function((op.forward,), namespace)
    local = syntax.function(op.local, namespace)
    roles = ('a', 'b')[:op.arity]

    def at(a: float, b: float | None, k: float | None) -> float:
        return forward(a, b, k, None)[0]

    checked = 0
    for a, b_point, k_point in DERIVATIVE_POINTS:
        b = b_point if op.arity == 2 else None
        k = k_point if op.constant else None
        where = ', '.join(f'{role} = {value}' for role, value in (('a', a), ('b', b), ('k', k))
                          if value is not None)
        try:
            out = at(a, b, k)
        except (ArithmeticError, ValueError):
            continue  # outside the operation's domain
        if not math.isfinite(_float_result(op.name, 'forward formula', op.forward, out, where)):
            continue
        try:
            slopes = local(a, b, k, out)
        except (ArithmeticError, ValueError):
            continue
        for role, formula, slope in zip(roles, op.local, slopes):
            _float_result(op.name, f'derivative d out / d {role}', formula, slope, where)
            x = a if role == 'a' else b
            assert x is not None
            h = _STEP * max(1.0, abs(x))
            try:
                if role == 'a':
                    estimate = (at(a + h, b, k) - at(a - h, b, k)) / (2 * h)
                else:
                    estimate = (at(a, x + h, k) - at(a, x - h, k)) / (2 * h)
            except (ArithmeticError, ValueError):
                continue
            if not (math.isfinite(estimate) and math.isfinite(slope)):
                continue
            checked += 1
            if abs(estimate - slope) > _TOLERANCE * max(1.0, abs(estimate), abs(slope)):
                raise ValueError(
                    f'define_operation({op.name!r}): the derivative d out / d {role} = {formula!r} is not '
                    f'the derivative of out = {op.forward!r}: at {where} it gives {slope:.6g}, but the '
                    f'slope measured by finite differences, (out({role} + h) - out({role} - h)) / 2h with '
                    f'h = {h:.2g}, is {estimate:.6g}. Nothing was added.')
    if not checked:
        raise ValueError(f'define_operation({op.name!r}): could not check the derivatives: the formulas '
                         f'give no finite number at any of the test points (a in '
                         f'{", ".join(str(p[0]) for p in DERIVATIVE_POINTS)})')


def add_row(name: str, forward: str, local: str | Sequence[str], *, symbol: str | None = None,
            constant: bool = False, problem: str = '',
            functions: Mapping[str, object] | None = None) -> Op:
    """Check a new row and add it to the table (with its helpers); return it.

    The caller (the engine) has checked that ``name`` is free on ``Value``.
    """
    check_name(name, 'define_operation: the operation name')
    if name in OPS:
        raise ValueError(f'define_operation({name!r}): the table has an operation {name!r} already '
                         f'(the operations: {", ".join(OPS)})')
    if name in FUNCTIONS and name not in user_helpers() and (functions is None or name not in functions):
        raise ValueError(f'define_operation({name!r}): {name!r} is a helper of the table; give the '
                         f'operation another name')
    formulas = (local,) if isinstance(local, str) else local
    if isinstance(formulas, Sequence) and not isinstance(formulas, str):
        formulas = tuple(formulas)
    else:
        raise TypeError(f'define_operation({name!r}): local must be a formula (str) or a list of one '
                        f'per parent, not {type(local).__name__}')
    if len(formulas) not in (1, 2):
        raise ValueError(f'define_operation({name!r}): local needs one derivative per parent: 1 for '
                         f'a function of a, 2 for an operation on a and b; got {len(formulas)}')
    if check_flag(constant, 'constant') and len(formulas) != 1:
        raise ValueError(f'define_operation({name!r}): an operation with a constant k takes one Value '
                         f'(a): give one derivative')
    if symbol is not None and (not isinstance(symbol, str) or not symbol.strip() or len(symbol) > 12):
        raise ValueError(f'define_operation({name!r}): symbol must be a short str (at most 12 '
                         f'characters), not {symbol!r}')
    if not isinstance(problem, str):
        raise TypeError(f'define_operation({name!r}): problem must be a str, not {type(problem).__name__}')
    helpers = _helpers(name, functions)
    operands = ('a', 'b')[:len(formulas)] + (('k',) if constant else ())
    FUNCTIONS.update(helpers)
    try:
        op = Op(name, symbol or name, _formula(name, 'forward formula', forward, operands),
                tuple(_formula(name, f'derivative d out / d {role}', formula, (*operands, 'out'))
                      for role, formula in zip('ab', formulas)),
                problem=problem, constant=bool(constant))
        _check_derivatives(op)
    except BaseException:
        for helper in helpers:
            del FUNCTIONS[helper]
        syntax.forget_checks()
        raise
    OPS[name] = op
    _DEFINED[name] = tuple(helpers)
    _changed()
    return op


def remove_row(name: str) -> Op:
    """Take a row added by :func:`add_row` out of the table again (with the helpers it brought)."""
    if name not in _DEFINED:
        what = 'is built in' if name in OPS else 'does not exist'
        raise ValueError(f'remove_operation({name!r}): only operations added by define_operation can be '
                         f'removed, and this one {what}')
    op = OPS.pop(name)
    for helper in _DEFINED.pop(name):
        # A helper another defined row calls stays, and goes with that row.
        user = next((other for other in _DEFINED if helper in _names(OPS[other])), None)
        if user is None:
            FUNCTIONS.pop(helper, None)
        else:
            _DEFINED[user] += (helper,)
    _changed()
    return op
