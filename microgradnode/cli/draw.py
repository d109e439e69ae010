"""``microgradnode draw EXPR --set NAME=VALUE ... -o FILE``: the diagram of an expression.

The expression is parsed (never evaluated as Python), backward runs from its
result, and the graph with data, gradients and local derivatives is written to FILE.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import UsageError
from .expression import add_expression_arguments, expression_from_args
from .options import check_output_file

__all__ = ['register', 'run', 'add_time_limit_argument']

_FORMATS = ('svg', 'png', 'pdf', 'dot')


def _seconds(text: str) -> float:
    """argparse type of --time-limit: a number of seconds that Graphviz may work."""
    from ..diagram.renderers import check_time_limit
    try:
        return check_time_limit(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r}: give a number of seconds greater than 0, '
                                         'such as 30') from None


def add_time_limit_argument(parser: argparse.ArgumentParser) -> None:
    """``--time-limit SECONDS``, shared by every command that renders diagrams."""
    parser.add_argument('--time-limit', metavar='SECONDS', type=_seconds, default=None,
                        help='stop Graphviz if drawing takes longer than this (default: 10)')


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        'draw', help='draw the computation graph of an expression, with gradients',
        description='Parse EXPR, run backward from its result, and write its computation graph '
                    '(data, grad and the local derivative on every edge) to FILE. '
                    "Example: microgradnode draw 'sigmoid(w*x + b)' --set w=0.5 --set x=2 --set b=-1 "
                    '-o graph.svg')
    add_expression_arguments(parser)
    parser.add_argument('-o', '--output', metavar='FILE', required=True,
                        help='where to write the diagram; .svg, .png, .pdf or .dot (DOT text)')
    parser.add_argument('--format', choices=_FORMATS,
                        help='format of FILE (default: from its suffix)')
    parser.add_argument('--rankdir', choices=('LR', 'TB', 'RL', 'BT'), default='LR',
                        help='direction of the graph: LR left to right (default), TB top to bottom')
    parser.add_argument('--no-local', action='store_true',
                        help='do not write the local derivative on each edge')
    parser.add_argument('--no-grad', action='store_true', help='do not show gradients')
    parser.add_argument('--color-grad', action='store_true',
                        help='colour values by the sign and size of their gradient')
    parser.add_argument('--legend', action='store_true', help='add a key to colours and shapes')
    parser.add_argument('--number-format', metavar='SPEC', default='.4g',
                        help="format of every number, e.g. .3f or .6g (default: .4g)")
    parser.add_argument('--max-nodes', metavar='N', type=int, default=None,
                        help='refuse graphs with more values than N, or with more than 20 N bends in '
                             'their arrows (default: 2000)')
    add_time_limit_argument(parser)
    parser.set_defaults(run=run)


def _output_format(path: Path, chosen: str | None) -> str:
    if chosen:
        return chosen
    suffix = path.suffix[1:].lower()
    if suffix not in _FORMATS:
        raise UsageError(f'-o {str(path)!r}: cannot tell the format from the suffix; '
                         f'use .svg, .png, .pdf or .dot, or give --format')
    return suffix


def _count(n: int, word: str) -> str:
    return f'{n} {word}' if n == 1 else f'{n} {word}s'


def run(args: argparse.Namespace) -> int:
    from ..diagram import DEFAULT_MAX_NODES, DEFAULT_TIME_LIMIT, RendererUnavailableError, draw

    path = Path(args.output)
    check_output_file(path, '-o')
    file_format = _output_format(path, args.format)
    max_nodes = DEFAULT_MAX_NODES if args.max_nodes is None else args.max_nodes
    if max_nodes < 1:
        raise UsageError(f'--max-nodes {max_nodes}: must be at least 1')

    result = expression_from_args(args)
    result.backward()
    try:
        diagram = draw(result, rankdir=args.rankdir, show_grad=not args.no_grad,
                       show_local=not args.no_local, number_format=args.number_format,
                       color_by_grad=args.color_grad, legend=args.legend, max_nodes=max_nodes,
                       time_limit=args.time_limit or DEFAULT_TIME_LIMIT)
    except ValueError as error:
        message = str(error)
        if message.startswith('number_format'):
            message = '--number-format' + message[len('number_format'):]
        raise UsageError(message) from None
    try:
        diagram.save(path, format=file_format)
    except RendererUnavailableError as error:
        raise UsageError(f'cannot write {file_format.upper()}: {error}') from None
    except RuntimeError as error:  # the time limit, or Graphviz failing; nothing was written
        raise UsageError(str(error)) from None
    except BrokenPipeError:  # -o /dev/stdout into `| head`: main() ends quietly
        raise
    except OSError as error:
        raise UsageError(f'-o {args.output!r}: cannot write: {error.strerror or error}') from None
    print(f'wrote {path}: {args.expression} = {format(result.data, args.number_format)} '
          f'({_count(diagram.value_count, "value")}, {_count(diagram.operation_count, "operation")})')
    return 0
