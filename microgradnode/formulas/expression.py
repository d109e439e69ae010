"""Arithmetic expressions as text -> a Value graph, through a whitelist over Python's ``ast``.

The text is parsed with :func:`ast.parse` (which only builds a syntax tree) and then
walked node by node; only the node types below are ever turned into engine
operations, everything else is refused with an :class:`ExpressionError` that says
where and what. Nothing is passed to ``eval``, ``exec`` or ``compile``-to-bytecode,
so no Python code in the text can run.

Allowed: numbers, names given in ``values``, ``+ - * / **``, unary ``-`` and ``+``,
parentheses, and calls ``f(x)`` of the engine's functions (:data:`FUNCTIONS`).

>>> y = parse_expression('w * x + sigmoid(x) ** 2', {'w': 0.5, 'x': 2.0})
>>> round(y.data, 4)
1.7758
>>> parse_expression('x.__class__', {'x': 1.0})
Traceback (most recent call last):
...
microgradnode.formulas.expression.ExpressionError: column 1: 'x.__class__': attribute access is not allowed
"""

from __future__ import annotations

import ast
import keyword
import numbers
import unicodedata
import warnings
from collections.abc import Mapping

from ..engine import Value
from ..ops import OPS

__all__ = ['parse_expression', 'ExpressionError', 'UnknownNameError', 'FUNCTIONS',
           'MAX_LENGTH', 'MAX_DEPTH', 'MAX_LITERAL']

FUNCTIONS = tuple(name for name, op in OPS.items()
                  if op.arity == 1 and not op.constant and name != 'neg')
"""Functions an expression may call: the one-argument rows of the operation table, each
the Value method of that name (``neg`` is written ``-x``). A new row is callable at once."""

MAX_LENGTH = 2000
"""Longest expression text accepted, in characters."""

MAX_DEPTH = 60
"""Deepest nesting of operations inside one another accepted (``-(-(-x))`` is 4 deep).

A flat chain of one kind of operator, ``a + b - c + ...`` or ``a * b / c * ...``, is read
in a loop and counts as one level whatever its length (up to :data:`MAX_LENGTH`); what
counts is operations inside operations, which this reader and the formula printers after
it handle one level per call. No formula written by hand comes near 60 levels."""

MAX_LITERAL = 1e100
"""Largest absolute value of a number written in an expression."""

_OPERATORS = {ast.Add: '__add__', ast.Sub: '__sub__', ast.Mult: '__mul__', ast.Div: '__truediv__',
              ast.Pow: '__pow__'}

# Operators of equal precedence, read left to right: a flat chain of them is one level.
_FAMILY = {ast.Add: 'sum', ast.Sub: 'sum', ast.Mult: 'product', ast.Div: 'product'}

_TOO_DEEP = (f'the expression is nested too deeply: more than {MAX_DEPTH} operations inside one another '
             f'(a flat chain such as a + b + c counts as one, however long); this reader handles each '
             f'level of nesting with a recursive call, so nesting is bounded well below Python\'s '
             f'recursion limit')

# What to call the refused constructs in a message, by syntax-tree class.
_REFUSED = {
    ast.Attribute: 'attribute access', ast.Subscript: 'indexing', ast.Lambda: 'lambda',
    ast.Compare: 'comparison', ast.BoolOp: '`and` / `or`', ast.IfExp: 'a conditional expression',
    ast.NamedExpr: 'assignment', ast.Starred: 'unpacking', ast.JoinedStr: 'a string',
    ast.List: 'a list', ast.Tuple: 'a tuple', ast.Set: 'a set', ast.Dict: 'a dict',
    ast.ListComp: 'a comprehension', ast.SetComp: 'a comprehension', ast.DictComp: 'a comprehension',
    ast.GeneratorExp: 'a generator', ast.Await: 'await', ast.Yield: 'yield', ast.YieldFrom: 'yield',
    ast.Slice: 'slicing',
}

