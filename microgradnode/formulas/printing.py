"""The operation table's formulas, written with the names of a graph's nodes.

The table in :mod:`microgradnode.ops` states each local derivative once, as a Python
expression over ``a``, ``b``, ``k`` and ``out``. To explain a gradient to a person,
those letters must become the nodes they stand for: ``out * (1.0 - out)`` on the node
``s2`` reads ``s2·(1 - s2)``. This module does that on the expression's syntax tree:

- it substitutes node names for ``a``, ``b`` and ``out`` and the number for ``k``,
- keeps the branch of a conditional that was taken at the recorded values,
- folds arithmetic on plain numbers and drops factors of exactly 1,
- prints with ``·`` for products and ``^`` for powers, parentheses only where needed.

Nothing here knows a derivative: every formula comes from the table.

>>> from microgradnode import Value
>>> x = Value(0.5, 'x'); s = x.sigmoid(); s.label = 's'
>>> names = NodeNames(s)
>>> local_formula(s, 0, names).text
's·(1 - s)'
"""

from __future__ import annotations

import ast
import html
import math
import re
from dataclasses import dataclass, field

from ..engine import Value, topological_order
from ..ops import OPS
from ..ops.syntax import FoldNumbers, Known, Substitute, called_name, evaluate, number, parse

__all__ = ['NodeNames', 'Formula', 'Factors', 'local_formula', 'format_number', 'latex', 'mathml', 'words',
           'times_words', 'escape_latex', 'minus_signs']

# Operator precedence for printing: a subexpression is parenthesised when it binds
# less tightly than the place it appears in.
_SUM, _PRODUCT, _UNARY, _POWER, _ATOM = 1, 2, 3, 4, 5
_BINARY = {ast.Add: (' + ', _SUM), ast.Sub: (' - ', _SUM),
           ast.Mult: ('·', _PRODUCT), ast.Div: (' / ', _PRODUCT)}

# A node's own expression longer than this is given a short temporary name (t1, t2...)
# instead: names are nested, and a graph that reuses values would otherwise produce
# names that double in length at every level.
_LONGEST_NAME = 40


def format_number(value: float, spec: str = '.6g') -> str:
    """A number as a person writes it: ``1.0`` is ``1``, ``0.5`` stays ``0.5``.

    >>> format_number(1.0), format_number(-0.25), format_number(1 / 3, '.4g')
    ('1', '-0.25', '0.3333')
    """
    if value == 0.0:
        return '0'  # also for -0.0
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(value, spec)


class _Named(Known):
    """A node of the graph inside a formula: printed as its name, evaluated as its data."""

    def __init__(self, text: str, precedence: int, value: float, constant: bool = False,
                 bare: str | None = None, node: Value | None = None) -> None:
        super().__init__(value)
        self.node = node  # the graph's node, for printers that spell names out (latex, mathml)
        self.text = text
        self.bare = text if bare is None else bare  # without the parentheses around a node
        self.precedence = precedence
        # An unlabelled leaf: a plain number in the formula, but one that stays written
        # as it is (never folded into its neighbours: 0.3·0.3 must not become 0.09).
        self.constant = constant


def _environment(node: Value) -> dict[str, float]:
    """The numbers a formula of ``node``'s operation refers to, as recorded now."""
    env = {'out': node.data}
    parents = node.parents
    if parents:
        env['a'] = parents[0].data
    if len(parents) > 1:
        env['b'] = parents[1].data
    if node.constant is not None:
        env['k'] = node.constant
    return env


# -- rewriting ----------------------------------------------------------------------------

