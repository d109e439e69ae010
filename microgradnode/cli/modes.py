"""``microgradnode modes``: forward mode against reverse mode, counted and timed.

Two functions, two shapes: the moons MLP's loss (337 inputs, 1 output), where reverse
mode needs one pass and forward mode one per parameter; and an Euler trajectory (1
input, many outputs), where it is the other way round. Both Jacobians are computed
both ways by :func:`microgradnode.calculus.jacobian.jacobian_of`, which counts the multiply-adds
each pass does; the times are medians of a few runs. ``--plot FILE`` draws the cost
against the number of inputs and of outputs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .options import check_output_file

__all__ = ['register', 'run', 'Case', 'mlp_loss_case', 'trajectory_case', 'measure', 'full_pass_cost',
           'cost_figure']

MAX_POINTS = 200
MAX_STEPS = 1000
MAX_REPEAT = 20
PLOT_FORMATS = ('png', 'svg', 'pdf')


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        'modes', help='forward mode against reverse mode: count and time both on two functions',
        description='Compute the same Jacobians with forward mode (one tangent pass per input) and '
                    'reverse mode (one backward pass per output), count the multiply-adds each does '
                    "and time them: for the moons MLP's loss (337 inputs, 1 output: why training "
                    'uses reverse mode) and for an Euler trajectory (1 input, many outputs).')
    parser.add_argument('--points', type=_whole(1, MAX_POINTS), default=20,
                        help=f'moons points in the MLP loss (default 20, at most {MAX_POINTS})')
    parser.add_argument('--steps', type=_whole(1, MAX_STEPS), default=200,
                        help=f'outputs of the trajectory: its Euler steps (default 200, at most {MAX_STEPS})')
    parser.add_argument('--repeat', type=_whole(1, MAX_REPEAT), default=3,
                        help=f'runs to time, the median is shown (default 3, at most {MAX_REPEAT})')
    parser.add_argument('--plot', metavar='FILE',
                        help='also draw the cost of each mode against the number of inputs and of '
                             f'outputs ({", ".join(PLOT_FORMATS)}; needs matplotlib)')
    parser.set_defaults(run=run)


def _whole(low: int, high: int):
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a whole number') from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f'{number} is not between {low} and {high}')
        return number
    parse.__name__ = 'whole number'
    return parse


# -- the two functions ---------------------------------------------------------------------

@dataclass
class Case:
    """A function of ``inputs`` with ``outputs``, built as a graph, and how to call it."""

    name: str
    outputs: list
    inputs: list


def mlp_loss_case(points: int = 20) -> Case:
    """The moons MLP (2-16-16-1, ReLU) and its hinge loss: the parameters are the inputs.

    >>> case = mlp_loss_case(2)
    >>> len(case.inputs), len(case.outputs)
    (337, 1)
    """
    from ..nn.datasets import moons
    from ..nn.modules import MLP
    from ..nn.training import batch_loss
    model = MLP(2, [16, 16, 1], seed=0)
    data, labels = moons(points, seed=0)
    loss, _ = batch_loss(model, data, labels, loss='hinge', l2=1e-4)
    return Case(f'moons MLP loss, 2-16-16-1, {points} points', [loss], model.parameters())


def trajectory_case(steps: int = 200) -> Case:
    """x_{k+1} = x_k + 0.1·sin(x_k) from x_0: every state is an output of the one input x_0.

    >>> case = trajectory_case(3)
    >>> len(case.inputs), len(case.outputs)
    (1, 3)
    """
    from ..engine import Value
    start = Value(1.0, 'x0')
    state, outputs = start, []
    for _ in range(steps):
        state = state + 0.1 * state.sin()
        outputs.append(state)
    return Case(f'Euler trajectory, {steps} steps', outputs, [start])


@dataclass
class Measurement:
    """One mode on one case: the Jacobian, the multiply-adds of each pass, the median time."""

    mode: str
    matrix: list[list[float]]
    costs: list[int]
    seconds: float


def measure(case: Case, mode: str, repeat: int) -> Measurement:
    """Compute ``case``'s Jacobian in ``mode`` ``repeat`` times; counts and the median time.

    >>> m = measure(trajectory_case(2), 'forward', 1)
    >>> m.costs, len(m.matrix)
    ([8], 2)
    """
    from ..calculus.jacobian import jacobian_of
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        matrix, costs = jacobian_of(case.outputs, case.inputs, mode=mode)
        times.append(time.perf_counter() - start)
    return Measurement(mode, matrix, costs, statistics.median(times))


# -- the report ----------------------------------------------------------------------------

def _seconds(seconds: float) -> str:
    return f'{seconds:.2f} s' if seconds >= 1 else f'{seconds * 1000:.1f} ms'


def _largest_difference(a: list[list[float]], b: list[list[float]]) -> float:
    return max((abs(x - y) for row_a, row_b in zip(a, b) for x, y in zip(row_a, row_b)), default=0.0)


def _check_plot_path(text: str) -> tuple[Path, str]:
    path = Path(text)
    kind = path.suffix.lower().lstrip('.')
    if kind not in PLOT_FORMATS:
        raise UsageError(f'--plot {text}: give a file name ending in .{", .".join(PLOT_FORMATS)}')
    check_output_file(path, '--plot')
    return path, kind


def run(args: argparse.Namespace) -> int:
    plot = _check_plot_path(args.plot) if args.plot is not None else None
    if plot is not None:
        _matplotlib()  # before minutes of work, not after
    cases = [mlp_loss_case(args.points), trajectory_case(args.steps)]
    results = [(case, measure(case, 'forward', args.repeat), measure(case, 'reverse', args.repeat))
               for case in cases]
    print(_table(results, args.repeat))
    if plot is not None:
        _plot(*plot, cases)
        print(f'wrote {plot[0]}: the cost of each mode against the number of inputs and of outputs')
    return 0


def _table(results: list[tuple[Case, Measurement, Measurement]], repeat: int) -> str:
    width = max(len(case.name) for case, _, _ in results)
    header = (f'{"function":<{width}}  {"inputs":>6}  {"outputs":>7}  {"mode":<7}  {"passes":>6}  '
              f'{"multiply-adds":>13}  {"time":>9}')
    lines = ['The same Jacobians, two ways: forward mode pushes a tangent from one input to every output,',
             'reverse mode a gradient from one output back to every input.',
             f'Multiply-adds counted exactly; times: median of {repeat} run{"s" if repeat > 1 else ""} '
             'on this machine.', '', header, '-' * len(header)]
    verdicts = []
    for case, forward, reverse in results:
        for index, measurement in enumerate((forward, reverse)):
            first = (f'{case.name:<{width}}  {len(case.inputs):>6}  {len(case.outputs):>7}' if not index
                     else ' ' * (width + 17))
            lines.append(f'{first}  {measurement.mode:<7}  {len(measurement.costs):>6}  '
                         f'{sum(measurement.costs):>13,}  {_seconds(measurement.seconds):>9}')
        cheap, dear = sorted((forward, reverse), key=lambda m: sum(m.costs))
        ratio = sum(dear.costs) / max(sum(cheap.costs), 1)
        speed = dear.seconds / cheap.seconds if cheap.seconds else float('inf')
        verdicts.append(f'{case.name}: {cheap.mode} mode does {ratio:.1f}× fewer multiply-adds '
                        f'({speed:.1f}× faster here);\n  the two Jacobians differ by at most '
                        f'{_largest_difference(forward.matrix, reverse.matrix):.1g}.')
    lines += ['', *verdicts, '',
              'Training needs d loss / d every parameter: one output, many inputs. Reverse mode gets '
              'them all', 'in one backward pass; forward mode needs one pass per parameter. That is '
              'why training uses', "reverse mode (backprop). jacobian(f, x, mode='auto') picks the "
              'mode by the shape: fewer inputs', 'than outputs, forward; otherwise reverse.']
    return '\n'.join(lines)


# -- the picture ---------------------------------------------------------------------------

def _matplotlib():
    try:
        from matplotlib.figure import Figure  # no pyplot: no global backend, no window
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'microgradnode[plot]'") from None
    return Figure


def full_pass_cost(outputs: list) -> int:
    """Multiply-adds of one tangent pass that visits every edge of the graph of ``outputs``.

    Forward-mode AD as textbooks (and JAX's ``jvp``) price it: one multiply-add per edge,
    whichever input is seeded, so n inputs cost n of these passes: a straight line.

    >>> from microgradnode import Value
    >>> x = Value(2.0, 'x'); full_pass_cost([x * x + 1])   # x·x: 2 edges (x twice); + 1: 2
    4
    """
    from ..engine import topological_order
    seen: set = set()
    edges = 0
    for output in outputs:
        for node in topological_order(output):
            if node not in seen:
                seen.add(node)
                edges += len(node.parents)
    return edges


def _plain(value: float, _position: object = None) -> str:
    """An axis number as a learner writes it: 12,000 rather than 1.2e4 or an offset."""
    return f'{value:,.0f}' if value >= 1 else f'{value:g}'


def _plot(path: Path, kind: str, cases: list[Case]) -> None:
    from .._support.files import replacing
    figure = cost_figure(cases)
    try:
        with replacing(path, 'wb') as file:
            figure.savefig(file, format=kind)
    except OSError as error:
        raise UsageError(f'--plot: cannot write {str(path)!r}: {error.strerror or error}') from None


def cost_figure(cases: list[Case]):
    """The matplotlib Figure of ``--plot``: the cost of each mode, for the loss and the trajectory."""
    from ..calculus.jacobian import jacobian_of
    new_figure = _matplotlib()
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    loss_case, trajectory = cases
    # Left: the gradient with respect to the first n parameters. Forward mode as it is priced
    # (one full tangent pass per input: every edge) gives a straight line; our passes skip
    # the values a parameter does not reach, and that count is the second, dashed line.
    _, forward_costs = jacobian_of(loss_case.outputs, loss_case.inputs, mode='forward')
    (backward_cost,) = jacobian_of(loss_case.outputs, loss_case.inputs, mode='reverse')[1]
    one_pass = full_pass_cost(loss_case.outputs)
    counts = range(1, len(forward_costs) + 1)
    skipping, total = [], 0
    for cost in forward_costs:
        total += cost
        skipping.append(total)
    # Right: the derivative of the first m states of the trajectory.
    last = len(trajectory.outputs)
    steps = sorted({1, *range(max(last // 25, 1), last + 1, max(last // 25, 1)), last})
    forward_steps = [sum(jacobian_of(trajectory.outputs[:m], trajectory.inputs, mode='forward')[1])
                     for m in steps]
    reverse_steps = [sum(jacobian_of(trajectory.outputs[:m], trajectory.inputs, mode='reverse')[1])
                     for m in steps]

    figure = new_figure(figsize=(11.0, 5.0), dpi=110)
    left, right = figure.subplots(1, 2)
    forward_style = {'color': '#1f5fa8', 'linewidth': 2.0}
    reverse_style = {'color': '#c0392b', 'linewidth': 2.0}
    left.plot(counts, [n * one_pass for n in counts],
              label=f'forward mode: n full passes, {one_pass:,} each', **forward_style)
    left.plot(counts, skipping, linestyle='--', color='#1f5fa8', linewidth=1.5, alpha=0.8,
              label="forward mode skipping zero tangents: a later\n"
                    "layer's parameter reaches less of the graph")
    left.plot(counts, [backward_cost] * len(counts), label='reverse mode: one backward pass', **reverse_style)
    left.set_title(f'{loss_case.name}\n1 output, gradient with respect to n parameters', fontsize=11)
    left.set_xlabel('n, number of inputs (parameters), log scale')
    right.plot(steps, forward_steps, marker='o', markersize=3,
               label='forward mode: one tangent pass', **forward_style)
    right.plot(steps, reverse_steps, marker='o', markersize=3,
               label='reverse mode: one pass per output', **reverse_style)
    right.set_title(f'{trajectory.name}\n1 input, derivative of the first m states', fontsize=11)
    right.set_xlabel('m, number of outputs, log scale')
    for axes in (left, right):
        # Log scales on both axes: on a linear one the cheap mode's line lies on the axis,
        # 100× below the other; and a cost proportional to n (or m²) stays a straight line,
        # of slope 1 (or 2).
        axes.set_xscale('log')
        axes.set_yscale('log')
        for axis in (axes.xaxis, axes.yaxis):
            axis.set_major_locator(LogLocator(base=10))
            axis.set_major_formatter(FuncFormatter(_plain))
            axis.set_minor_formatter(NullFormatter())
        axes.set_ylabel('multiply-adds (log scale)')
        axes.grid(alpha=0.3, which='both')
        axes.legend(loc='upper left', fontsize='small')
    figure.tight_layout()
    return figure
