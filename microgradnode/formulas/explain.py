"""Chain-rule explanations: a gradient as the sum, over paths, of products of local derivatives.

d output / d input is the sum, over every path from ``input`` to ``output`` in the
graph, of the product of the local derivatives along that path. :func:`explain` lists
those paths, each written symbolically (with the graph's names, from the operation
table's formulas) and numerically (from the derivatives the forward pass recorded),
adds them up, and sets the total beside the gradient ``backward()`` computes.

>>> from microgradnode import Value
>>> x = Value(3.0, 'x'); w = Value(2.0, 'w')
>>> y = w * x + x; y.label = 'y'
>>> print(explain(y, x))
d y / d x, where y = (w·x) + x: 2 paths
<BLANKLINE>
path 1: x → (w·x) → y
  = w
  = 2
path 2: x → y
  = 1
<BLANKLINE>
sum of the 2 paths:          3
backward() gives d y / d x = 3
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from functools import cache

from ..engine import Value, topological_order
from ..ops import FUNCTIONS, OPS
from ..ops.syntax import function
from .printing import Formula, NodeNames, _product, format_number, latex, local_formula, mathml

__all__ = ['explain', 'Explanation', 'ChainPath', 'count_paths', 'check_recorded_state', 'StaleGraphError']

DEFAULT_MAX_PATHS = 10


@dataclass(frozen=True)
class ChainPath:
    """One path from the input to the output and its product of local derivatives.

    ``nodes`` runs from the input to the output; ``local_grads`` and ``formulas`` run the
    other way, output first, as the chain rule is usually written and as backward
    multiplies. ``value`` is the product of the recorded ``local_grads``.
    """

    nodes: tuple[Value, ...]
    local_grads: tuple[float, ...]
    formulas: tuple[Formula, ...]
    value: float

    @property
    def coefficient(self) -> float:
        """The product of the plain-number factors of all the local derivatives."""
        return math.prod(formula.coefficient for formula in self.formulas)

    def symbolic(self) -> str:
        """The product written with the graph's names, e.g. ``(out - target) · s2``."""
        return ' · '.join(text for text, _ in self._factors('.6g') if text)

    def numeric(self, number_format: str = '.4g') -> str:
        """The same product with each factor's value, e.g. ``(-0.3362) · 0.7275``."""
        return ' · '.join(value for _, value in self._factors(number_format))

    def _factors(self, number_format: str) -> list[tuple[str, str]]:
        coefficient = self.coefficient
        shown = [formula for formula in self.formulas if formula.rest]
        alone = len(shown) == 1 and coefficient == 1.0
        factors = [(formula.rest if alone else formula.factor_text,
                    _parenthesised(formula.rest_value, number_format)) for formula in shown]
        if coefficient == -1.0 and factors:
            # -x^(-2), not -1 · x^(-2); the numbers keep their (-1) factor.
            factors[0] = (f'-{factors[0][0]}', factors[0][1])
            factors.insert(0, ('', '(-1)'))
        elif coefficient != 1.0 or not factors:
            factors.insert(0, (format_number(coefficient),
                               _parenthesised(coefficient, number_format)))
        return factors


def _parenthesised(value: float, number_format: str) -> str:
    text = format_number(value, number_format)
    return f'({text})' if text.startswith('-') else text