class _TakeBranches(ast.NodeTransformer):
    """Replace each conditional by the branch taken at the recorded values.

    A call of an operation that is constant piece by piece (its own derivative is the
    table's ``strong_zero``: ``step`` for relu, ``sign`` for abs) is a condition too, and
    is replaced by its value; so is ``strong_zero`` itself, a 0.
    """

    def __init__(self, env: dict[str, float]) -> None:
        self.env = env

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        return self.visit(node.body if evaluate(node.test, self.env) else node.orelse)

    def visit_Call(self, node: ast.Call) -> ast.expr:  # noqa: N802 - NodeTransformer API
        op = OPS.get(called_name(node))
        if op is not None and all(local == 'strong_zero' for local in op.local):
            return ast.Constant(float(evaluate(node, self.env)))
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:  # noqa: N802 - NodeTransformer API
        return ast.Constant(0.0) if node.id == 'strong_zero' else node


class _Simplify(FoldNumbers):
    """Arithmetic on plain numbers done, and the trivial ×1, /1, +0, x^1 removed."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:  # noqa: N802 - NodeTransformer API
        folded = super().visit_BinOp(node)
        if not isinstance(folded, ast.BinOp):
            return folded
        node = folded
        left, right = number(node.left), number(node.right)
        op = type(node.op)
        if op is ast.Mult and left == 1.0:
            return node.right
        if op in (ast.Mult, ast.Div) and right == 1.0:
            return node.left
        if op is ast.Add and left == 0.0:
            return node.right
        if op in (ast.Add, ast.Sub) and right == 0.0:
            return node.left
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        if called_name(node) in ('power', 'slope_power') and len(node.args) == 2:
            exponent = number(node.args[1])
            if exponent == 1.0:
                return node.args[0]
            if exponent == 0.0:
                return ast.Constant(1.0)
        return node


# -- printing -----------------------------------------------------------------------------
#
# The printer itself (class _Printer) is below, after the trees it prints; NodeNames uses
# it through _print, the plain-text form.

def _print(tree: ast.expr) -> tuple[str, int]:
    """(text, precedence) of a formula, in words."""
    return _Printer('text').print(tree)


# -- naming the nodes of a graph ------------------------------------------------------------

class NodeNames:
    """A readable name for every node of a graph.

    A node is called by its label; an unlabelled leaf by its value (it is a constant
    such as the 0.5 of ``0.5 * x``); any other unlabelled node by its own expression
    in terms of its parents' names, e.g. ``(out - target)``, or, when that grows too long,
    by a temporary name ``t1``, ``t2``... whose definitions :meth:`definitions` lists.

    >>> from microgradnode import Value
    >>> out = Value(0.4, 'out'); target = Value(0.7, 'target')
    >>> loss = 0.5 * (out - target) ** 2
    >>> names = NodeNames(loss)
    >>> names[loss], names[loss.parents[1]], names.expression(loss)
    ('(0.5·(out - target)^2)', '(out - target)^2', '0.5·(out - target)^2')
    """

    def __init__(self, root: Value, *, variables: tuple[Value, ...] = ()) -> None:
        self._printed: dict[Value, tuple[str, int]] = {}
        self._bare: dict[Value, str] = {}  # names that were parenthesised, without them
        self._temporaries: dict[Value, str] = {}
        # Unlabelled leaves that are variables, not constants: called input, input2, ...
        order = topological_order(root)
        self._taken = {node.label for node in order if node.label}
        self._next_number: dict[tuple[str, bool], int] = {}
        self._variables = {node: self._fresh('input')
                           for node in variables if node.is_leaf and not node.label}
        self._root = root
        for node in order:
            self._name(node)

    def _fresh(self, stem: str, numbered: bool = False) -> str:
        """A name no label of the graph uses: stem, stem2, ... (t1, t2, ... when numbered)."""
        # Start where this stem's last name left off: scanning from 1 each time made naming
        # the temporaries of a long chain quadratic (15 s for 10,000 of them).
        number = self._next_number.get((stem, numbered), 1)
        while True:
            name = f'{stem}{number}' if numbered or number > 1 else stem
            number += 1
            if name not in self._taken:
                self._taken.add(name)
                self._next_number[(stem, numbered)] = number
                return name

    def _name(self, node: Value) -> tuple[str, int]:
        printed = self._printed.get(node)
        if printed is not None:
            return printed
        if node.label:
            printed = (node.label, _ATOM)
        elif node in self._variables:
            printed = (self._variables[node], _ATOM)
        elif node.is_leaf:
            printed = _print(ast.Constant(node.data))
        else:
            printed = _print(self._expression(node))
            if printed[1] < _POWER:
                # Parenthesised wherever it appears: each pair of parentheses is one node.
                self._bare[node] = printed[0]
                printed = (f'({printed[0]})', _ATOM)
            if len(printed[0]) > _LONGEST_NAME:
                # The output gets a name of its own (f), the values on the way t1, t2, ...
                name = self._fresh('f') if node is self._root else self._fresh('t', numbered=True)
                self._temporaries[node] = printed[0]
                printed = (name, _ATOM)
        self._printed[node] = printed
        return printed

    def _expression(self, node: Value, atom=None) -> ast.expr:
        """The node's forward formula with its parents' names (or ``atom(parent)``) substituted."""
        op = OPS[node.op]
        tree = parse(op.forward)
        if isinstance(tree, ast.IfExp):  # relu: name it, do not spell out its cases
            tree = ast.Call(func=ast.Name(id=op.name), args=[ast.Name(id='a')], keywords=[])
        replacements = {}
        for letter, parent in zip('ab', node.parents):
            replacements[letter] = (atom or self.atom)(parent)
        if node.constant is not None:
            replacements['k'] = ast.Constant(node.constant)
        return _Simplify().visit(Substitute(replacements).visit(tree))

    def atom(self, node: Value) -> ast.expr:
        """The node as a piece of a formula: a plain number for an unlabelled constant."""
        if node not in self._printed:
            # Nodes outside the graph this was built for (rare): name them now.
            for other in topological_order(node):
                self._name(other)
        text, precedence = self._printed[node]
        constant = node.is_leaf and not node.label and node not in self._variables
        bare = self._bare.get(node) if text.startswith('(') else None
        return _Named(text, precedence, node.data, constant, bare, node)

    def __getitem__(self, node: Value) -> str:
        return _print(self.atom(node))[0]


    def expression(self, node: Value) -> str:
        """What the node computes, in its parents' names (``w·x + b``); a leaf's own name."""
        if node.is_leaf:
            return self[node]
        self.atom(node)  # make sure the parents are named
        return _print(self._expression(node))[0]

    def expression_with_numbers(self, node: Value, number_format: str = '.4g') -> str:
        """What the node computes, with its parents' values: ``sigmoid(4)`` for ``sigmoid(x1)``.

        >>> from microgradnode import Value
        >>> w = Value(2.0, 'w'); x = Value(-3.0, 'x'); y = w * x
        >>> NodeNames(y).expression_with_numbers(y)
        '2·(-3)'
        """
        if node.is_leaf:
            return format_number(node.data, number_format)
        self.atom(node)

        def number(parent: Value) -> _Named:
            text = format_number(parent.data, number_format)
            return _Named(text, _UNARY if text.startswith('-') else _ATOM, parent.data, True)
        return _print(self._expression(node, number))[0]

    def definitions(self, text: str | None = None) -> list[tuple[str, str]]:
        """(temporary name, what it stands for), for the temporaries ``text`` uses (or all).

        Definitions refer to earlier temporaries, which are then included too.
        """
        pairs = [(self._printed[node][0], expression) for node, expression in self._temporaries.items()]
        if text is None:
            return pairs
        temporary = {name for name, _ in pairs}

        def mentioned(where: str) -> set[str]:
            return {word for word in re.findall(r'\w+', where) if word in temporary}
        used = mentioned(text)
        for name, expression in reversed(pairs):  # later temporaries use earlier ones only
            if name in used:
                used |= mentioned(expression)
        return [(name, expression) for name, expression in pairs if name in used]


# -- one local derivative, written out ------------------------------------------------------

@dataclass(frozen=True)
class Formula:
    """A local derivative d child / d parent, written with the graph's names.

    ``coefficient`` is its plain-number factor (``2`` in ``2·(out - target)``),
    ``rest`` the remaining text ('' when the derivative is just a number) and
    ``rest_value`` the value of that rest at the recorded data.
    """

    coefficient: float
    rest: str
    rest_precedence: int
    rest_value: float
    quotient: bool = False  # the rest is a division: parenthesised inside a product
    tree: ast.expr | None = field(default=None, compare=False, repr=False)  # the rest, as a formula tree

    @property
    def whole(self) -> ast.expr:
        """The whole formula as a tree: the coefficient times the rest."""
        coefficient: ast.expr = ast.Constant(self.coefficient)
        if self.tree is None:
            return coefficient
        if self.coefficient == 1.0:
            return self.tree
        if self.coefficient == -1.0:
            return ast.UnaryOp(op=ast.USub(), operand=self.tree)
        return ast.BinOp(left=coefficient, op=ast.Mult(), right=self.tree)

    @property
    def text(self) -> str:
        """The whole formula, e.g. ``2·(out - target)``."""
        return _print(self.whole)[0]

    @property
    def factor_text(self) -> str:
        """The rest, parenthesised if it is a sum, for writing inside a product."""
        needed = self.rest_precedence < _PRODUCT or self.quotient
        return f'({self.rest})' if needed else self.rest


def local_formula(child: Value, index: int, names: NodeNames) -> Formula:
    """d child / d child.parents[index] as the table writes it, in the graph's names.

    >>> from microgradnode import Value
    >>> w = Value(3.0, 'w'); x = Value(2.0, 'x'); y = w * x * 4
    >>> names = NodeNames(y)
    >>> local_formula(y, 0, names).text, local_formula(y.parents[0], 0, names).text
    ('4', 'x')
    """
    if child.is_leaf:
        raise ValueError('a leaf has no local derivatives')
    op = OPS[child.op]
    env = _environment(child)
    tree = _TakeBranches(env).visit(parse(op.local[index]))
    replacements: dict[str, ast.expr] = {'out': names.atom(child)}
    for letter, parent in zip('ab', child.parents):
        replacements[letter] = names.atom(parent)
    if child.constant is not None:
        replacements['k'] = ast.Constant(child.constant)
    tree = _Simplify().visit(Substitute(replacements).visit(tree))
    coefficient, rest = _split_coefficient(tree)
    if not rest:
        return Formula(coefficient, '', _ATOM, 1.0)
    product = _product(rest)
    text, precedence = _print(product)
    quotient = isinstance(product, ast.BinOp) and isinstance(product.op, ast.Div)
    return Formula(coefficient, text, precedence, float(evaluate(product, env)), quotient, product)


def _split_coefficient(tree: ast.expr) -> tuple[float, list[ast.expr]]:
    """A product's plain-number factors multiplied together, and its other factors."""
    plain = tree.value if isinstance(tree, _Named) and tree.constant else number(tree)
    if plain is not None:
        return plain, []
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
        coefficient, rest = _split_coefficient(tree.operand)
        return -coefficient, rest
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult):
        left_coefficient, left = _split_coefficient(tree.left)
        right_coefficient, right = _split_coefficient(tree.right)
        return left_coefficient * right_coefficient, left + right
    if isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div):
        # -out / b is -1 times out / b; 1 / b stays as it is.
        coefficient, numerator = _split_coefficient(tree.left)
        if numerator:
            return coefficient, [ast.BinOp(left=_product(numerator), op=ast.Div(), right=tree.right)]
    return 1.0, [tree]


