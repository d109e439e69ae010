"""``microgradnode walkthrough``: the forward and backward passes, live and step by step.

``--html FILE`` writes one self-contained page: change the inputs and watch every value
and gradient, train, or step through the passes (``--quiz``: the learner answers each
backward step first); ``--gif FILE`` an animated GIF of the steps; without either, every
step is printed as text. Without EXPR the graph is ``a*b + a`` (a value used twice: its
gradient adds up); ``--network two-node`` is the seed notebook's network; ``--network mlp
--html FILE`` a small classifier learning 2-D points (``--dataset``, ``--samples``,
``--layers``, ``--seed``), with its decision boundary.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from microgradnode._support.extras import check_needs

from ..lesson.network import DEFAULT_LAYERS, DEFAULT_LEARNING_RATE, DEFAULT_SAMPLES, MAX_POINTS
from ._graph import add_graph_arguments, graph_from_args, require_named_input
from .draw import add_time_limit_argument
from .errors import UsageError
from .options import check_output_file, real_number, whole_number

__all__ = ['register', 'run', 'DEFAULT_EXPRESSION', 'DEFAULT_SETTINGS']

DEFAULT_EXPRESSION = 'a*b + a'
"""The graph without EXPR: ``a`` is used twice, so its gradient is a sum (the lesson beginners miss)."""

DEFAULT_SETTINGS = ('a=2', 'b=-3')


def _forward_input(graph, name: str | None):
    """The input ``--wrt`` names (default: the first one), or a UsageError that lists the inputs.

    The graph has a named input: ``run`` refused one without (``require_named_input``).
    """
    inputs = [label for label, node in graph.labelled.items() if node.is_leaf]
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
                    f"what it adds up to. Without EXPR: {DEFAULT_EXPRESSION} with "
                    f"{', '.join(DEFAULT_SETTINGS)}; --network two-node: the notebook's network "
                    'and its loss.')
    add_graph_arguments(parser)
    parser.add_argument('--network', choices=('two-node', 'mlp'), default=None,
                        help="instead of EXPR: two-node, the seed notebook's network and its loss "
                             '(--set changes its settings s0, w0, w1, w2, target); mlp, with --html: a small '
                             'classifier on 2-D points, trained live with its decision boundary')
    network = parser.add_argument_group('--network mlp')
    network.add_argument('--dataset', default=None, choices=('moons', 'circles', 'xor'),
                         help='the points (default: moons)')
    network.add_argument('--samples', type=whole_number(1, MAX_POINTS), default=None, metavar='N',
                         help=f'number of points, 1 to {MAX_POINTS} (default: {DEFAULT_SAMPLES}; '
                              'xor: a multiple '
                              'of 4)')
    network.add_argument('--layers', type=whole_number(1, 16), nargs='+', default=None, metavar='SIZE',
                         help='hidden layer sizes, each 1 to 16 (default: '
                              f'{" ".join(map(str, DEFAULT_LAYERS))}, tanh)')
    network.add_argument('--seed', type=whole_number(0, 2**32 - 1), default=None,
                         help='seed for the points and the first weights (default: 0)')
    parser.add_argument('--lr', type=real_number(0, 100, low_open=True), default=None, metavar='RATE',
                        help="Train mode's first learning rate (default: 0.1 for the two-node network and "
                             f'expressions, {DEFAULT_LEARNING_RATE:g} for --network mlp)')
    parser.add_argument('--html', metavar='FILE',
                        help='write a self-contained HTML page (works offline): sliders for the inputs, '
                             'every value and gradient updated live, gradient descent, and the passes '
                             'step by step')
    parser.add_argument('--quiz', action='store_true',
                        help='with --html: at each backward step, ask what each parent receives before '
                             'showing it (a hint on a wrong answer, then the answer; a score)')
    parser.add_argument('--gif', metavar='FILE',
                        help='write an animated GIF of every step, for slides and posts (needs the [gif] '
                             'and [draw] extras)')
    parser.add_argument('--frame-seconds', type=float, default=None, metavar='SECONDS',
                        help='with --gif: how long each step shows (default: as long as its words take '
                             'to read at 200 words a minute, plus 3 s to look, at most 30 s)')
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
    from ..lesson.walkthrough import walkthrough
    from ..twonode import DEFAULT_ALPHA

    if args.html is not None and Path(args.html).suffix.lower() not in ('.html', '.htm'):
        raise UsageError(f'--html {args.html!r}: the page is HTML; give a file name ending in .html')
    if args.gif is not None and Path(args.gif).suffix.lower() != '.gif':
        raise UsageError(f'--gif {args.gif!r}: give a file name ending in .gif')
    for option, path in (('--html', args.html), ('--gif', args.gif)):
        if path is not None:
            check_output_file(path, option)
    if args.quiz and args.html is None:
        raise UsageError('--quiz is a mode of the page: give --html FILE too')
    if args.frame_seconds is not None and args.gif is None:
        raise UsageError('--frame-seconds goes with --gif FILE')
    frame_seconds = args.frame_seconds
    if frame_seconds is not None and not 0.02 <= frame_seconds <= 60:  # also NaN
        raise UsageError(f'--frame-seconds must be from 0.02 to 60 seconds, not {frame_seconds:g}')
    if args.quiz and args.mode == 'forward':
        raise UsageError('--quiz asks about the backward pass: it goes with --mode reverse')
    if args.network is not None and args.expression is not None:
        raise UsageError(f'--network {args.network} is a graph of its own: give EXPR or --network, not both')
    mlp_options = [option for option, value in (('--dataset', args.dataset), ('--samples', args.samples),
                                                ('--layers', args.layers), ('--seed', args.seed))
                   if value is not None]
    if args.network == 'mlp':
        return _network_page(args)
    if mlp_options:
        raise UsageError(f'{mlp_options[0]} goes with --network mlp')
    if args.network is None and args.expression is None:
        args.expression = DEFAULT_EXPRESSION
        given = {assignment.split('=', 1)[0].strip() for assignment in args.assignments}
        args.assignments = [*args.assignments, *(s for s in DEFAULT_SETTINGS if s.split('=')[0] not in given)]
    graph = graph_from_args(args)
    require_named_input(graph, args.expression)  # '2*3': a walk through constants teaches nothing
    if args.wrt is not None and args.mode != 'forward':
        raise UsageError('--wrt goes with --mode forward (reverse mode finds every gradient at once)')
    wrt = _forward_input(graph, args.wrt) if args.mode == 'forward' else None
    try:
        walk = walkthrough(graph.output, rankdir=args.rankdir, mode=args.mode, wrt=wrt,
                           time_limit=args.time_limit, quiz=args.quiz,
                           learning_rate=DEFAULT_ALPHA if args.lr is None else args.lr,
                           parameters=[graph.labelled[name] for name in ('w0', 'w1', 'w2')]
                           if graph.two_node else None)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.html is None and args.gif is None:
        print(walk.text())
        return 0
    if args.gif is not None:  # everything the GIF lacks, in one message naming one extra
        check_needs([('graphviz', 'GIF files'), ('PIL', 'GIF files')])
        _write(walk, args.gif, frame_seconds)
        if frame_seconds is not None:
            print(f'wrote {args.gif}: {len(walk.frames)} frames of {frame_seconds:g} s')
        else:
            from ..lesson.gif import READING_WORDS_PER_MINUTE, reading_seconds
            times = [reading_seconds([frame.title, *frame.lines]) for frame in walk.frames]
            print(f'wrote {args.gif}: {len(walk.frames)} frames of {min(times):g} to {max(times):g} s, '
                  'each as '
                  f'long as its words take to read ({READING_WORDS_PER_MINUTE} words a minute)')
        if args.html is None:
            return 0
    path = _write(walk, args.html, frame_seconds)
    forward = sum(frame.phase == 'forward' for frame in walk.frames)
    if wrt is not None:
        print(f'wrote {path}: {forward} steps of forward mode, d {graph.output.label} / d {walk.names[wrt]} '
              'in one pass; open it in a browser (it needs no network)')
        return 0
    quiz = ', a quiz at each backward step' if args.quiz else ''
    print(f'wrote {path}: {len(walk.frames)} steps ({forward} forward, {len(walk.frames) - forward} '
          f'backward{quiz}); open it in a browser (it needs no network)')
    return 0


def _write(walk, name: str, frame_seconds: float | None) -> Path:
    """Save the page or the GIF; a failure is one line (UsageError), nothing written."""
    try:
        return walk.save(name, frame_seconds=frame_seconds)
    except BrokenPipeError:  # -o /dev/stdout into `| head`: main() ends quietly
        raise
    except OSError as error:
        raise UsageError(f'cannot write {name}: {error.strerror or error}') from None
    except (ValueError, RuntimeError) as error:  # too slow to render, or Graphviz failed: nothing written
        raise UsageError(str(error)) from None


def _network_page(args: argparse.Namespace) -> int:
    """``--network mlp``: the live page of a small classifier; refuses what does not go with it."""
    from ..lesson.network import network_walkthrough
    from ..nn.datasets import DATASETS
    from ..nn.modules import MLP
    for option, given in (('--gif', args.gif), ('--quiz', args.quiz), ('--set', args.assignments),
                          ('--mode forward', args.mode == 'forward'), ('--wrt', args.wrt),
                          ('--rankdir', args.rankdir != 'LR')):
        if given:
            raise UsageError(f'{option} does not go with --network mlp: its page trains the network live '
                             '(--html FILE), one point\'s graph at a time')
    if args.html is None:
        raise UsageError('--network mlp is a live page: give --html FILE (one point\'s graph has about 200 '
                         'values, too many to read as text)')
    dataset = args.dataset or 'moons'
    samples = args.samples if args.samples is not None else DEFAULT_SAMPLES
    if dataset == 'xor' and samples % 4:
        raise UsageError(f'--samples {samples}: xor needs a multiple of 4 (copies of its four corners)')
    seed = args.seed if args.seed is not None else 0
    # the datasets' own noise, but for xor, whose default 0 piles every copy on its corner
    noise = {'noise': 0.1} if dataset == 'xor' else {}
    points, labels = DATASETS[dataset](samples, seed=seed, **noise)
    layers = args.layers if args.layers is not None else list(DEFAULT_LAYERS)
    model = MLP(2, [*layers, 1], activation='tanh', seed=seed)
    try:
        walk = network_walkthrough(model, points, labels,
                                   learning_rate=DEFAULT_LEARNING_RATE if args.lr is None else args.lr)
    except ValueError as error:
        raise UsageError(str(error)) from None
    path = _write(walk, args.html, None)
    assert walk.network is not None, 'network_walkthrough sets it'
    print(f'wrote {path}: {walk.network.describe()}; Train runs gradient descent with its decision boundary; '
          'open it in a browser (it needs no network)')
    return 0
