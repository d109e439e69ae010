"""``microgradnode fit``: train an MLP classifier on a small 2-D dataset.

    microgradnode fit --dataset moons --layers 16 16 --optimizer adam --steps 100 \\
        --plot-boundary boundary.png --plot-loss loss.png

Prints one summary line on stdout; the progress bar goes to stderr.
"""

from __future__ import annotations

import argparse
import math

from microgradnode._support.extras import check_needs, require
from microgradnode.nn import ACTIVATIONS

# The library modules named here import only the engine: --help stays instant.
from microgradnode.nn.datasets import DATASETS
from microgradnode.nn.losses import LOSSES
from microgradnode.nn.optim import OPTIMIZERS

from .errors import UsageError
from .options import check_different_files, check_output_file, real_number, whole_number

# Bounds of the options. Beyond them a run takes hours or the numbers mean nothing: the
# datasets span about 3 units, a larger noise hides them, and an L2 strength above 1
# outweighs any data loss (1e308 made the loss inf, which was then blamed on --lr).
MAX_SAMPLES = 10_000
MAX_NOISE = 10.0
MAX_LAYER_SIZE = 1000
MAX_L2 = 1.0
MAX_STEPS = 100_000
MAX_SEED = 2**32 - 1

# Learning rates that train the default network on moons in well under 100 steps.
DEFAULT_LR = {'sgd': 0.3, 'momentum': 0.05, 'adam': 0.05}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'fit', help='train an MLP classifier on two moons, circles or XOR',
        description='Train a multilayer perceptron (2 inputs, hidden layers, 1 output score) '
                    'with full-batch gradient descent, all gradients from backward(). '
                    'A score above 0 predicts class +1.')
    data = parser.add_argument_group('data')
    data.add_argument('--dataset', default='moons', choices=tuple(DATASETS),
                      help='two moons, concentric circles or XOR (default: moons)')
    data.add_argument('--samples', type=whole_number(1, MAX_SAMPLES), default=None, metavar='N',
                      help=f'number of points, 1 to {MAX_SAMPLES} (default: 100; for xor a multiple of 4, '
                           'default 4: the truth table)')
    data.add_argument('--noise', type=real_number(0, MAX_NOISE), default=None,
                      help=f'standard deviation of the noise, 0 to {MAX_NOISE:g} (default: 0.1 moons, '
                           '0.05 circles, 0 XOR)')
    model = parser.add_argument_group('model')
    model.add_argument('--layers', type=whole_number(1, MAX_LAYER_SIZE), nargs='+', default=[16, 16],
                       metavar='SIZE',
                       help=f'hidden layer sizes, each 1 to {MAX_LAYER_SIZE} (default: 16 16, i.e. a '
                            '2-16-16-1 network)')
    model.add_argument('--activation', default='relu', choices=tuple(a for a in ACTIVATIONS if a != 'linear'),
                       help='activation of the hidden layers (default: relu)')
    training = parser.add_argument_group('training')
    training.add_argument('--loss', default='hinge', choices=tuple(LOSSES),
                          help='hinge (max-margin), bce (binary cross-entropy on the score as a logit) '
                               'or mse (default: hinge)')
    training.add_argument('--l2', type=real_number(0, MAX_L2), default=1e-4, metavar='STRENGTH',
                          help=f'L2 regularisation added to the loss, 0 to {MAX_L2:g} (default: 1e-4; 0 for '
                               'none)')
    training.add_argument('--optimizer', default='adam', choices=tuple(OPTIMIZERS),
                          help='sgd, momentum (SGD with momentum 0.9) or adam (default: adam)')
    training.add_argument('--lr', type=real_number(0, math.inf, low_open=True), default=None, metavar='RATE',
                          help='learning rate, above 0 (default: ' +
                               ', '.join(f'{k} {v:g}' for k, v in DEFAULT_LR.items()) + ')')
    training.add_argument('--steps', type=whole_number(1, MAX_STEPS), default=100, metavar='N',
                          help=f'training steps, each over the whole dataset, 1 to {MAX_STEPS} '
                               '(default: 100)')
    training.add_argument('--seed', type=whole_number(0, MAX_SEED), default=0,
                          help=f'seed for the data and the initial weights, 0 to {MAX_SEED} (default: 0)')
    training.add_argument('--no-progress', action='store_true', help='no progress bar')
    training.add_argument('--compile', action='store_true',
                          help='record the loss graph once and replay it as generated Python code '
                               '(same numbers, much faster steps; accuracy measured every 10 steps)')
    output = parser.add_argument_group('output')
    output.add_argument('--plot-boundary', metavar='FILE.png',
                        help='save the decision boundary with the data as a PNG')
    output.add_argument('--plot-loss', metavar='FILE.png',
                        help='save the loss and accuracy per step as a PNG')
    output.add_argument('--graph', metavar='FILE.svg',
                        help='draw the trained model, folded by neuron, on the first point '
                             '(.svg, .png, .pdf or .dot)')
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    # Each value's own bounds are checked as argparse reads it (options.py); here, what
    # depends on two options, and the output files.
    if args.samples is None:
        args.samples = 4 if args.dataset == 'xor' else 100
    if args.dataset == 'xor' and args.samples % 4:
        raise UsageError(f'--samples for xor must be a multiple of 4, not {args.samples}')
    for option in ('plot_boundary', 'plot_loss'):
        path = getattr(args, option)
        name = f'--{option.replace("_", "-")}'
        if path is None:
            continue
        if not path.lower().endswith('.png'):
            raise UsageError(f'{name} {path!r}: the plot is a PNG: give a file name ending in .png')
        check_output_file(path, name)  # now rather than after a minute of training
    check_different_files({'--plot-boundary': args.plot_boundary, '--plot-loss': args.plot_loss,
                           '--graph': args.graph})
    _check_memory(args)