def _product(factors: list[ast.expr]) -> ast.expr:
    product = factors[0]
    for factor in factors[1:]:
        product = ast.BinOp(left=product, op=ast.Mult(), right=factor)
    return product



# -- the same trees as mathematics: LaTeX and MathML -----------------------------------------
#
# Both printers walk the trees the text printer walks (the table's formulas with the graph's
# nodes put in); an unlabelled computed node is spelled out from its own operation's tree,
# a labelled one is one identifier.

_LATEX_SPECIAL = {'\\': r'\textbackslash{}', '{': r'\{', '}': r'\}', '_': r'\_', '^': r'\^{}',
                  '#': r'\#', '$': r'\$', '%': r'\%', '&': r'\&', '~': r'\~{}'}
_LATEX_FUNCTIONS = {'exp': r'\exp', 'log': r'\log', 'tanh': r'\tanh', 'sin': r'\sin', 'cos': r'\cos',
                    'sigmoid': r'\sigma'}
_MATHML_FUNCTIONS = {'sigmoid': 'σ'}


def escape_latex(text: str) -> str:
    r"""Text made safe inside LaTeX: ``a_b#`` is ``a\_b\#``.

    >>> escape_latex('w_1 & 50%')
    'w\\_1 \\& 50\\%'
    """
    return ''.join(_LATEX_SPECIAL.get(char, char) for char in text)


