"""The operation table's formulas as syntax trees: the one place that parses them.

Every formula of :data:`microgradnode.ops.OPS` is a Python expression over ``a``, ``b``,
``k``, ``out`` and the helpers of :data:`~microgradnode.ops.FUNCTIONS`. Three readers
turn them into something else, and all three start here:

- :mod:`microgradnode.formulas` writes them with a graph's names, for explanations;
- :mod:`microgradnode.compiler` writes them into generated code;
- :mod:`microgradnode.autodiff` evaluates them on Values, so that a local derivative
  becomes a graph that can be differentiated again.

This module parses and checks a formula once (:func:`parse`), puts nodes in place of
its letters (:class:`Substitute`), folds arithmetic on plain numbers
(:class:`FoldNumbers`), evaluates it on numbers (:func:`evaluate`) and compiles it to a
Python function (:func:`function`). It knows no derivative: the formulas are the table's.

>>> import ast
>>> tree = Substitute({'a': ast.Name('x'), 'k': ast.Constant(3.0)}).visit(
...     parse('k * slope_power(a, k - 1.0) if k else 0.0'))
>>> ast.unparse(FoldNumbers().visit(tree))
'3.0 * slope_power(x, 2.0) if 3.0 else 0.0'
"""

from __future__ import annotations

import ast
import builtins
import operator
from functools import cache
from typing import Any

from .table import FUNCTIONS, OPS

__all__ = ['OPERANDS', 'Known', 'parse', 'number', 'Substitute', 'FoldNumbers', 'ARITHMETIC',
           'evaluate', 'function', 'called_name', 'forget_checks', 'inline', 'inline_text', 'ROW_CALLS']

OPERANDS = ('a', 'b', 'k', 'out')
"""The letters a formula may use for its operation's operands."""

# The only syntax the table may use: arithmetic, comparisons, conditionals, calls of its
# helpers. Anything else is refused when the formula is first read.
_ALLOWED = (ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.BoolOp, ast.Call, ast.Name,
            ast.Constant, ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)

ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv}
"""The binary operators a formula may use, as functions on numbers."""

_COMPARISONS = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt,
                ast.LtE: operator.le, ast.Eq: operator.eq, ast.NotEq: operator.ne}


class Known(ast.expr):
    """A placeholder standing for a known number inside a formula (a node of a graph).

    :func:`evaluate` reads its ``value``; readers subclass it to carry more (a name).
    """

    _fields = ()

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value


def _check(tree: ast.AST, source: str) -> None:
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f'the ops table has an expression microgradnode cannot read: '
                             f'{type(node).__name__} in {source!r}')
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and not node.keywords
                                               and (node.func.id in FUNCTIONS or node.func.id in ROW_CALLS)):
            raise ValueError(f'the ops table may only call its helper functions: {source!r}')
        if isinstance(node, ast.Name) and node.id not in OPERANDS and node.id not in FUNCTIONS \
                and node.id not in ROW_CALLS:
            raise ValueError(f'unknown name {node.id!r} in the ops table formula {source!r}')
        if isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise ValueError(f'unexpected constant {node.value!r} in the ops table formula {source!r}')


ROW_CALLS = frozenset(name for name, op in OPS.items()
                      if op.arity == 1 and not op.constant and name not in FUNCTIONS)
"""Rows a formula may call like helpers (``step(a)``): one argument, no constant."""


@cache
def _checked(source: str) -> None:
    _check(ast.parse(source, mode='eval').body, source)


def forget_checks() -> None:
    """Forget which formulas passed the check: the table's helpers changed (define_operation)."""
    _checked.cache_clear()


def parse(source: str) -> ast.expr:
    """The formula's syntax tree, checked; a fresh copy each call, free to transform.

    >>> ast.unparse(parse('out * (1.0 - out)'))
    'out * (1.0 - out)'
    >>> parse('__import__("os")')
    Traceback (most recent call last):
    ...
    ValueError: the ops table may only call its helper functions: '__import__("os")'
    """
    _checked(source)
    # Parsing a formula again is several times quicker than deep-copying its cached tree.
    return ast.parse(source, mode='eval').body


