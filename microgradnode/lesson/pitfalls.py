"""The classic backprop mistakes, each one run: what goes wrong, where, and why it survives.

Each pitfall is a small variant of the textbook engine (:mod:`microgradnode.textbook`):
a method written the wrong way (``=`` for ``+=``, no topological order, a recursive
sort), or a script using the engine the wrong way (no ``zero_grad`` between steps,
``backward()`` twice, a graph drawn before ``backward()``, ``.data`` changed after the
forward pass). Every pitfall comes with the smallest graph on which it goes wrong and
a graph on which it happens to give the right answer, which is why it survives in
people's code. Both are run both ways, the gradients compared value by value.

>>> report = pitfalls('assign')[0]
>>> report.example.wrong['a'], report.example.right['a'], report.example.first_difference
(1.0, 2.0, 'a')
>>> report.lucky.first_difference is None
True
"""

from __future__ import annotations

import html
import inspect
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import textbook
from .._support.files import atomic_write
from .._support.flags import check_flag
from ..engine import Value as EngineValue
from ..engine import topological_order as engine_order

__all__ = ['Pitfall', 'PITFALLS', 'Comparison', 'Report', 'pitfalls', 'html_page', 'write_html']

# An example takes the Value class to run on and whether to make the mistake, runs its
# script, and returns its values by name, the graph's output first.
Example = Callable[[type, bool], dict]


# -- the engine variants: each one method of the textbook engine written the wrong way -------

class AssignValue(textbook.Value):
    """The textbook engine with ``=`` where the chain rule needs ``+=``."""

    def _propagate(self):
        for parent, local in self._edges:
            parent.grad = local * self.grad  # the mistake: was +=


class NoOrderValue(textbook.Value):
    """The textbook engine without a topological order: a node's step runs whenever reached."""

    def backward(self):
        self.grad = 1.0
        reached = [self]
        while reached:  # the mistake: a node may pass its grad on before it has all of it
            node = reached.pop()
            node._propagate()
            reached.extend(parent for parent, _ in node._edges)


class RecursiveValue(textbook.Value):
    """The textbook engine with a recursive depth-first sort, one Python call per level."""

    def backward(self):
        order, seen = [], set()

        def visit(node):  # the mistake: each level of the graph is a level of Python's stack
            if node not in seen:
                seen.add(node)
                for parent, _ in node._edges:
                    visit(parent)
                order.append(node)
        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._propagate()


def _engine_variant(variant: type) -> Callable[[Example, type, bool], dict]:
    """Run an example on ``variant`` for the mistake, on ``right`` (the textbook) otherwise."""
    def run(example: Example, right: type, mistake: bool) -> dict:
        return example(variant if mistake else right, mistake)
    return run


def _script(example: Example, right: type, mistake: bool) -> dict:
    return example(right, mistake)


# -- the examples: each the smallest script showing the mistake, or a lucky one ---------------

# Each example names its first argument Value, as the script it stands for would, and returns
# the values to compare by name, the output first (the runner labels them).
def add_twice(Value, mistake):  # noqa: N803
    a = Value(1.0)
    b = a + a
    b.backward()
    return {'b': b, 'a': a}


def each_value_once(Value, mistake):  # noqa: N803
    w, x = Value(0.5), Value(2.0)
    h = w * x
    y = h.tanh()
    y.backward()
    return {'y': y, 'h': h, 'w': w, 'x': x}


def shared_in_the_middle(Value, mistake):  # noqa: N803
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    return {'c': c, 'b': b, 'a': a}


def shared_at_the_leaves(Value, mistake):  # noqa: N803
    a = Value(3.0)
    s = a * a
    c = s + a
    c.backward()
    return {'c': c, 's': s, 'a': a}


def deeper_than_the_recursion_limit(Value, mistake):  # noqa: N803
    x = Value(0.5)
    y = x
    for _ in range(sys.getrecursionlimit()):  # 1,000 additions, one after the other
        y = y + 1.0
    y.backward()
    return {'y': y, 'x': x}


def fifty_deep(Value, mistake):  # noqa: N803
    x = Value(0.5)
    y = x
    for _ in range(50):
        y = y + 1.0
    y.backward()
    return {'y': y, 'x': x}


