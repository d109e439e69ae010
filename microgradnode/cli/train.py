"""``microgradnode train``: the seed notebook's two-node network, trained end to end.

Prints a short report (settings, the first and last rows, the final loss, and how far
the other update order ends up), and optionally writes the rows as CSV, the notebook's
figure, and the computation graph of the loss.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from microgradnode import twonode
from microgradnode.cli import UsageError

# Above this many steps, training takes a few seconds: show a progress bar (on a terminal).
PROGRESS_FROM_STEPS = 20_000
GRAPH_SUFFIXES = ('.svg', '.png', '.pdf', '.dot')
FIRST_ROWS = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'train', help="train the seed notebook's two-node network",
        description="Train the two-node network of the seed notebook (x1 = w0*s0, s1 = sigmoid(x1), "
                    "x2 = w1*s1, s2 = sigmoid(x2), out = w2*s2) towards a target output, with the "
                    "engine computing every gradient. Defaults are the notebook's.")
    parser.add_argument('--steps', type=_whole_number, default=twonode.DEFAULT_STEPS, metavar='N',
                        help='number of iterations (default: %(default)s)')
    parser.add_argument('--alpha', type=_learning_rate, default=twonode.DEFAULT_ALPHA, metavar='A',
                        help='learning rate (default: %(default)s)')
    parser.add_argument('--target', type=_finite_number, default=twonode.DEFAULT_TARGET, metavar='T',
                        help='the output the network should learn to give (default: %(default)s)')
    parser.add_argument('--input', type=_finite_number, default=twonode.DEFAULT_S0, metavar='S0',
                        help='the input s0 (default: %(default)g)')
    parser.add_argument('--weights', type=_finite_number, nargs='+', metavar='W',
                        default=list(twonode.DEFAULT_WEIGHTS),
                        help='the three initial weights: w0 w1 w2 (default: 2 1 0.5)')
    parser.add_argument('--order', choices=twonode.ORDERS, default='simultaneous',
                        help='simultaneous: gradient descent, all weights updated from one backward '
                             "pass; notebook: the notebook's loop, where w1's update already uses the "
                             "new w2, and w0's the new w2 and w1 (default: %(default)s)")
    parser.add_argument('--csv', type=Path, metavar='FILE',
                        help='write one row per iteration: iteration,w2,w1,w0,out')
    parser.add_argument('--plot', type=Path, metavar='FILE',
                        help="save the notebook's figure (.png, .svg or .pdf)")
    parser.add_argument('--graph', type=Path, metavar='FILE',
                        help='draw the computation graph of the loss after the first backward pass '
                             '(.svg, .png, .pdf or .dot)')
    parser.set_defaults(run=run)


# -- reading the arguments: each error is one line naming the option --------------------------

def _finite_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number, not {text!r}') from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f'expected a finite number, not {text!r}')
    return value


def _learning_rate(text: str) -> float:
    value = _finite_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f'the learning rate cannot be negative, not {text!r}')
    return value


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a whole number of steps, not {text!r}') from None
    if value < 0:
        raise argparse.ArgumentTypeError(f'the number of steps cannot be negative, not {text!r}')
    return value


def _output(path: Path | None, option: str, suffixes: tuple[str, ...]) -> None:
    """Fail before training, not after, when a file could not be written."""
    if path is None:
        return
    if path.suffix.lower() not in suffixes:
        raise UsageError(f'{option}: cannot tell the file type from {str(path)!r}; '
                         f'use one of {", ".join(suffixes)}')
    if path.is_dir():
        raise UsageError(f'{option}: {str(path)!r} is a directory')
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f'{option}: the folder {str(folder)!r} does not exist')
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f'{option}: cannot write {str(path)!r} (permission denied)')


# -- running -------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    if len(args.weights) != 3:
        raise UsageError(f'--weights needs three numbers (w0 w1 w2), got {len(args.weights)}')
    _output(args.csv, '--csv', ('.csv', '.txt'))
    _output(args.plot, '--plot', twonode.FIGURE_SUFFIXES)
    _output(args.graph, '--graph', GRAPH_SUFFIXES)
    draw = _diagram_drawer() if args.graph else None

    settings = dict(steps=args.steps, alpha=args.alpha, target=args.target, s0=args.input,
                    weights=tuple(args.weights), progress=args.steps >= PROGRESS_FROM_STEPS)
    other_order = next(order for order in twonode.ORDERS if order != args.order)
    try:
        result = twonode.train(order=args.order, **settings)
        other = twonode.train(order=other_order, **settings)
    except OverflowError as error:
        raise UsageError(str(error).replace('smaller alpha', 'smaller --alpha')) from None

    written = []
    if args.csv:
        _write(args.csv, '--csv', lambda: twonode.write_csv(result, args.csv))
        written.append(f'{args.csv} ({result.steps} rows)')
    if args.plot:
        _write(args.plot, '--plot', lambda: twonode.save_figure(result, args.plot))
        written.append(str(args.plot))
    if args.graph:
        net = twonode.build(s0=args.input, w0=args.weights[0], w1=args.weights[1],
                            w2=args.weights[2], target=args.target)
        net.loss.backward()
        _write(args.graph, '--graph', lambda: draw(net.loss).save(args.graph))
        written.append(f'{args.graph} (the loss graph after the first backward pass)')
    print(_report(result, other))
    if written:
        print(f'\nWrote {", ".join(written)}.')
    return 0


def _diagram_drawer():
    # The diagram package is heavier (graphviz) and optional here: load it only for --graph.
    try:
        from microgradnode.diagram import draw
    except ImportError as error:
        raise UsageError(f'diagrams are not available: {error}') from None
    return draw


def _write(path: Path, option: str, write) -> None:
    try:
        write()
    except (OSError, ValueError) as error:
        raise UsageError(f'{option}: could not write {str(path)!r}: {error}') from None


def _report(result: twonode.TrainingResult, other: twonode.TrainingResult) -> str:
    w0, w1, w2 = result.initial_weights
    lines = [
        "Training the seed notebook's two-node network",
        f'  input s0 = {result.s0:g}, target output = {result.target:g}',
        f'  initial weights w0 = {w0:g}, w1 = {w1:g}, w2 = {w2:g}',
        f'  learning rate alpha = {result.alpha:g}, {result.steps} step{"" if result.steps == 1 else "s"}, '
        f'{result.order} updates',
        '',
    ]
    if result.rows:
        lines.append('Each row: the weights after that iteration\'s update, and the output before it.')
        lines.append(f'{"iteration":>9}  {"w2":>10}  {"w1":>10}  {"w0":>10}  {"out":>10}')
        shown = list(result.rows[:FIRST_ROWS])
        if len(result.rows) > FIRST_ROWS + 1:
            shown.append(None)
        if len(result.rows) > FIRST_ROWS:
            shown.append(result.rows[-1])
        for row in shown:
            if row is None:
                lines.append(f'{"...":>9}')
            else:
                lines.append(f'{row.iteration:>9}  ' + '  '.join(f'{v:>10.6f}' for v in row[1:]))
        lines.append('')
    w0, w1, w2 = result.final_weights
    lines.append(f'Final weights w0 = {w0:.6f}, w1 = {w1:.6f}, w2 = {w2:.6f}')
    lines.append(f'Final output {result.final_out:.6f} (target {result.target:g}), '
                 f'loss 0.5*(out - target)**2 = {result.final_loss:.3g}')
    gap = twonode.order_gap(other, result)
    o0, o1, o2 = other.final_weights
    lines.append(f'With {other.order} updates instead: w0 = {o0:.6f}, w1 = {o1:.6f}, w2 = {o2:.6f}, '
                 f'loss {other.final_loss:.3g}')
    lines.append(f'  difference: up to {gap.largest_weight_gap:.3g} in a weight, {abs(gap.out):.3g} in the '
                 f'output, {abs(gap.loss):.3g} in the loss (why they differ: docs/two_node.md)')
    return '\n'.join(lines)
