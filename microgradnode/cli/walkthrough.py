"""``microgradnode walkthrough``: the forward and backward passes, step by step.

``--html FILE`` writes one self-contained page to step through in a browser; without
it, every step is printed as text.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from microgradnode.extras import require

from . import UsageError
from ._graph import add_graph_arguments, graph_from_args
from .draw import add_time_limit_argument

__all__ = ['register', 'run']


def _forward_input(graph, name: str | None):
    """The input ``--wrt`` names (default: the first one), or a UsageError that lists the inputs."""
    inputs = [label for label, node in graph.labelled.items() if node.is_leaf]
    if not inputs:
        raise UsageError('--mode forward: EXPR has no named input to differentiate with respect to')
    wrt = graph.find(name if name is not None else graph.default_inputs[0], option='--wrt')
    if not wrt.is_leaf:
        raise UsageError(f'--wrt {name}: {name} is computed from other values; differentiate with '
                         f'respect to an input: {", ".join(inputs)}')
    return wrt


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        'walkthrough', help='step through the forward and backward passes (text, or an HTML page)',
        description='Show every step of the forward pass and of backpropagation: which node is '
                    'processed, what each parent receives (upstream gradient × local derivative) and '
                    "what it adds up to. Without EXPR: the notebook's two-node network and its loss.")
    add_graph_arguments(parser)
    parser.add_argument('--html', metavar='FILE',
                        help='write a self-contained HTML page (works offline) with a diagram per step, '
                             'previous/next buttons, a slider and arrow keys')
    parser.add_argument('--rankdir', choices=('LR', 'TB', 'RL', 'BT'), default='LR',
                        help='direction of the diagrams (default LR: left to right)')
    parser.add_argument('--mode', choices=('reverse', 'forward'), default='reverse',
                        help='reverse (default): the forward pass, then backprop; forward: forward mode, '
                             'each value computed with its tangent d value / d the --wrt input')
    parser.add_argument('--wrt', metavar='NAME',
                        help='with --mode forward: the input to differentiate with respect to '
                             '(default: the first input)')
    add_time_limit_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..walkthrough import walkthrough

    if args.html is not None and Path(args.html).suffix.lower() not in ('.html', '.htm'):
        raise UsageError(f'--html {args.html!r}: the page is HTML; give a file name ending in .html')
    graph = graph_from_args(args)
    if args.wrt is not None and args.mode != 'forward':
        raise UsageError('--wrt goes with --mode forward (reverse mode finds every gradient at once)')
    wrt = _forward_input(graph, args.wrt) if args.mode == 'forward' else None
    try:
        walk = walkthrough(graph.output, rankdir=args.rankdir, mode=args.mode, wrt=wrt,
                           time_limit=args.time_limit)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.html is None:
        print(walk.text())
        return 0
    require('graphviz', 'diagrams')  # the page's pictures; the text above needs no extra
    try:
        path = walk.save(args.html)
    except BrokenPipeError:  # -o /dev/stdout into `| head`: main() ends quietly
        raise
    except OSError as error:
        raise UsageError(f'cannot write {args.html}: {error.strerror or error}') from None
    except (ValueError, RuntimeError) as error:  # too slow to render, or Graphviz failed: nothing written
        raise UsageError(str(error)) from None
    forward = sum(frame.phase == 'forward' for frame in walk.frames)
    if wrt is not None:
        print(f'wrote {path}: {forward} steps of forward mode, d {graph.output.label} / d {walk.names[wrt]} '
              'in one pass; open it in a browser (it needs no network)')
        return 0
    print(f'wrote {path}: {len(walk.frames)} steps ({forward} forward, {len(walk.frames) - forward} '
          'backward); open it in a browser (it needs no network)')
    return 0