def two_steps(Value, mistake):  # noqa: N803
    w = Value(0.5)
    loss = w * 2.0          # step 1
    loss.backward()
    if not mistake:
        w.grad = 0.0        # zero_grad() before the next step
    loss = w * 3.0          # step 2
    loss.backward()
    return {'loss': loss, 'w': w}


def two_steps_first_one_flat(Value, mistake):  # noqa: N803
    w = Value(0.5)
    loss = (w * -2.0).relu()  # step 1: relu is off, d loss / d w = 0
    loss.backward()
    if not mistake:
        w.grad = 0.0
    loss = w * 3.0            # step 2
    loss.backward()
    return {'loss': loss, 'w': w}


def square(Value, mistake):  # noqa: N803
    x = Value(3.0)
    y = x * x
    y.backward()
    if mistake:
        y.backward()  # a second time, say in a notebook cell run again
    return {'y': y, 'x': x}


def relu_off(Value, mistake):  # noqa: N803
    x = Value(-1.0)
    y = x.relu()
    y.backward()
    if mistake:
        y.backward()
    return {'y': y, 'x': x}


def drawn_early(Value, mistake):  # noqa: N803
    x = Value(2.0)
    e = x - 3.0
    y = e * e
    if not mistake:
        y.backward()
    # draw(y) here shows each .grad as it stands
    return {'y': y, 'e': e, 'x': x}


def drawn_early_at_the_minimum(Value, mistake):  # noqa: N803
    x = Value(3.0)
    e = x - 3.0
    y = e * e
    if not mistake:
        y.backward()
    return {'y': y, 'e': e, 'x': x}


def data_changed(Value, mistake):  # noqa: N803
    x = Value(2.0)
    y = x * x
    x.data = 3.0              # say, an optimizer step
    if not mistake:
        y = x * x             # forward again at the new x
    y.backward()
    return {'y': y, 'x': x}


def data_changed_linear(Value, mistake):  # noqa: N803
    x = Value(2.0)
    y = 3.0 * x + 1.0
    x.data = 3.0
    if not mistake:
        y = 3.0 * x + 1.0
    y.backward()
    return {'y': y, 'x': x}


@dataclass(frozen=True)
class Pitfall:
    """One classic mistake: how it is made, why it is wrong, where it shows and where not."""

    name: str
    title: str
    why: str
    mistake: str            # the variant's code, or the script's line, that makes the mistake
    run: Callable[[Example, type, bool], dict]
    example: Example        # the smallest graph on which it goes wrong
    lucky: Example          # a graph on which it happens to give the right answer
    lucky_why: str


def _source(obj: object) -> str:
    return textwrap.dedent(inspect.getsource(obj)).strip()  # type: ignore[arg-type]


def _body(example: Example) -> str:
    """An example's script as a reader would write it: its body, without the return line."""
    lines = _source(example).splitlines()[1:]
    return textwrap.dedent('\n'.join(line for line in lines if not line.lstrip().startswith('return ')))