_OPERATOR_NAMES = {ast.FloorDiv: '//', ast.Mod: '%', ast.MatMult: '@', ast.BitAnd: '&', ast.BitOr: '|',
                   ast.BitXor: '^', ast.LShift: '<<', ast.RShift: '>>', ast.Invert: '~', ast.Not: 'not'}


class ExpressionError(ValueError):
    """The expression cannot be used; the message points at the part that is wrong.

    ``column`` is 1-based (``None`` when the whole text is at fault); ``text`` is the
    offending part of the expression.
    """

    def __init__(self, message: str, *, column: int | None = None, text: str = '') -> None:
        where = f'column {column}: ' if column is not None else ''
        quoted = f'{text!r}: ' if text else ''
        super().__init__(f'{where}{quoted}{message}')
        self.column = column
        self.text = text
        self.reason = message


class UnknownNameError(ExpressionError):
    """A name in the expression was given no value; ``name`` and ``known`` say which and what was."""

    def __init__(self, name: str, known: list[str], *, column: int) -> None:
        given = ', '.join(known) if known else 'none'
        super().__init__(f'unknown name {name!r} (names given a value: {given})', column=column,
                         text=name)
        self.name = name
        self.known = known


def _check_values(values: Mapping[str, float]) -> None:
    if not isinstance(values, Mapping):
        raise TypeError(f'values must be a mapping from names to numbers, not {type(values).__name__}')
    for name, number in values.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f'{name!r} cannot be a name in an expression: use letters, digits and _, '
                             f'not starting with a digit, and not a Python keyword')
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise TypeError(f'the value of {name!r} must be a number, not {number!r}')


def _as_python_reads(values: Mapping[str, float]) -> dict[str, float]:
    """``values`` under the names Python's parser gives them (NFKC: ``ｘ`` is ``x``).

    Without this, ``{'ｘ': 2}`` would never match the ``ｘ`` of the text, which the parser
    reads as ``x``.
    """
    folded: dict[str, float] = {}
    written: dict[str, str] = {}
    for name, number in values.items():
        key = unicodedata.normalize('NFKC', name)
        if keyword.iskeyword(key):
            raise ValueError(f'{name!r} cannot be a name in an expression: Python reads it as the '
                             f'keyword {key!r}')
        if key in folded:
            raise ValueError(f'{written[key]!r} and {name!r} are the same name in an expression '
                             f'(Python reads both as {key!r}): give it one value')
        folded[key] = number
        written[key] = name
    return folded


# The syntax nodes that carry a source position (what an error can point at).
_Located = ast.expr | ast.stmt | ast.keyword