def _latex_identifier(name: str) -> str:
    # w0 reads w₀; a longer word is upright text (loss), a single letter stays italic.
    match = re.fullmatch(r'([A-Za-z])(\d+)', name)
    if match:
        return f'{match.group(1)}_{{{match.group(2)}}}'
    if re.fullmatch(r'[A-Za-z]', name):
        return name
    return rf'\mathrm{{{escape_latex(name)}}}'


def _mathml_identifier(name: str) -> str:
    match = re.fullmatch(r'([A-Za-z])(\d+)', name)
    if match:
        return f'<msub><mi>{match.group(1)}</mi><mn>{match.group(2)}</mn></msub>'
    return f'<mi>{html.escape(name)}</mi>'


class Factors(ast.expr):
    """A product whose factors stay visible as factors: the local derivatives along a path.

    Printed with a wider multiplication sign in words (``f·(1 - f) · 1 · x``) and each
    compound factor in brackets in LaTeX and MathML, so the reader can count the factors
    and match them with the arrows of the path.
    """

    _fields = ()

    def __init__(self, factors: list[ast.expr]) -> None:
        super().__init__()
        self.factors = factors


_LATEX_BINARY = {ast.Add: ' + ', ast.Sub: ' - ', ast.Mult: r' \cdot '}
_MATHML_BINARY = {ast.Add: '+', ast.Sub: '-', ast.Mult: '·'}