PITFALLS: tuple[Pitfall, ...] = (
    Pitfall('assign', '= instead of += in backward',
            'A value used twice gets one share of its gradient from each use; = keeps only the last '
            'share.',
            _source(AssignValue._propagate), _engine_variant(AssignValue), add_twice, each_value_once,
            'every value is used once, so each grad receives exactly one share.'),
    Pitfall('no-order', 'no topological sort',
            'Without an order, a value passes its gradient on each time an edge reaches it, not once '
            'when all of it has arrived: b is reached by two edges, so a receives b\'s gradient twice.',
            _source(NoOrderValue.backward), _engine_variant(NoOrderValue), shared_in_the_middle,
            shared_at_the_leaves,
            'the value used twice is a leaf, which passes nothing on: arriving in any order is fine.'),
    Pitfall('recursion', 'a recursive topological sort',
            'Each level of the graph costs a level of Python\'s call stack, and Python stops at '
            'sys.getrecursionlimit() levels (1,000 by default): a long chain has no gradient at all.',
            _source(RecursiveValue.backward), _engine_variant(RecursiveValue),
            deeper_than_the_recursion_limit, fifty_deep,
            'small graphs are never deep enough to reach the limit.'),
    Pitfall('zero-grad', 'zero_grad forgotten between steps',
            'backward() adds to the grads of inputs (so that a value used twice gets both shares), '
            'so without zeroing them the last step\'s gradient is still in there.',
            'w.grad = 0.0        # zero_grad(): the line left out', _script, two_steps,
            two_steps_first_one_flat,
            'the first step left a gradient of 0 (its relu was off), so there was nothing to add.'),
    Pitfall('twice', 'backward() called twice',
            'backward() adds into the inputs\' grads, so a second call adds the same gradient again.',
            'y.backward()  # a second time', _script, square, relu_off,
            'the gradient is 0, and 0 + 0 is 0.'),
    Pitfall('drawn-early', 'the graph drawn before backward()',
            'grad is filled in by backward(); before it runs, every grad is still 0.',
            'draw(y)  # before y.backward()', _script, drawn_early, drawn_early_at_the_minimum,
            'at the minimum every gradient is 0 anyway (only y, d y / d y = 1, would show it).'),
    Pitfall('stale-data', '.data changed after the forward pass, then backward()',
            'Each local derivative was worked out when the operation ran (2·x at the old x); '
            'backward() multiplies those, so the gradient is the old point\'s.',
            'x.data = 3.0  # then y.backward(), without computing y again', _script, data_changed,
            data_changed_linear,
            'y is linear in x: its local derivative (3) is the same at every x.'),
)


# -- running them ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """One script run with the mistake and without: each named value's grad, both ways.

    The output itself is left out of ``wrong`` and ``right``: its grad is d y / d y = 1
    whichever way it is computed (a picture drawn too early is the exception, and shows it).
    """

    code: str
    wrong: dict[str, float]         # empty when the run stopped with an error
    right: dict[str, float]
    error: str                      # the error the mistaken run stopped with, if it did
    first_difference: str | None    # the first value, from the output back, whose grads differ
    graphs: tuple = field(default=(), repr=False, compare=False)  # the outputs: (mistaken, right)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(value, with the mistake, right, mark) for each compared value, output first."""
        return [(name, _number(self.wrong[name]) if name in self.wrong else 'none', _number(right),
                 '<- first difference' if name == self.first_difference else '')
                for name, right in self.right.items()]


def _number(x: float) -> str:
    return format(x, '.6g')


def _grads(values: dict) -> dict[str, float]:
    return {name: value.grad for name, value in list(values.items())[1:]}


def _output(values: dict):
    return next(iter(values.values()))


def compare(pitfall: Pitfall, example: Example) -> Comparison:
    """Run ``example`` with ``pitfall``'s mistake and without it, on the textbook engine."""
    right_run = pitfall.run(example, textbook.Value, False)
    right = _grads(right_run)
    try:
        wrong_run = pitfall.run(example, textbook.Value, True)
    except RecursionError as stopped:
        wrong: dict[str, float] = {}
        graphs: tuple = ()
        error = f'RecursionError: {stopped}'
    else:
        wrong, error, graphs = _grads(wrong_run), '', (_output(wrong_run), _output(right_run))
    first = next((name for name in right if wrong.get(name) != right[name]), None)
    return Comparison(_body(example), wrong, right, error, first, graphs)


