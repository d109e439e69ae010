"""The graph a teaching command works on: the two-node network, or ``EXPR --set NAME=VALUE``.

Shared by ``explain`` and ``walkthrough``. EXPR is optional here: without it the command
uses the seed notebook's two-node network, whose settings ``--set`` may change
(``--set w0=1``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from ..engine import Value, topological_order
from .errors import UsageError
from .expression import assignment_text, output_name

TWO_NODE_SETTINGS = ('s0', 'w0', 'w1', 'w2', 'target')
TWO_NODE_WEIGHTS = ('w0', 'w1', 'w2')


@dataclass
class Graph:
    """An output Value and how to find its nodes by name."""

    output: Value
    default_inputs: list[str]
    description: str = ''
    two_node: bool = False
    labelled: dict[str, Value] = field(default_factory=dict)
    weights: tuple[str, ...] = ()  # the names gradient descent updates (the two-node network's w0, w1, w2)

    def find(self, name: str, *, option: str) -> Value:
        """The node labelled ``name``, or a UsageError listing the names there are."""
        if name not in self.labelled:
            raise UsageError(f'{option} {name}: no value is named {name!r}; '
                             f'named values: {", ".join(self.labelled) or "none"}')
        return self.labelled[name]


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    """The optional positional ``EXPR`` and the repeatable ``--set NAME=VALUE``."""
    parser.add_argument('expression', metavar='EXPR', nargs='?', default=None,
                        help="an expression such as 'sigmoid(w*x + b)' (the same as the draw command "
                             "takes); without it, the two-node network")
    parser.add_argument('--set', dest='assignments', metavar='NAME=VALUE', action='append', default=[],
                        type=assignment_text,
                        help='the value of a name in EXPR (repeat for each name); without EXPR, one '
                             f'of the network\'s settings {", ".join(TWO_NODE_SETTINGS)}')


def graph_from_args(args: argparse.Namespace) -> Graph:
    """Build the graph the arguments describe; UsageError for anything wrong."""
    if args.expression is None:
        return _two_node(args.assignments)
    from .expression import expression_from_args
    output = expression_from_args(args)
    if output.is_leaf:
        raise UsageError(f'EXPR {args.expression!r} computes nothing: there is no operation to explain')
    labelled = _labelled(output)
    if not output.label:
        # Our own graph: call its output f, so that sentences read "d f / d x".
        output.label = output_name(labelled)
        labelled[output.label] = output
    inputs = [name for name, node in labelled.items() if node.is_leaf]
    return Graph(output, inputs, labelled=labelled)


def require_named_input(graph: Graph, expression: str | None) -> None:
    """A UsageError when EXPR has only numbers in it (``'2*3'``): nothing to differentiate."""
    if not graph.default_inputs:
        raise UsageError(f'EXPR {expression!r} has no named input: there is nothing to differentiate '
                         "(give it a name, e.g. '2*x' --set x=3)")


def _labelled(output: Value) -> dict[str, Value]:
    labelled: dict[str, Value] = {}
    for node in topological_order(output):
        if node.label:
            labelled.setdefault(node.label, node)
    return labelled


def _two_node(assignments: list[str]) -> Graph:
    from ..formulas.printing import NodeNames, format_number
    from ..twonode import build

    settings: dict[str, float] = {}
    if assignments:
        from .expression import parse_assignments
        settings = parse_assignments(assignments)
    unknown = sorted(set(settings) - set(TWO_NODE_SETTINGS))
    if unknown:
        raise UsageError(f'--set {unknown[0]}: the two-node network has no setting {unknown[0]!r}; '
                         f'its settings are {", ".join(TWO_NODE_SETTINGS)} (or give an EXPR)')
    try:
        net = build(**settings)
    except ArithmeticError as error:  # e.g. --set w2=1e308: the loss overflows
        raise UsageError(f'--set: the two-node network cannot be computed with these values: {error}; '
                         'use smaller numbers') from None
    names = NodeNames(net.loss)
    order = topological_order(net.loss)
    steps = [f'{node.label} = {names.expression(node)}' for node in order if node.label and not node.is_leaf]
    given = [f'{node.label} = {format_number(node.data)}' for node in order if node.label and node.is_leaf]
    description = ("The notebook's two-node network:\n  " + '\n  '.join(steps)
                   + '\nwith ' + ', '.join(given) + '.')
    return Graph(net.loss, ['w0'], description, two_node=True, labelled=_labelled(net.loss),
                 weights=TWO_NODE_WEIGHTS)