class _Builder:
    """Walks the syntax tree of one expression, building Values for allowed nodes only."""

    def __init__(self, text: str, values: Mapping[str, float], lead: int) -> None:
        self.text = text
        self.values = values
        self.lead = lead  # whitespace stripped before parsing, to count columns in the original
        self.leaves: dict[str, Value] = {}  # the same name is the same leaf

    def fail(self, node: _Located, message: str) -> ExpressionError:
        segment = ast.get_source_segment(self.text, node) or ''
        return ExpressionError(message, column=self.lead + _column(self.text, node), text=segment)

    def build(self, node: ast.expr, depth: int) -> Value | float:
        if depth > MAX_DEPTH:
            raise self.fail(node, _TOO_DEEP)
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        what = _REFUSED.get(type(node), type(node).__name__)
        raise self.fail(node, f'{what} is not allowed')

    def number(self, node: ast.Constant) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, f'only numbers are allowed as constants, not {type(value).__name__}')
        # A huge int literal converts to inf or overflows: check before converting.
        if isinstance(value, int) and value.bit_length() > 400 or not abs(value) <= MAX_LITERAL:
            raise self.fail(node, f'the number is too large (the limit is {MAX_LITERAL:g})')
        return float(value)

    def name(self, node: ast.Name) -> Value:
        leaf = self.leaves.get(node.id)
        if leaf is None:
            if node.id not in self.values:
                raise UnknownNameError(node.id, sorted(self.values),
                                       column=self.lead + _column(self.text, node))
            leaf = self.leaves[node.id] = Value(float(self.values[node.id]), label=node.id)
        return leaf

    def binary(self, node: ast.BinOp, depth: int) -> Value:
        # a + b + c is ((a + b) + c): a chain as deep as it is long. Walk down its left side
        # in a loop, then build it from the first term on, so that a long sum is one level.
        chain = [node]
        family = _FAMILY.get(type(node.op))
        while (family is not None and isinstance(chain[-1].left, ast.BinOp)
               and _FAMILY.get(type(chain[-1].left.op)) == family):
            chain.append(chain[-1].left)
        for link in chain:
            self.check_operator(link)
        result = self.as_value(self.build(chain[-1].left, depth + 1))
        for link in reversed(chain):
            right = self.build(link.right, depth + 1)
            result = self.apply(link, getattr(result, _OPERATORS[type(link.op)]), right)
        return result

    def check_operator(self, node: ast.BinOp) -> None:
        if type(node.op) not in _OPERATORS:
            symbol = _OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)
            hint = '; for a power write **' if symbol == '^' else ''
            raise self.fail(node, f'the operator {symbol} is not supported (use + - * / **){hint}')

    def unary(self, node: ast.UnaryOp, depth: int) -> Value | float:
        operand = self.build(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub):
            # -2 is the number -2 (so x ** -2 keeps a constant exponent), -x an operation.
            return -operand if isinstance(operand, float) else self.apply(node, operand.neg)
        symbol = _OPERATOR_NAMES.get(type(node.op), type(node.op).__name__)
        raise self.fail(node, f'the operator {symbol} is not supported (use + - * / **)')

    def call(self, node: ast.Call, depth: int) -> Value:
        function = node.func
        if not isinstance(function, ast.Name):
            what = _REFUSED.get(type(function), 'calling this')
            raise self.fail(function, f'{what} is not allowed; only calls of the functions '
                                      f'{", ".join(FUNCTIONS)} are')
        if function.id not in FUNCTIONS:
            raise self.fail(function, f'unknown function {function.id!r} '
                                      f'(allowed: {", ".join(FUNCTIONS)})')
        if node.keywords:
            raise self.fail(node.keywords[0], f'{function.id}() takes no keyword arguments')
        if len(node.args) != 1:
            raise self.fail(node, f'{function.id}() takes exactly one argument, '
                                  f'got {len(node.args)}')
        argument = self.build(node.args[0], depth + 1)
        if isinstance(argument, ast.Starred):  # pragma: no cover - build() refuses Starred
            raise self.fail(node, 'unpacking is not allowed')
        method = '__abs__' if function.id == 'abs' else function.id
        return self.apply(node, getattr(self.as_value(argument), method))

    @staticmethod
    def as_value(x: Value | float) -> Value:
        # Numbers become constant leaves: all arithmetic then happens on floats in the
        # engine, never on Python ints (where 9 ** 9 ** 9 would run for hours).
        return x if isinstance(x, Value) else Value(x)

    def apply(self, node: ast.expr, operation, *arguments) -> Value:
        try:
            return operation(*arguments)
        except OverflowError:
            raise self.fail(node, 'the result is too large for a float') from None
        except (ArithmeticError, ValueError) as error:
            raise self.fail(node, str(error)) from None


