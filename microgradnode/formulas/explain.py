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
  = 1 · w
  = 1 · 2 = 2
path 2: x → y
  = 1
<BLANKLINE>
sum of the 2 paths:          3
backward() gives d y / d x = 3
"""

from __future__ import annotations

import ast
import math
import numbers
from dataclasses import dataclass, field
from functools import cache

from ..engine import Value, topological_order
from ..ops import FUNCTIONS, OPS
from ..ops.syntax import function
from .printing import (
    _ATOM,
    Factors,
    Formula,
    NodeNames,
    _Named,
    _Printer,
    format_number,
    local_formula,
    words,
)

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
    slots: tuple[int, ...] = ()  # at each edge, output first: which operand of the child the parent is

    @property
    def coefficient(self) -> float:
        """The product of the plain-number factors of all the local derivatives."""
        return math.prod(formula.coefficient for formula in self.formulas)

    @property
    def factors(self) -> Factors:
        """The product of the local derivatives as one tree, each derivative one factor."""
        return Factors([formula.whole for formula in self.formulas])

    def symbolic(self) -> str:
        """The product written with the graph's names, one factor per arrow of the path.

        Nothing is left out: the ``1`` of an addition is the lesson that a sum passes its
        gradient on unchanged, e.g. ``f·(1 - f) · 1 · x``.
        """
        return words(self.factors)

    def numeric(self, number_format: str = '.4g') -> str:
        """The same product with each factor's recorded value, e.g. ``0.25 · 1 · 2``."""
        numbers = Factors([ast.Constant(value) for value in self.local_grads])
        return words(numbers, number_format=number_format)

    def simplified(self) -> str:
        """The product with its plain numbers multiplied together and factors of 1 left out.

        This is how the notebook writes its updates: ``0.5 · 2·(out - target) · 1 · s2``
        is ``(out - target) · s2``.
        """
        return ' · '.join(text for text, _ in self._factors('.6g') if text)

    def _plain_numbers(self) -> list[float]:
        """The plain-number factors other than 1, which :meth:`simplified` multiplies out."""
        return [formula.coefficient for formula in self.formulas if formula.coefficient != 1.0]

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
            numeric = path.numeric(number_format)
            if ' · ' in numeric:
                numeric += f' = {format_number(path.value, number_format)}'
            symbolic = path.symbolic()
            if number == 1:
                lines.append('')  # one blank line between the heading and the paths
            lines += [f'path {number}: {self._route(path)}', f'  = {symbolic}']
            if numeric != symbolic:
                lines.append(f'  = {numeric}')
            plain = path._plain_numbers()
            if len(plain) > 1:  # numbers that cancel or combine, as 0.5 and 2 in 0.5 · 2·x
                product = ' · '.join(_parenthesised(value, '.6g') for value in plain)
                lines.append(f'  = {path.simplified()}   (multiplying the plain numbers: '
                             f'{product} = {format_number(path.coefficient, ".6g")})')
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


    def _route(self, path: ChainPath) -> str:
        """The path's nodes joined by arrows; where a node enters the next one in two slots
        (x·x), the slot it takes is named, so that the two paths read differently."""
        names = self.names
        steps = []
        for node, child, index in zip(path.nodes, path.nodes[1:], reversed(path.slots)):
            step = names[node]
            if child.parents.count(node) > 1:
                slots = _SLOTS.get(child.op, _SLOTS[''])
                step += f' (as {slots[index] if index < len(slots) else f"operand {index + 1}"})'
            steps.append(step)
        return ' → '.join([*steps, names[path.nodes[-1]]])

    def latex(self, *, number_format: str = '.4g') -> str:
        r"""The chain rule for this gradient as a LaTeX ``aligned`` block (for ``$$ ... $$``).

        The first line sums the paths in symbols, one factor per arrow (a product inside
        a factor in brackets), the second in numbers, the last gives backward()'s gradient;
        ``+ \cdots`` stands for paths not listed. Every computed value named in it is
        defined below it.

        >>> from microgradnode import Value
        >>> x = Value(3.0, 'x'); w = Value(2.0, 'w'); y = w * x + x; y.label = 'y'
        >>> print(explain(y, x).latex())
        \begin{aligned}
        \frac{\partial y}{\partial x} &= 1 \cdot w + 1 \\
          &= 1 \cdot 2 + 1 \\
          &= 3 \\
          & \text{where } y = w \cdot x + x
        \end{aligned}
        """
        printer = _Printer('latex', self.names)
        lines = self._math_lines(printer, number_format)
        derivative = (rf'\frac{{\partial {self._variable(printer, self.output)}}}'
                      rf'{{\partial {self._variable(printer, self.input)}}}')
        body = [f'{derivative} &= {lines[0]}', *(f'  &= {line}' for line in lines[1:])]
        body += [rf'  & \text{{{"where" if number == 0 else "and"} }} {name} = {definition}'
                 for number, (name, definition) in enumerate(self._definitions(printer))]
        return '\\begin{aligned}\n' + ' \\\\\n'.join(body) + '\n\\end{aligned}'

    def mathml(self, *, number_format: str = '.4g') -> str:
        """The same as a MathML ``<math>`` element (well-formed XML; browsers render it natively).

        >>> from microgradnode import Value
        >>> x = Value(3.0, 'x'); y = x * x
        >>> explain(y, x).mathml()[:40]
        '<math xmlns="http://www.w3.org/1998/Math'
        """
        printer = _Printer('mathml', self.names)
        lines = self._math_lines(printer, number_format)
        derivative = (f'<mfrac><mrow><mo>∂</mo>{self._variable(printer, self.output)}</mrow>'
                      f'<mrow><mo>∂</mo>{self._variable(printer, self.input)}</mrow></mfrac>')
        # columnalign for renderers that read it; the style for browsers (MathML Core has no columnalign)
        right, left = '<mtd style="text-align: right">', '<mtd style="text-align: left">'
        rows = ''.join(f'<mtr>{right}{derivative if number == 0 else ""}</mtd>'
                       f'{left}<mo>=</mo>{line}</mtd></mtr>' for number, line in enumerate(lines))
        rows += ''.join(f'<mtr>{right}<mtext>{"where" if number == 0 else "and"}</mtext></mtd>'
                        f'{left}<mrow>{name}<mo>=</mo>{definition}</mrow></mtd></mtr>'
                        for number, (name, definition) in enumerate(self._definitions(printer)))
        return (f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'
                f'<mtable columnalign="right left">{rows}</mtable></math>')

    def _variable(self, printer: _Printer, node: Value) -> str:
        """The node after a ∂: its name, or its expression in parentheses, ∂(x·x + x)."""
        names = self.names
        named = node.label or node.is_leaf or node in names._temporaries
        printed = printer.print(names.atom(node) if named else names._expression(node))
        return printer.wrap(printed, printed[1] < _ATOM)

    def _definitions(self, printer: _Printer) -> list[tuple[str, str]]:
        """(name, what it computes) for every named computed value the formulas mention.

        The output, the labelled values in the listed paths' factors, the temporaries
        (t1, t2...) standing for long expressions, and, in turn, those their definitions
        mention; from the output down, as one substitutes them into each other.
        """
        names = self.names
        wanted: set[Value] = set()
        seen: set[Value] = set()
        todo: list[ast.expr] = [formula.whole for path in self.paths for formula in path.formulas]
        todo.append(names.atom(self.output))
        while todo:
            for part in ast.walk(todo.pop()):
                if not isinstance(part, _Named) or part.node is None or part.node.is_leaf or part.constant:
                    continue
                node = part.node
                if node in seen:
                    continue
                seen.add(node)
                if node.label or node in names._temporaries:
                    wanted.add(node)
                todo.append(names._expression(node))  # an unlabelled one is spelled out: look inside
        return [(printer.print(names.atom(node))[0], printer.print(names._expression(node))[0])
                for node in reversed(topological_order(self.output)) if node in wanted]

    def _math_lines(self, printer: _Printer, number_format: str) -> list[str]:
        latex = printer.latex
        plus = ' + ' if latex else '<mo>+</mo>'
        more = [r'\cdots' if latex else '<mo>⋯</mo>'] if not self.complete else []
        answer = printer.number(self.gradient)[0]
        if not self.paths:
            return [answer]
        numbers = _Printer(printer.style, number_format=number_format)
        symbolic = [printer.print(path.factors)[0] for path in self.paths]
        numeric = [numbers.print(Factors([ast.Constant(value) for value in path.local_grads]))[0]
                   for path in self.paths]
        lines = [plus.join(symbolic + more), plus.join(numeric + more)]
        if latex:  # a - b, not a + -b
            lines = [line.replace(' + -', ' - ') for line in lines]
        else:
            lines = [f'<mrow>{line.replace("<mo>+</mo><mn>−", "<mo>−</mo><mn>")}</mrow>' for line in lines]
        lines.append(answer)
        # A line equal to the one before says nothing new (a single factor is its own number).
        return [line for number, line in enumerate(lines) if number == 0 or line != lines[number - 1]]


# What to call the two operands of an operation, where one value is both (x·x, x + x).
_SLOTS = {'add': ('first term', 'second term'), 'sub': ('first term', 'subtracted term'),
          'mul': ('first factor', 'second factor'), 'div': ('numerator', 'denominator'),
          'powv': ('base', 'exponent'), '': ('first operand', 'second operand')}


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
    >>> e.paths[0].symbolic(), e.paths[0].simplified(), round(e.gradient, 6)
    ('0.5 · 2·(out - 0.7) · 1 · s', '(out - 0.7) · s', 0.6)
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
        chain_paths.append(ChainPath(nodes, local_grads, formulas, math.prod(local_grads),
                                     tuple(index for _, index in edges)))
    return Explanation(output, input, tuple(chain_paths), counts.get(output, 0),
                       _backward_gradient(output, input), names)