@dataclass(frozen=True)
class Explanation:
    """Every path from ``input`` to ``output`` (or the first ``max_paths``), and their sum.

    ``path_count`` is the exact number of paths (it can be astronomically large when
    values are reused); ``paths`` holds the ones listed; ``gradient`` is what
    ``backward()`` computes for d output / d input, which the sum of all paths equals.
    """

    output: Value
    input: Value
    paths: tuple[ChainPath, ...]
    path_count: int
    gradient: float
    names: NodeNames = field(repr=False, compare=False)

    @property
    def complete(self) -> bool:
        """True when every path is listed."""
        return len(self.paths) == self.path_count

    @property
    def path_sum(self) -> float:
        """The sum of the listed paths (the whole gradient when :attr:`complete`)."""
        values = [path.value for path in self.paths]
        if all(math.isfinite(value) for value in values):
            return math.fsum(values)
        return sum(values)  # fsum refuses inf + -inf; IEEE addition gives nan, as backward() does

    def __str__(self) -> str:
        return self.text()

    def text(self, *, number_format: str = '.4g') -> str:
        """The explanation in words, one block per path."""
        names = self.names
        out_name, in_name = names[self.output], names[self.input]
        derivative = f'd {out_name} / d {in_name}'
        # Say what the output is, unless its name already is its expression.
        defined = ''
        if self.output.label and not self.output.is_leaf:
            defined = f', where {out_name} = {names.expression(self.output)}'
        plural = 'path' if self.path_count == 1 else 'paths'
        lines = [f'{derivative}{defined}: {self.path_count} {plural}']
        if self.path_count == 0:
            lines += ['', f'{out_name} does not depend on {in_name}: the gradient is 0.']
            return '\n'.join(lines)
        if not self.complete:
            lines += ['', f'Too many paths to list them all (values are reused, so paths multiply); '
                          f'the first {len(self.paths)} are shown. Their total is still exact: '
                          f'backward() adds them all up in one pass over the graph.']
        for number, path in enumerate(self.paths, 1):
            route = ' → '.join(names[node] for node in path.nodes)
            numeric = path.numeric(number_format)
            if ' · ' in numeric:
                numeric += f' = {format_number(path.value, number_format)}'
            symbolic = path.symbolic()
            if number == 1:
                lines.append('')  # one blank line between the heading and the paths
            lines += [f'path {number}: {route}', f'  = {symbolic}']
            if numeric != symbolic:
                lines.append(f'  = {numeric}')
        lines.append('')
        result = format_number(self.gradient, '.6g')
        if self.complete:
            total = format_number(self.path_sum, '.6g')
            label = 'the path gives:' if self.path_count == 1 else f'sum of the {self.path_count} paths:'
            answer = f'backward() gives {derivative} ='
            width = max(len(label), len(answer)) + 1
            lines += [f'{label:<{width}}{total}', f'{answer:<{width}}{result}']
        else:
            lines.append(f'sum of all {self.path_count} paths = backward() gives {derivative} = {result}')
        definitions = names.definitions('\n'.join(lines))
        if definitions:
            lines += ['', 'where'] + [f'  {name} = {text}' for name, text in definitions]
        return '\n'.join(lines)


    def latex(self, *, number_format: str = '.4g') -> str:
        r"""The chain rule for this gradient as a LaTeX ``aligned`` block (for ``$$ ... $$``).

        The first line sums the paths in symbols, the second in numbers, the last gives
        backward()'s gradient; ``+ \cdots`` stands for paths not listed.

        >>> from microgradnode import Value
        >>> x = Value(3.0, 'x'); w = Value(2.0, 'w'); y = w * x + x; y.label = 'y'
        >>> print(explain(y, x).latex())
        \begin{aligned}
        \frac{\partial y}{\partial x} &= w + 1 \\
          &= 2 + 1 \\
          &= 3
        \end{aligned}
        """
        lines = self._math_lines('latex', number_format)
        derivative = rf'\frac{{\partial {latex(self._leaf(self.output), self.names)}}}' \
                     rf'{{\partial {latex(self._leaf(self.input), self.names)}}}'
        body = [f'{derivative} &= {lines[0]}', *(f'  &= {line}' for line in lines[1:])]
        body += [rf'  & \text{{where }} {latex(self.names.atom(node), self.names)} = '
                 f'{latex(self.names._expression(node), self.names)}' for node in self.names._temporaries]
        return '\\begin{aligned}\n' + ' \\\\\n'.join(body) + '\n\\end{aligned}'

    def mathml(self, *, number_format: str = '.4g') -> str:
        """The same as a MathML ``<math>`` element (well-formed XML; browsers render it natively).

        >>> from microgradnode import Value
        >>> x = Value(3.0, 'x'); y = x * x
        >>> explain(y, x).mathml()[:40]
        '<math xmlns="http://www.w3.org/1998/Math'
        """
        lines = self._math_lines('mathml', number_format)
        derivative = (f'<mfrac><mrow><mo>∂</mo>{mathml(self._leaf(self.output), self.names)}</mrow>'
                      f'<mrow><mo>∂</mo>{mathml(self._leaf(self.input), self.names)}</mrow></mfrac>')
        rows = ''.join(f'<mtr><mtd>{derivative if number == 0 else ""}</mtd>'
                       f'<mtd><mo>=</mo>{line}</mtd></mtr>' for number, line in enumerate(lines))
        return (f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
                f'<mtable columnalign="right left">{rows}</mtable></math>')

    def _leaf(self, node: Value):
        """The node as a formula tree: its name (an output with a label is not spelled out)."""
        return self.names.atom(node) if node.label or node.is_leaf else self.names._expression(node)

    def _math_lines(self, style: str, number_format: str) -> list[str]:
        printer = latex if style == 'latex' else mathml
        plus = ' + ' if style == 'latex' else '<mo>+</mo>'
        more = [r'\cdots' if style == 'latex' else '<mo>⋯</mo>'] if not self.complete else []
        answer = printer(Formula(self.gradient, '', 0, 1.0))
        if not self.paths:
            return [answer]
        symbolic, numeric = [], []
        for path in self.paths:
            trees = [formula.tree for formula in path.formulas if formula.tree is not None]
            product = Formula(path.coefficient, 'rest' if trees else '', 0, 1.0,
                              tree=_product(trees) if trees else None)
            symbolic.append(printer(product, self.names))
            # The numbers in the order of the symbols: the plain-number factor first.
            numbers = [printer(Formula(float(value.strip('()')), '', 0, 1.0))
                       for _, value in path._factors(number_format)]
            wrapped = r'\left({}\right)' if style == 'latex' else '<mrow><mo>(</mo>{}<mo>)</mo></mrow>'
            numbers = [wrapped.format(text) if text.startswith(('-', '<mn>−', '<mrow><mo>−')) else text
                       for text in numbers]
            numeric.append((r' \cdot ' if style == 'latex' else '<mo>·</mo>').join(numbers))
        lines = [plus.join(symbolic + more), plus.join(numeric + more)]
        if style == 'latex':  # a - b, not a + -b
            lines = [line.replace(' + -', ' - ') for line in lines]
        lines = [line if style == 'latex' else f'<mrow>{line}</mrow>' for line in lines]
        if lines[1] == lines[0]:
            lines.pop()
        return [*lines, answer]