def parse_expression(text: str, values: Mapping[str, float]) -> Value:
    """Build the Value graph of ``text``; names take their numbers from ``values``.

    Each name becomes one leaf Value labelled with the name (used twice, it is the same
    leaf); numbers written in the text become unlabelled constant leaves, except a
    numeric exponent, which stays the constant of ``x ** k``.

    >>> y = parse_expression('x * x - 3', {'x': 2.0})
    >>> y.backward()
    >>> y.data, [(leaf.label, leaf.grad) for leaf in y.parents[0].parents]
    (1.0, [('x', 4.0), ('x', 4.0)])
    >>> parse_expression('sigmoid(z)', {'x': 1.0})
    Traceback (most recent call last):
    ...
    microgradnode.formulas.expression.UnknownNameError: column 9: 'z': unknown name 'z' \
(names given a value: x)
    """
    if not isinstance(text, str):
        raise TypeError(f'the expression must be a str, not {type(text).__name__}')
    _check_values(values)
    values = _as_python_reads(values)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f'the expression is too long ({len(text)} characters, the limit is '
                              f'{MAX_LENGTH})')
    if not text.strip():
        raise ExpressionError('the expression is empty')
    # Leading spaces would be an "unexpected indent" to Python's parser.
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    tree = _parse(stripped, lead)
    result = _Builder(stripped, values, lead).build(tree.body, 0)
    return _Builder.as_value(result)


def _parse(text: str, lead: int) -> ast.Expression:
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal": the error says it better
            warnings.simplefilter('ignore', SyntaxWarning)
            warnings.simplefilter('ignore', DeprecationWarning)
            return ast.parse(text, mode='eval')
    except SyntaxError as error:
        statement = _statement(text, lead)
        if statement is not None:
            raise statement from None
        raise _syntax_error(text, error, lead) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_TOO_DEEP) from None
    except ValueError as error:  # e.g. a NUL character in the text
        raise ExpressionError(str(error)) from None


def _column(text: str, node: _Located) -> int:
    """1-based character column of ``node`` in the whole text (ast counts UTF-8 bytes per line)."""
    lines = text.splitlines(keepends=True)
    line = lines[node.lineno - 1] if node.lineno <= len(lines) else ''
    before = sum(len(previous) for previous in lines[:node.lineno - 1])
    return before + len(line.encode('utf-8')[:node.col_offset].decode('utf-8', 'replace')) + 1


def _syntax_error(text: str, error: SyntaxError, lead: int) -> ExpressionError:
    """Python's own syntax message, with the character column and what stands there."""
    lines = text.splitlines(keepends=True) or ['']
    lineno = min(max(error.lineno or 1, 1), len(lines))
    offset = max(error.offset or 1, 1)  # a character offset within the line, 1-based
    column = min(sum(len(line) for line in lines[:lineno - 1]) + offset, len(text) + 1)
    near = text[column - 1:column + 9].strip()
    reason = error.msg or 'invalid syntax'
    if reason == 'invalid syntax':
        reason = 'invalid syntax' + ('' if near else ': the expression ends too early')
    return ExpressionError(reason, column=lead + column, text=near)


def _statement(text: str, lead: int) -> ExpressionError | None:
    """If ``text`` is valid Python but not an expression, say what it is instead."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', SyntaxWarning)
            warnings.simplefilter('ignore', DeprecationWarning)
            module = ast.parse(text, mode='exec')
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not module.body:
        return None
    first = module.body[0]
    if isinstance(first, ast.Expr) and len(module.body) == 1:  # e.g. `*x`, valid only as a statement
        refused = _REFUSED.get(type(first.value), type(first.value).__name__)
        return ExpressionError(f'{refused} is not allowed', column=lead + _column(text, first.value),
                               text=ast.get_source_segment(text, first.value) or '')
    if isinstance(first, ast.Expr):
        return ExpressionError('only one expression is allowed',
                               column=lead + _column(text, module.body[1]),
                               text=ast.get_source_segment(text, module.body[1]) or '')
    what = type(first).__name__.lower()
    kinds = {ast.Import: 'an import', ast.ImportFrom: 'an import', ast.Assign: 'an assignment',
             ast.AugAssign: 'an assignment', ast.AnnAssign: 'an assignment',
             ast.FunctionDef: 'a function definition', ast.ClassDef: 'a class definition'}
    segment = ast.get_source_segment(text, first) or ''
    return ExpressionError(f'{kinds.get(type(first), "a " + what + " statement")} is not an '
                           f'expression: write one arithmetic expression',
                           column=lead + _column(text, first), text=segment[:60])