def _check_memory(args: argparse.Namespace) -> None:
    """Refuse, before building anything, a graph larger than the memory left.

    Each step records the whole batch's graph (--layers 1000 1000 is about two million
    Values per point, 350 MB): within the options' bounds a run could need tens of GB and
    end, a minute later, in a MemoryError.
    """
    from microgradnode._support.memory import available_memory
    from microgradnode.nn.training import BYTES_PER_NODE, graph_nodes
    available = available_memory()
    sizes = [2, *args.layers, 1]
    nodes = graph_nodes(sizes, args.samples, l2=args.l2)
    if available is None or nodes * BYTES_PER_NODE <= available:
        return
    fixed = graph_nodes(sizes, 0, l2=args.l2)
    per_point = graph_nodes(sizes, 1, l2=args.l2) - fixed
    fitting = (available // BYTES_PER_NODE - fixed) // per_point
    lower = (f'lower --samples to {fitting} or fewer, or make --layers smaller' if fitting >= 1 else
             'make --layers smaller (even one point does not fit)')
    raise UsageError(f'a training step of MLP {"-".join(map(str, sizes))} on {args.samples} points records '
                     f'about {nodes:,} values, about {_size(nodes * BYTES_PER_NODE)} of memory, and about '
                     f'{_size(available)} is available: {lower}')


def _size(size: float) -> str:
    return f'{size / 2**30:,.1f} GB' if size >= 2**30 else f'{size / 2**20:.0f} MB'


def run(args: argparse.Namespace) -> int:
    _check(args)
    plots = bool(args.plot_boundary or args.plot_loss)
    # Every extra the options need, named in one message (--plot-* and --graph: [all]).
    check_needs([('matplotlib', 'figures')] * plots + [('graphviz', 'diagrams')] * (args.graph is not None))
    if args.graph is not None:
        _check_graph(args.graph)
    if args.plot_boundary or args.plot_loss:  # now, not after a minute of training
        require('matplotlib', 'figures')
    from microgradnode.nn import MLP
    from microgradnode.nn.training import evaluate, train

    noise = {} if args.noise is None else {'noise': args.noise}
    points, labels = DATASETS[args.dataset](args.samples, seed=args.seed, **noise)
    model = MLP(2, [*args.layers, 1], activation=args.activation, seed=args.seed)
    lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=lr)
    try:
        history = train(model, points, labels, optimizer=optimizer, steps=args.steps, loss=args.loss,
                        l2=args.l2, progress=not args.no_progress, compiled=args.compile)
    except ArithmeticError as error:  # diverged: too large a learning rate
        raise UsageError(f'{error} (--lr {lr:g})') from None
    except MemoryError:  # what the estimate above did not foresee (other processes took memory)
        raise UsageError('ran out of memory while training: lower --samples or make --layers '
                         'smaller') from None

    # The trained model's loss and accuracy, both measured after the last update (the history's
    # last loss is from before it: `--steps 1` printed the first model's loss beside the
    # second model's accuracy).
    final_loss, final_accuracy = evaluate(model, points, labels, loss=args.loss, l2=args.l2)
    shape = '-'.join(str(n) for n in [2, *args.layers, 1])
    how = ', compiled' if args.compile else ''
    print(f'{args.dataset}: {args.samples} points, MLP {shape} {args.activation}, {args.loss} loss, '
          f'{args.optimizer} lr={lr:g}; after {args.steps} step{"" if args.steps == 1 else "s"}: '
          f'loss {final_loss:.4f}, '
          f'training accuracy {final_accuracy:.1%} '
          f'({history.median_step_seconds * 1000:.0f} ms per step, median{how})')
    if args.plot_boundary or args.plot_loss:
        _plots(args, model, points, labels, history, shape, final_accuracy)
    if args.graph is not None:
        _graph(args.graph, model, points[0], shape)
    return 0