class StaleGraphError(ValueError):
    """The graph's data changed after its forward pass: ``node`` no longer matches its inputs.

    The engine recorded each local derivative at the forward pass; an explanation built
    from those numbers and from data changed since (``w.data = 3`` after the pass, an
    optimizer step) would mix two states of the graph and not add up.
    """

    def __init__(self, message: str, node: Value) -> None:
        super().__init__(message)
        self.node = node


@cache
def _forward(op_name: str):
    """The table's forward formula of ``op_name`` as a function of (a, b, k, out)."""
    return function((OPS[op_name].forward,), dict(FUNCTIONS))


def check_recorded_state(output: Value, nodes: list[Value] | None = None) -> None:
    """Raise :class:`StaleGraphError` unless every node's data is what its forward pass gave.

    Each operation is computed again, by the table's formula, from its parents' data as
    it is now, and compared with the result recorded in the node: a leaf whose ``.data``
    changed after the pass (a divisor set to 0 too) shows as the first mismatch. Pass
    ``nodes`` (in topological order) when you have them already. Explanations and
    walkthroughs call this first, so that they only ever show the one state of the graph
    the recorded local derivatives belong to.

    >>> from microgradnode import Value
    >>> w = Value(2.0, 'w'); y = w * 3; y.label = 'y'
    >>> check_recorded_state(y)
    >>> w.data = 5.0
    >>> check_recorded_state(y)
    Traceback (most recent call last):
    ...
    microgradnode.formulas.explain.StaleGraphError: the graph changed after its forward pass: \
y = w·3 holds 6, but with w = 5 it now gives 15; run the forward pass again (recompute y from its inputs) \
before explaining it
    """
    for node in topological_order(output) if nodes is None else nodes:
        parents = node.parents
        if not parents:
            continue
        a = parents[0].data
        b = parents[1].data if len(parents) > 1 else None
        try:
            (now,) = _forward(node.op)(a, b, node.constant, None)
        except (ArithmeticError, ValueError) as error:
            now = error
        if isinstance(now, float) and (now == node.data or (now != now and node.data != node.data)):
            continue
        raise StaleGraphError(_stale_message(output, node, now), node)


def _stale_message(output: Value, node: Value, now: float | Exception) -> str:
    names = NodeNames(output)
    given = ', '.join(f'{names[parent]} = {format_number(parent.data)}'
                      for parent in dict.fromkeys(node.parents) if parent.label)
    what = f'{names[node]} = {names.expression(node)}' if node.label else names[node]
    result = f'gives {format_number(now)}' if isinstance(now, float) else f'fails ({now})'
    inputs = f'with {given} it' if given else 'its inputs'
    return (f'the graph changed after its forward pass: {what} holds {format_number(node.data)}, '
            f'but {inputs} now {result}; run the forward pass again (recompute {names[output]} '
            f'from its inputs) before explaining it')


