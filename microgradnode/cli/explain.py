"""``microgradnode explain``: a gradient as the chain rule, path by path.

Without EXPR it explains the seed notebook's two-node network (d loss / d w0 by default)
and writes the notebook's missing weight update; with EXPR it explains that expression.
"""

from __future__ import annotations

import argparse
import unicodedata

from ._graph import add_graph_arguments, graph_from_args, require_named_input
from .errors import UsageError
from .options import whole_number

# An EXPR (a tree of at most 2000 characters) has at most a few thousand paths; more
# than a million listed would be pages nobody reads.
MAX_PATHS = 1_000_000

__all__ = ['register', 'run']


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        'explain', help='write a gradient as the chain rule: every path, its product, their sum',
        description='Explain d output / d input by the chain rule: every path from the input to the '
                    'output as the product of the local derivatives along it (in symbols and numbers), '
                    "and their sum, which is the gradient backward() computes. Without EXPR: the "
                    "notebook's two-node network and its loss.")
    add_graph_arguments(parser)
    parser.add_argument('--wrt', metavar='NAME', action='append', default=[],
                        help='the input to differentiate with respect to (repeatable; default: w0 for '
                             'the two-node network, every named input of EXPR)')
    parser.add_argument('--max-paths', type=whole_number(1, MAX_PATHS), default=None, metavar='N',
                        help='list at most N paths (default 10); the count and the sum stay exact')
    parser.add_argument('--latex', action='store_true',
                        help='print each explanation as a LaTeX aligned block (symbols, numbers, gradient) '
                             'for $$ ... $$ in a document or notebook')
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..formulas.explain import DEFAULT_MAX_PATHS, explain

    max_paths = DEFAULT_MAX_PATHS if args.max_paths is None else args.max_paths
    graph = graph_from_args(args)
    if not args.wrt:
        require_named_input(graph, args.expression)
    # --wrt ｘ means x, as in EXPR (Python folds look-alike letters).
    names = [unicodedata.normalize('NFKC', name) for name in args.wrt] or graph.default_inputs
    inputs = [graph.find(name, option='--wrt') for name in names]
    if len(set(inputs)) < len(inputs):  # `--wrt w0 --wrt w0` printed the same explanation twice
        twice = next(name for name, node in zip(names, inputs) if inputs.count(node) > 1)
        raise UsageError(f'--wrt {twice!r}: given twice; name each input once')
    blocks = []
    if graph.description and not getattr(args, 'latex', False):
        blocks.append(graph.description)
    for name, node in zip(names, inputs):
        explanation = explain(graph.output, node, max_paths=max_paths)
        if getattr(args, 'latex', False):
            blocks.append(explanation.latex())
            continue
        block = explanation.text()
        if name in graph.weights and explanation.complete and explanation.path_count == 1:
            # The notebook's Step 3: w = w - alpha*(d loss / d w), as the notebook writes it (the
            # plain numbers multiplied out). Only weights are updated: the input, the target and
            # the computed values are not.
            block += (f'\n\nThe notebook\'s update (Step 3): {name} = {name} - alpha * '
                      f'{explanation.paths[0].simplified()}')
        blocks.append(block)
    print('\n\n'.join(blocks))
    return 0