class _Printer:
    """The one printer of formula trees, in words, LaTeX or MathML (presentation markup).

    All three forms share one set of precedence rules, so a sum inside a product is
    parenthesised in each of them alike. The walk is iterative: a chain of a thousand
    factors (a long path) prints without deep recursion.

    In words, a node of the graph prints as its name (``(w·x)``: each pair of parentheses
    is one node); in LaTeX and MathML an unlabelled computed node is spelled out from its
    own operation's tree, with parentheses only where precedence needs them.
    """

    def __init__(self, style: str, names: NodeNames | None = None, *, number_format: str = '.6g',
                 times: str = ' · ') -> None:
        self.style, self.names, self.number_format = style, names, number_format
        self.latex, self.mathml = style == 'latex', style == 'mathml'
        self.times = times  # between the factors of a Factors product, in words
        self._spelled: dict[Value, ast.expr] = {}

    # -- the walk

    def print(self, tree: ast.expr) -> tuple[str, int]:
        """(printed, precedence) of a tree, children first, on an explicit stack."""
        done: list[tuple[str, int]] = []
        stack: list[tuple[ast.expr, list[ast.expr] | None]] = [(tree, None)]
        while stack:
            node, children = stack.pop()
            if children is not None:  # its children are printed: the last len(children) results
                parts = done[len(done) - len(children):]
                del done[len(done) - len(children):]
                done.append(self.combine(node, children, parts))
                continue
            children = self.children(node)
            if children is None:
                done.append(self.leaf(node))
                continue
            stack.append((node, children))
            stack.extend((child, None) for child in reversed(children))
        (printed,) = done
        return printed

    def children(self, tree: ast.expr) -> list[ast.expr] | None:
        if isinstance(tree, _Named):
            spelled = self.spelled(tree)
            return None if spelled is None else [spelled]
        if isinstance(tree, Factors):
            return list(tree.factors)
        if number(tree) is not None:
            return None
        if isinstance(tree, ast.BinOp) and type(tree.op) in _BINARY:
            return [tree.left, tree.right]
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
            return [tree.operand]
        if isinstance(tree, ast.Call):
            return list(tree.args)
        return None

    def spelled(self, tree: _Named) -> ast.expr | None:
        """An unlabelled computed node's own expression, for LaTeX and MathML; else None."""
        names, node = self.names, tree.node
        if self.style == 'text' or names is None or node is None or tree.constant:
            return None
        if node.label or node.is_leaf or node in names._temporaries or node in names._variables:
            return None
        if node not in self._spelled:
            self._spelled[node] = names._expression(node)
        return self._spelled[node]

    def leaf(self, tree: ast.expr) -> tuple[str, int]:
        if isinstance(tree, _Named):
            if self.style == 'text':
                return tree.text, tree.precedence
            if tree.constant or tree.node is None:
                return self.number(tree.value)
            return self.identifier(tree.bare if tree.text.startswith('(') else tree.text), _ATOM
        plain = number(tree)
        if plain is not None:
            return self.number(plain)
        if isinstance(tree, ast.Name):
            return self.identifier(tree.id), _ATOM
        if self.style == 'text':
            return ast.unparse(tree), _SUM
        raise ValueError(f'cannot print {ast.unparse(tree)!r} as mathematics')

    def combine(self, tree: ast.expr, children: list[ast.expr],
                parts: list[tuple[str, int]]) -> tuple[str, int]:
        if isinstance(tree, _Named):
            return parts[0]
        if isinstance(tree, Factors):
            return self.factors(children, parts)
        if isinstance(tree, ast.BinOp):
            return self.binary(type(tree.op), *parts)
        if isinstance(tree, ast.UnaryOp):
            (operand,) = parts
            return self.row(self.op('-'), self.wrap(operand, operand[1] < _POWER)), _UNARY
        assert isinstance(tree, ast.Call)
        return self.call(called_name(tree), children, parts)

    # -- the pieces, in the three forms

    def wrap(self, printed: tuple[str, int], needed: bool, brackets: str = '()') -> str:
        if not needed:
            return printed[0]
        opening, closing = brackets[0], brackets[1]
        if self.latex:
            return rf'\left{opening}{printed[0]}\right{closing}'
        if self.mathml:
            return f'<mrow><mo>{opening}</mo>{printed[0]}<mo>{closing}</mo></mrow>'
        return f'{opening}{printed[0]}{closing}'

    def op(self, symbol: str) -> str:
        if not self.mathml:
            return symbol
        return f'<mo>{"−" if symbol == "-" else html.escape(symbol)}</mo>'  # the minus sign, not a hyphen

    def row(self, *parts: str) -> str:
        return f'<mrow>{"".join(parts)}</mrow>' if self.mathml else ''.join(parts)

    def identifier(self, name: str) -> str:
        if self.latex:
            return _latex_identifier(name)
        return _mathml_identifier(name) if self.mathml else name

    def number(self, value: float) -> tuple[str, int]:
        text = format_number(value, self.number_format)
        negative = text.startswith('-')
        precedence = _UNARY if negative else _ATOM
        if self.style == 'text':
            return text, precedence
        if not math.isfinite(value):  # inf, -inf, nan: words, not numbers
            if self.latex:
                infinity = rf'{"-" if negative else ""}\infty'
                return (infinity if math.isinf(value) else r'\mathrm{NaN}'), precedence
            word = '<mi>∞</mi>' if math.isinf(value) else '<mi>NaN</mi>'
            return (f'<mrow><mo>−</mo>{word}</mrow>' if negative else word), precedence
        if self.latex:
            return re.sub(r'e([+-]?)0*(\d+)',
                          lambda m: rf'\times 10^{{{m.group(1).lstrip("+")}{m.group(2)}}}', text), precedence
        return (f'<mn>−{text[1:]}</mn>' if negative else f'<mn>{text}</mn>'), precedence

    def binary(self, op: type[ast.operator], left: tuple[str, int],
               right: tuple[str, int]) -> tuple[str, int]:
        if op is ast.Div and self.style != 'text':  # a fraction bar groups both sides by itself
            if self.latex:
                return rf'\frac{{{left[0]}}}{{{right[0]}}}', _ATOM
            return f'<mfrac>{self.row(left[0])}{self.row(right[0])}</mfrac>', _ATOM
        symbol, precedence = _BINARY[op]
        if self.latex:
            symbol = _LATEX_BINARY[op]
        elif self.mathml:
            symbol = self.op(_MATHML_BINARY[op])
        # A negative first factor is parenthesised, (-2)·x; the right operand of - and /
        # needs parentheses at equal precedence too, and a negative one always does: 2·(-3).
        left_needs = left[1] < precedence or (left[1] == _UNARY and precedence == _PRODUCT)
        right_needs = right[1] < precedence or right[1] == _UNARY or (
            right[1] == precedence and op in (ast.Sub, ast.Div))
        return self.row(self.wrap(left, left_needs), symbol, self.wrap(right, right_needs)), precedence

    def factors(self, trees: list[ast.expr], parts: list[tuple[str, int]]) -> tuple[str, int]:
        if len(parts) == 1:
            return parts[0]
        if not parts:  # the empty path from a value to itself: d x / d x = 1
            return self.number(1.0)
        shown = []
        for place, (tree, part) in enumerate(zip(trees, parts)):
            # A negative factor is parenthesised after the first: -2 · (-3), as in arithmetic.
            needs = part[1] < _PRODUCT or part[1] == _UNARY and place > 0
            if self.style == 'text':
                # A quotient among factors: (1 / b) · x, never 1 / b · x.
                needs = needs or part[1] == _PRODUCT and _is_quotient(tree)
                shown.append(self.wrap(part, needs))
            else:  # a product inside the path's product: grouped in brackets, one factor
                shown.append(self.wrap(part, needs) if needs else self.wrap(part, part[1] == _PRODUCT, '[]'))
        if self.latex:
            return r' \cdot '.join(shown), _PRODUCT
        if self.mathml:
            return self.row(self.op('·').join(shown)), _PRODUCT
        return self.times.join(shown), _PRODUCT

    def call(self, name: str, trees: list[ast.expr], args: list[tuple[str, int]]) -> tuple[str, int]:
        if name in ('power', 'slope_power') and len(args) == 2:
            base, exponent = args
            if self.latex:
                return f'{{{self.wrap(base, base[1] <= _POWER)}}}^{{{exponent[0]}}}', _POWER
            if self.mathml:
                base_markup = self.row(self.wrap(base, base[1] <= _POWER))
                return f'<msup>{base_markup}{self.row(exponent[0])}</msup>', _POWER
            return f'{self.wrap(base, base[1] <= _POWER)}^{self.wrap(exponent, exponent[1] < _ATOM)}', _POWER
        if self.style == 'text':
            # Inside a call's own parentheses, a node needs none of its own: sigmoid(x - 2).
            bare = [tree.bare if isinstance(tree, _Named) else text for tree, (text, _) in zip(trees, args)]
            if name == 'fabs' and len(args) == 1:
                # ||x|| would read as a norm: an absolute value of one is written abs(|x|).
                nested = bare[0].startswith('|') or bare[0].endswith('|')
                return (f'abs({bare[0]})' if nested else f'|{bare[0]}|'), _ATOM
            return f'{name}({", ".join(bare)})', _ATOM
        if name == 'fabs' and len(args) == 1:
            if self.latex:
                return rf'\left|{args[0][0]}\right|', _ATOM
            return self.row('<mo>|</mo>', args[0][0], '<mo>|</mo>'), _ATOM
        if name == 'sqrt' and len(args) == 1:
            return (rf'\sqrt{{{args[0][0]}}}' if self.latex else f'<msqrt>{args[0][0]}</msqrt>'), _ATOM
        if self.latex:
            inner = ', '.join(arg[0] for arg in args)
            function = _LATEX_FUNCTIONS.get(name, rf'\operatorname{{{escape_latex(name)}}}')
            return rf'{function}\left({inner}\right)', _ATOM
        inner = '<mo>,</mo>'.join(arg[0] for arg in args)
        return (f'<mrow><mi>{html.escape(_MATHML_FUNCTIONS.get(name, name))}</mi><mo>&#x2061;</mo>'
                f'<mrow><mo>(</mo>{inner}<mo>)</mo></mrow></mrow>'), _ATOM


