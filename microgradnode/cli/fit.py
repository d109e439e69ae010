"""``microgradnode fit``: train an MLP classifier on a small 2-D dataset.

    microgradnode fit --dataset moons --layers 16 16 --optimizer adam --steps 100 \\
        --plot-boundary boundary.png --plot-loss loss.png

Prints one summary line on stdout; the progress bar goes to stderr.
"""

from __future__ import annotations

import argparse
import math
import os

# The library modules named here import only the engine: --help stays instant.
from microgradnode.datasets import DATASETS
from microgradnode.extras import require
from microgradnode.losses import LOSSES
from microgradnode.nn import ACTIVATIONS
from microgradnode.optim import OPTIMIZERS

from . import UsageError

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
    data.add_argument('--samples', type=int, default=None, metavar='N',
                      help='number of points (default: 100; for xor a multiple of 4, default 4: '
                           'the truth table)')
    data.add_argument('--noise', type=float, default=None,
                      help='standard deviation of the noise (default: 0.1 moons, 0.05 circles, 0 XOR)')
    model = parser.add_argument_group('model')
    model.add_argument('--layers', type=int, nargs='+', default=[16, 16], metavar='SIZE',
                       help='hidden layer sizes (default: 16 16, i.e. a 2-16-16-1 network)')
    model.add_argument('--activation', default='relu', choices=tuple(a for a in ACTIVATIONS if a != 'linear'),
                       help='activation of the hidden layers (default: relu)')
    training = parser.add_argument_group('training')
    training.add_argument('--loss', default='hinge', choices=tuple(LOSSES),
                          help='hinge (max-margin), bce (binary cross-entropy on the score as a logit) '
                               'or mse (default: hinge)')
    training.add_argument('--l2', type=float, default=1e-4, metavar='STRENGTH',
                          help='L2 regularisation added to the loss (default: 1e-4; 0 for none)')
    training.add_argument('--optimizer', default='adam', choices=tuple(OPTIMIZERS),
                          help='sgd, momentum (SGD with momentum 0.9) or adam (default: adam)')
    training.add_argument('--lr', type=float, default=None, metavar='RATE',
                          help='learning rate (default: ' +
                               ', '.join(f'{k} {v:g}' for k, v in DEFAULT_LR.items()) + ')')
    training.add_argument('--steps', type=int, default=100, metavar='N',
                          help='training steps, each over the whole dataset (default: 100)')
    training.add_argument('--seed', type=int, default=0,
                          help='seed for the data and the initial weights (default: 0)')
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
    if args.samples is None:
        args.samples = 4 if args.dataset == 'xor' else 100
    if args.samples < 1:
        raise UsageError(f'--samples must be at least 1, not {args.samples}')
    if args.dataset == 'xor' and args.samples % 4:
        raise UsageError(f'--samples for xor must be a multiple of 4, not {args.samples}')
    if args.noise is not None and not (math.isfinite(args.noise) and args.noise >= 0):
        raise UsageError(f'--noise must be a finite number >= 0, not {args.noise}')
    if any(size < 1 for size in args.layers):
        raise UsageError(f'--layers sizes must be positive integers, not {args.layers}')
    if args.steps < 1:
        raise UsageError(f'--steps must be at least 1, not {args.steps}')
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f'--lr must be a positive number, not {args.lr}')
    if not (math.isfinite(args.l2) and args.l2 >= 0):
        raise UsageError(f'--l2 must be a finite number >= 0, not {args.l2}')
    for option in ('plot_boundary', 'plot_loss'):
        path = getattr(args, option)
        if path is not None and not path.lower().endswith('.png'):
            raise UsageError(f'--{option.replace("_", "-")} writes a PNG: give a file name ending in .png, '
                             f'not {path!r}')
        # Fail now rather than after a minute of training.
        if path is not None and not os.path.isdir(os.path.dirname(path) or '.'):
            raise UsageError(f'--{option.replace("_", "-")}: no such directory: '
                             f'{os.path.dirname(path)!r}')


def run(args: argparse.Namespace) -> int:
    _check(args)
    if args.graph is not None:
        _check_graph(args.graph)
    if args.plot_boundary or args.plot_loss:  # now, not after a minute of training
        require('matplotlib', 'figures')
    from microgradnode.nn import MLP
    from microgradnode.training import train

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

    final_accuracy = _final_accuracy(model, points, labels)
    shape = '-'.join(str(n) for n in [2, *args.layers, 1])
    how = ', compiled' if args.compile else ''
    print(f'{args.dataset}: {args.samples} points, MLP {shape} {args.activation}, {args.loss} loss, '
          f'{args.optimizer} lr={lr:g}, {args.steps} steps: loss {history.losses[-1]:.4f}, '
          f'training accuracy {final_accuracy:.1%} '
          f'({history.median_step_seconds * 1000:.0f} ms per step, median{how})')
    if args.plot_boundary or args.plot_loss:
        _plots(args, model, points, labels, history, shape, final_accuracy)
    if args.graph is not None:
        _graph(args.graph, model, points[0], shape)
    return 0


def _check_graph(path: str) -> None:
    # Before training: a wrong suffix, directory or missing Graphviz fails at once.
    suffix = os.path.splitext(path)[1][1:].lower()
    if suffix not in ('svg', 'png', 'pdf', 'dot'):
        raise UsageError(f'--graph: cannot tell the format of {path!r}: use .svg, .png, .pdf or .dot')
    if not os.path.isdir(os.path.dirname(path) or '.'):
        raise UsageError(f'--graph: no such directory: {os.path.dirname(path)!r}')
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


def _final_accuracy(model, points, labels) -> float:
    # The history holds the accuracy before each update; report the trained model's.
    from microgradnode.training import accuracy, scores
    return accuracy(scores(model, points), labels)


def _plots(args, model, points, labels, history, shape: str, final_accuracy: float) -> None:
    from microgradnode.training import plot_decision_boundary, plot_history
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