@dataclass(frozen=True)
class Report:
    """A pitfall with its two runs: where it goes wrong and where it is lucky."""

    pitfall: Pitfall
    example: Comparison
    lucky: Comparison

    def text(self) -> str:
        """The report as plain text: what the mistake is, both runs side by side, why."""
        p = self.pitfall
        parts = [f'{p.name}: {p.title}', f'  Why: {p.why}', '  The mistake:',
                 textwrap.indent(p.mistake, '    '), '  Goes wrong on:',
                 textwrap.indent(self.example.code, '    '), _table(self.example),
                 '  Happens to be right on:', textwrap.indent(self.lucky.code, '    '),
                 _table(self.lucky), f'  Lucky because {p.lucky_why}']
        return '\n'.join(parts)

    def diagram(self, lucky: bool = False):
        """The example's graph, drawn by the real engine, with the grads the mistake gave.

        The first value whose grad is wrong is outlined in red, and every wrong value shows
        the right grad beside its name. Needs the ``[draw]`` extra. A graph too large to
        read (the recursion pitfall's chain) is refused with a ValueError.
        """
        from ..diagram import draw

        comparison = self.lucky if check_flag(lucky, 'lucky') else self.example
        if not comparison.graphs:
            raise ValueError(f'pitfall {self.pitfall.name!r}: the mistaken run computed no gradient '
                             f'to draw ({comparison.error})')
        example = self.pitfall.lucky if lucky else self.pitfall.example
        # A script's mistake is run on the real engine too, so that the picture shows what
        # that script leaves behind (a stale graph's old numbers); an engine's mistake
        # cannot be made by the real engine, whose graph then shows the mistaken grads.
        values = self.pitfall.run(example, EngineValue, self.pitfall.run is _script)
        for name, value in values.items():
            value.label = name
        root = _output(values)
        size = len(engine_order(root))
        if size > MAX_DRAWN:
            raise ValueError(f'pitfall {self.pitfall.name!r}: its graph has {size} values, '
                             f'too many to draw legibly (at most {MAX_DRAWN})')
        grads, names, by_name = {}, {}, {}
        for node, mistaken, right in _side_by_side(root, *comparison.graphs):
            grads[node] = mistaken.grad
            if mistaken.grad != right.grad:
                shown = f'right: {_number(right.grad)}'.replace('-', '\N{MINUS SIGN}')
                names[node] = f'{node.label} ({shown})' if node.label else f'({shown})'
            by_name[node.label] = node
        first = [by_name[comparison.first_difference]] if comparison.first_difference else []
        caption = f'{self.pitfall.title}: ' + ('a lucky graph' if lucky else 'where it goes wrong')
        return draw(root, grads=grads, names=names, highlight=first, title=caption)


def _parents(node: object) -> list:
    if isinstance(node, textbook.Value):
        return [parent for parent, _ in node._edges]
    return list(node.parents)  # type: ignore[attr-defined]


def _side_by_side(*roots: object) -> list[tuple]:
    """The nodes of graphs of the same shape, matched: walked together from their outputs."""
    matched, seen, stack = [], set(), [roots]
    while stack:
        nodes = stack.pop()
        if id(nodes[0]) in seen:
            continue
        seen.add(id(nodes[0]))
        matched.append(nodes)
        stack.extend(zip(*(_parents(node) for node in nodes)))
    return matched


MAX_DRAWN = 60
"""Largest example graph, in values, that a pitfall's diagram draws."""


def _table(comparison: Comparison) -> str:
    rows = [('value', 'mistake', 'right', ''), *comparison.rows()]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ['    ' + '  '.join(cell.ljust(width) for cell, width in zip(row[:3], widths))
             + (f'  {row[3]}' if row[3] else '') for row in rows]
    if comparison.error:
        lines.append(f'    the mistaken run stopped: {comparison.error}')
    return '\n'.join(line.rstrip() for line in lines)


def pitfalls(*names: str) -> list[Report]:
    """Run the named pitfalls (all of them by default) and return their reports.

    >>> [report.pitfall.name for report in pitfalls()][:3]
    ['assign', 'no-order', 'recursion']
    """
    known = {p.name: p for p in PITFALLS}
    for name in names:
        if name not in known:
            raise ValueError(f'no pitfall named {name!r}; the pitfalls are: {", ".join(known)}')
    chosen = [known[name] for name in names] if names else list(PITFALLS)
    return [Report(p, compare(p, p.example), compare(p, p.lucky)) for p in chosen]


# -- the page ------------------------------------------------------------------------------------