def _is_quotient(tree: ast.expr) -> bool:
    while isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult):
        tree = tree.right  # 2·1 / b prints as a quotient at its right end
    return isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Div)


def latex(formula: Formula | ast.expr, names: NodeNames | None = None) -> str:
    r"""A formula (a local derivative, or any tree of this module) as LaTeX.

    >>> from microgradnode import Value
    >>> x = Value(0.5, 'x'); s = x.sigmoid(); s.label = 's'
    >>> names = NodeNames(s)
    >>> latex(local_formula(s, 0, names), names)
    's \\cdot \\left(1 - s\\right)'
    """
    return _Printer('latex', names).print(formula.whole if isinstance(formula, Formula) else formula)[0]


def mathml(formula: Formula | ast.expr, names: NodeNames | None = None) -> str:
    """The same as presentation MathML, without the enclosing ``<math>`` element.

    >>> from microgradnode import Value
    >>> x = Value(0.5, 'x'); y = x * 3
    >>> mathml(local_formula(y, 0, NodeNames(y)))
    '<mn>3</mn>'
    """
    return _Printer('mathml', names).print(formula.whole if isinstance(formula, Formula) else formula)[0]


def words(tree: Formula | ast.expr, *, number_format: str = '.6g', times: str = ' · ') -> str:
    """A formula (or a :class:`Factors` product) in words, by the same printer as LaTeX and MathML.

    ``times`` separates the factors of a :class:`Factors` product.

    >>> from microgradnode import Value
    >>> x = Value(0.5, 'x'); f = x.tanh(); f.label = 'f'
    >>> words(Factors([ast.Constant(0.5), local_formula(f, 0, NodeNames(f)).whole]))
    '0.5 · (1 - f·f)'
    """
    tree = tree.whole if isinstance(tree, Formula) else tree
    return _Printer('text', number_format=number_format, times=times).print(tree)[0]


def times_words(upstream: float, formula: Formula, *, number_format: str = '.6g') -> str:
    """What a parent receives, in words: the upstream gradient × the local derivative.

    A sum is parenthesised (the product binds tighter), a negative number too.

    >>> from microgradnode import Value
    >>> x = Value(0.5, 'x'); f = x.tanh(); f.label = 'f'
    >>> times_words(3.0, local_formula(f, 0, NodeNames(f)))
    '3 × (1 - f·f)'
    """
    return words(Factors([ast.Constant(upstream), formula.whole]), number_format=number_format, times=' × ')


_MINUS = re.compile(r'(?<![\w.)\]])-(?=[\d.(\w∞])|(?<= )-(?= )|(?<=\de)-(?=\d)')


def minus_signs(text: str) -> str:
    """One minus sign everywhere, as the diagrams and the walkthrough write it: −0.5 and (out − target).

    A hyphen inside a word stays: ``my-name``; an exponent's is a minus, as in the diagrams.

    >>> minus_signs('x = -0.25; (out - target); 1e-05; my-name; re-2')
    'x = −0.25; (out − target); 1e−05; my-name; re-2'
    """
    return _MINUS.sub('−', text)