def count_paths(output: Value, input: Value) -> int:  # noqa: A002 - the natural name
    """The number of paths from ``input`` to ``output``, counted without listing them.

    Each node's count is the sum of its parents' counts (an edge per parent, so ``x*x``
    counts twice): linear time however many paths there are.

    >>> from microgradnode import Value
    >>> x = Value(1.0, 'x')
    >>> y = x
    >>> for _ in range(60):
    ...     y = y * y + y
    >>> count_paths(y, x) == 3 ** 60
    True
    """
    return _path_counts(output, input).get(output, 0)


def _path_counts(output: Value, input: Value) -> dict[Value, int]:  # noqa: A002
    counts: dict[Value, int] = {}
    for node in topological_order(output):
        if node is input:
            counts[node] = 1
        else:
            total = sum(counts.get(parent, 0) for parent in node.parents)
            if total:
                counts[node] = total
    return counts


def _backward_gradient(output: Value, input: Value) -> float:  # noqa: A002
    """d output / d input from backward(), leaving every grad in the graph as it was."""
    nodes = topological_order(output)
    saved = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        output.backward()
        return input.grad if input in set(nodes) else 0.0
    finally:
        for node, grad in zip(nodes, saved):
            node.grad = grad


def _paths(output: Value, input: Value, counts: dict[Value, int], limit: int):  # noqa: A002
    """The first ``limit`` paths, as lists of (child, parent index) edges, output first.

    Depth-first, iterative (a path can be a million edges long), and only through
    nodes that lead to the input, so each path found costs its own length.
    """
    found = 0
    edges: list[tuple[Value, int]] = []
    stack = [(output, 0)]  # (node, index of the next parent to try)
    if output is input:
        yield []
        return
    while stack and found < limit:
        node, index = stack[-1]
        parents = node.parents
        if index == len(parents):
            stack.pop()
            if edges:
                edges.pop()
            continue
        stack[-1] = (node, index + 1)
        parent = parents[index]
        if parent not in counts:
            continue
        edges.append((node, index))
        if parent is input:
            found += 1
            yield list(edges)
            edges.pop()
        else:
            stack.append((parent, 0))


def explain(output: Value, input: Value, *, max_paths: int = DEFAULT_MAX_PATHS) -> Explanation:  # noqa: A002
    """Explain d output / d input by the chain rule, path by path.

    At most ``max_paths`` paths are listed; the count and the gradient are always exact.
    The gradient comes from ``backward()``; grads stored in the graph are left unchanged.
    Everything shown is the state of the forward pass: if a value's ``.data`` changed
    since, :class:`StaleGraphError` (a ``ValueError``) says which, rather than mixing
    new data with the recorded derivatives.

    >>> from microgradnode import Value
    >>> w = Value(0.5, 'w'); s = Value(2.0, 's')
    >>> out = w * s; out.label = 'out'
    >>> loss = 0.5 * (out - 0.7) ** 2
    >>> e = explain(loss, w)
    >>> e.paths[0].symbolic(), e.path_count, round(e.gradient, 6)
    ('(out - 0.7) · s', 1, 0.6)
    """
    if not isinstance(output, Value):
        raise TypeError(f'explain: output must be a Value, not {type(output).__name__}')
    if not isinstance(input, Value):
        raise TypeError(f'explain: input must be a Value, not {type(input).__name__}')
    if isinstance(max_paths, bool) or not isinstance(max_paths, numbers.Integral) or max_paths < 1:
        raise ValueError(f'explain: max_paths must be a positive integer, not {max_paths!r}')
    check_recorded_state(output)
    names = NodeNames(output, variables=(input,))
    counts = _path_counts(output, input)
    chain_paths = []
    for edges in _paths(output, input, counts, int(max_paths)):
        local_grads = tuple(child.local_grads[index] for child, index in edges)
        formulas = tuple(local_formula(child, index, names) for child, index in edges)
        nodes = (input, *(child for child, _ in reversed(edges)))
        chain_paths.append(ChainPath(nodes, local_grads, formulas, math.prod(local_grads)))
    return Explanation(output, input, tuple(chain_paths), counts.get(output, 0),
                       _backward_gradient(output, input), names)