_STYLE = '''
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 0 auto; padding: 1rem; color: #222; }
h1 { font-size: 1.6rem; }
h2 { font-size: 1.25rem; margin-top: 2.5rem; border-top: 1px solid #ccc; padding-top: 1rem; }
pre { background: #f6f6f6; padding: .6rem .8rem; overflow-x: auto; font-size: .85rem; border-radius: 4px; }
.runs { display: flex; flex-wrap: wrap; gap: 1.5rem; }
.run { flex: 1 1 24rem; min-width: 0; }
table { border-collapse: collapse; margin: .4rem 0; }
td, th { padding: .15rem .7rem; text-align: right; border-bottom: 1px solid #e4e4e4; }
td:first-child, th:first-child { text-align: left; }
tr.first td { color: #b00020; font-weight: 600; }
.why { font-size: 1.05rem; } .note { color: #666; font-size: .9rem; }
figure { margin: .8rem 0; overflow-x: auto; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #444; }
@media (max-width: 700px) { figure svg { max-width: none; } }
'''


def _html_table(comparison: Comparison) -> str:
    rows = ''.join(
        f'<tr{" class=first" if mark else ""}><td>{html.escape(name)}</td><td>{html.escape(wrong)}</td>'
        f'<td>{html.escape(right)}</td></tr>' for name, wrong, right, mark in comparison.rows())
    error = (f'<p class=note>The mistaken run stopped: {html.escape(comparison.error)}</p>'
             if comparison.error else '')
    return (f'<table><tr><th>value</th><th>grad with the mistake</th><th>right grad</th></tr>'
            f'{rows}</table>{error}')


def _html_diagram(report: Report, lucky: bool) -> str:
    caption = 'A lucky graph' if lucky else 'Where it goes wrong'
    try:
        svg = report.diagram(lucky).pipe('svg').decode('utf-8')
    except ImportError as missing:  # no [draw] extra: the page says so and keeps the tables
        return f'<p class=note>{caption}: no diagram ({html.escape(str(missing))})</p>'
    except ValueError as too_large:
        return f'<p class=note>{caption}: no diagram ({html.escape(str(too_large))})</p>'
    explained = ('every grad as the mistake leaves it, the first wrong one outlined in red, the right '
                 'grad beside each wrong one' if report.lucky is not report.example and not lucky
                 else 'with the mistake, every grad comes out right')
    return f'<figure>{svg[svg.index("<svg"):]}<figcaption>{caption}: {explained}.</figcaption></figure>'


def html_page(reports: Sequence[Report] | None = None) -> str:
    """One self-contained HTML page of the pitfalls (diagrams inline when ``[draw]`` is there).

    >>> '<h2 id="assign">' in html_page(pitfalls('assign'))
    True
    """
    reports = pitfalls() if reports is None else reports
    sections = []
    for report in reports:
        p = report.pitfall
        runs = ''.join(
            f'<div class=run><h3>{heading}</h3><pre>{html.escape(comparison.code)}</pre>'
            f'{_html_table(comparison)}{after}</div>'
            for heading, comparison, after in (
                ('Where it goes wrong', report.example, ''),
                ('Where it happens to be right', report.lucky,
                 f'<p>Lucky because {html.escape(p.lucky_why)}</p>')))
        figures = _html_diagram(report, False) + _html_diagram(report, True)
        sections.append(f'<section><h2 id="{p.name}">{html.escape(p.title)}</h2>'
                        f'<p class=why>{html.escape(p.why)}</p><p>The mistake:</p>'
                        f'<pre>{html.escape(p.mistake)}</pre><div class=runs>{runs}</div>{figures}</section>')
    contents = ''.join(f'<li><a href="#{r.pitfall.name}">{html.escape(r.pitfall.title)}</a></li>'
                       for r in reports)
    return ('<!DOCTYPE html><html lang=en><head><meta charset=utf-8>'
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f'<title>Backprop pitfalls</title><style>{_STYLE}</style></head><body>'
            '<h1>The classic backprop mistakes</h1><p>Each mistake is a small variant of the '
            'textbook engine (<code>microgradnode.textbook</code>), run on the smallest graph where '
            'it goes wrong and on a graph where it happens to give the right answer. In each '
            'diagram the first value whose gradient is wrong, from the output back, is outlined '
            f'in red.</p><ul>{contents}</ul>{"".join(sections)}</body></html>\n')


def write_html(path: str | Path, reports: Sequence[Report] | None = None) -> Path:
    """Write :func:`html_page` to ``path`` (atomically: never a half-written file)."""
    return atomic_write(path, html_page(reports))