class _Inline(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        name = called_name(node)
        if name not in ROW_CALLS:
            return node
        return self.visit(Substitute({'a': node.args[0]}).visit(parse(OPS[name].forward)))


def inline(tree: ast.expr) -> ast.expr:
    """The formula with each call of a row (``step(a)``) replaced by that row's forward formula.

    Numbers need no call: the engine and generated code evaluate the condition in place.

    >>> ast.unparse(inline(parse('step(a)')))
    'strong_zero if a <= 0.0 else 1.0'
    """
    return _Inline().visit(tree)


@cache
def inline_text(source: str) -> str:
    """:func:`inline` on a formula's text; a formula without a row call comes back as written."""
    tree = parse(source)
    if not any(isinstance(node, ast.Call) and called_name(node) in ROW_CALLS for node in ast.walk(tree)):
        return source
    return ast.unparse(inline(tree))


def number(tree: ast.AST) -> float | None:
    """The float a tree is, when it is a plain number (not a bool); else None.

    >>> number(ast.Constant(2)), number(ast.Name('a'))
    (2.0, None)
    """
    if isinstance(tree, ast.Constant) and isinstance(tree.value, (int, float)) \
            and not isinstance(tree.value, bool):
        return float(tree.value)
    return None


def called_name(call: ast.Call) -> str:
    """The name of the helper a table formula calls (``_check`` allows calls by name only).

    >>> called_name(parse('sigmoid(a)'))
    'sigmoid'
    """
    if not isinstance(call.func, ast.Name):
        raise ValueError(f'formula form not supported: {ast.unparse(call)}')
    return call.func.id


class Substitute(ast.NodeTransformer):
    """Put the given trees in place of the letters a, b, k, out.

    A letter the formula uses but ``replacements`` lacks is an error: a formula must
    never be left half about the node it describes.
    """

    def __init__(self, replacements: dict[str, ast.expr]) -> None:
        self.replacements = replacements

    def visit_Name(self, node: ast.Name) -> ast.expr:  # noqa: N802 - NodeTransformer API
        replacement = self.replacements.get(node.id)
        if replacement is not None:
            return replacement
        if node.id in OPERANDS:
            raise ValueError(f'an ops table formula uses {node.id} but the node has none')
        return node


class FoldNumbers(ast.NodeTransformer):
    """Arithmetic and negation on plain numbers worked out (``k - 1.0`` with k = 3 is 2.0).

    Folding runs the very float operations Python would run later, so results are
    identical. An operation that fails (``1.0 / 0.0``) is left for run time, where it
    fails as the engine does.
    """

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        left, right = number(node.left), number(node.right)
        operation = ARITHMETIC.get(type(node.op))
        if left is None or right is None or operation is None:
            return node
        try:
            return ast.Constant(operation(left, right))
        except (ArithmeticError, ValueError):
            return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        value = number(node.operand)
        if value is not None and isinstance(node.op, ast.USub):
            return ast.Constant(-value)
        return node


def evaluate(tree: ast.expr, env: dict[str, float]) -> Any:
    """The value of a formula on numbers: a small interpreter for the forms the table uses.

    Used instead of eval() on trees that hold :class:`Known` placeholders. Its values are
    numbers, truth values and (for a bare name) the table's helper functions.

    >>> evaluate(parse('1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0'), {'a': -2.0})
    -1.0
    """
    if isinstance(tree, (Known, ast.Constant)):
        return tree.value
    if isinstance(tree, ast.Name):
        return env[tree.id] if tree.id in env else FUNCTIONS[tree.id]
    if isinstance(tree, ast.BinOp):
        return ARITHMETIC[type(tree.op)](evaluate(tree.left, env), evaluate(tree.right, env))
    if isinstance(tree, ast.UnaryOp):
        operand = evaluate(tree.operand, env)
        if isinstance(tree.op, ast.USub):
            return -operand
        return (not operand) if isinstance(tree.op, ast.Not) else +operand
    if isinstance(tree, ast.IfExp):
        return evaluate(tree.body if evaluate(tree.test, env) else tree.orelse, env)
    if isinstance(tree, ast.Compare):
        left = evaluate(tree.left, env)
        for op, comparator in zip(tree.ops, tree.comparators):
            right = evaluate(comparator, env)
            if not _COMPARISONS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(tree, ast.Call):
        if called_name(tree) in ROW_CALLS:
            return evaluate(inline(tree), env)
        helper: Any = FUNCTIONS[called_name(tree)]  # the table calls only its helpers by name
        return helper(*(evaluate(arg, env) for arg in tree.args))
    raise ValueError(f'formula form not supported: {ast.dump(tree)}')


class _TestNumbers(ast.NodeTransformer):
    """Make every condition test the operands' numbers: ``a == 0.0`` becomes ``_number(a) == 0.0``.

    On Values, ``==`` is identity and every Value is true, so a condition written for
    floats must see the data to take the branch the engine took. A conditional whose
    test reads the data of ``a``, ``b`` or ``out`` (not the constant ``k``) is wrapped
    in ``_taken(...)``: the branch depends on numbers that may change later, and the
    caller's ``_taken`` can mark what it returns as fixed when it was built.
    """

    def __init__(self) -> None:
        self.testing = False
        self.reads_data = False

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        outer, self.testing, outer_reads, self.reads_data = self.testing, True, self.reads_data, False
        node.test = self.visit(node.test)
        reads_data = self.reads_data
        self.testing, self.reads_data = outer, outer_reads or reads_data
        node.body, node.orelse = self.visit(node.body), self.visit(node.orelse)
        if reads_data:
            return ast.Call(ast.Name('_taken', ast.Load()), [node], [])
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:  # noqa: N802 - NodeTransformer API
        if self.testing and node.id in OPERANDS:
            self.reads_data = self.reads_data or node.id != 'k'
            return ast.Call(ast.Name('_number', ast.Load()), [node], [])
        return node


def function(formulas: tuple[str, ...], namespace: dict, *, tests_on_numbers: bool = False,
             transform: ast.NodeTransformer | None = None):
    """One Python function ``(a, b, k, out) -> (formula, ...)`` evaluating the given formulas.

    Compiled once from the formulas' checked syntax trees, with ``namespace`` as its
    globals (the helpers the formulas call). One call per node costs far less than one
    ``eval`` per formula. With ``tests_on_numbers``, conditions call ``_number(operand)``,
    and a conditional that tests data is passed to ``_taken``; ``namespace`` must supply
    both, and a function for each row the formulas call, so that the formulas can run on
    Values. Without it, calls of rows are inlined (:func:`inline`). ``transform``, when
    given, then rewrites each tree (tensors turn conditionals into elementwise choices);
    the names it brings in must be in ``namespace``.

    >>> local = function(('b * slope_power(a, b - 1.0) if b else 0.0',), dict(FUNCTIONS))
    >>> local(2.0, 3.0, None, 8.0)
    (12.0,)
    """
    trees = [parse(formula) for formula in formulas]
    if tests_on_numbers:
        trees = [_TestNumbers().visit(tree) for tree in trees]
    else:
        trees = [inline(tree) for tree in trees]
    if transform is not None:
        trees = [ast.fix_missing_locations(transform.visit(tree)) for tree in trees]
    # The trees are unparsed into the text of one function: a Python expression's text
    # is exactly its tree, and this leaves the AST constructors' version differences aside.
    results = ''.join(f'{ast.unparse(tree)}, ' for tree in trees)
    source = f'def local({", ".join(OPERANDS)}):\n    return ({results})\n'
    defined: dict = {}
    # Built only from the fixed operation table's formulas, checked by parse().
    exec(builtins.compile(source, f'<ops table: {", ".join(formulas)}>', 'exec'), namespace, defined)  # noqa: S102
    return defined['local']