def _check_graph(path: str) -> None:
    # Before training: a wrong suffix, directory or missing Graphviz fails at once.
    if not path.lower().endswith(('.svg', '.png', '.pdf', '.dot')):
        raise UsageError(f'--graph {path!r}: cannot tell the format: give a file name ending in '
                         '.svg, .png, .pdf or .dot')
    check_output_file(path, '--graph')
    require('graphviz', 'diagrams')


def _graph(path: str, model, point, shape: str) -> None:
    from microgradnode.diagram import draw
    from microgradnode.engine import Value
    score = model([Value(x, f'x{i}') for i, x in enumerate(point)])  # named: drawn as the inputs
    model.zero_grad()  # training left the last batch's gradients on the parameters
    score.backward()
    diagram = draw(score, fold='neuron', group='module',
                   title=f'MLP {shape}, trained, on the point ({point[0]:.3g}, {point[1]:.3g})')
    try:
        diagram.save(path)
    except OSError as error:
        raise UsageError(f'cannot write the graph: {error.strerror or error}: '
                         f'{error.filename or ""}'.rstrip(': ')) from None
    print(f'graph: {path}')


def _plots(args, model, points, labels, history, shape: str, final_accuracy: float) -> None:
    from microgradnode.nn.training import plot_decision_boundary, plot_history
    about = f'{args.dataset}, MLP {shape} {args.activation}, {args.optimizer}'
    try:
        if args.plot_boundary:
            plot_decision_boundary(model, points, labels, args.plot_boundary,
                                   title=f'{about}: training accuracy {final_accuracy:.0%}')
            print(f'decision boundary: {args.plot_boundary}')
        if args.plot_loss:
            plot_history(history, args.plot_loss, title=f'{about}, {args.loss} loss')
            print(f'loss curve: {args.plot_loss}')
    except OSError as error:
        raise UsageError(f'cannot write the plot: {error.strerror or error}: '
                         f'{error.filename or ""}'.rstrip(': ')) from None
