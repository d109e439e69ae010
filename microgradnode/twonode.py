"""The seed notebook's two-node network, built from Values, and its training loop.

The network has one input ``s0``, three weights and two sigmoid neurons::

    x1 = w0*s0    s1 = sigmoid(x1)    x2 = w1*s1    s2 = sigmoid(x2)    out = w2*s2

and it learns to output ``target`` by gradient descent on
``loss = 0.5*(out - target)**2`` (the 0.5 makes d loss / d out = out - target, which
is what the notebook's update expressions assume).

The notebook derives the weight updates by hand; here the engine computes them.

>>> net = build()
>>> net.out.data
0.36375380675182073
>>> net.loss.backward()
>>> round(net.w2.grad, 6), round(net.w1.grad, 6), round(net.w0.grad, 6)
(-0.244622, -0.032729, -0.001177)
>>> result = train(steps=1000)
>>> round(result.final_out, 6), result.rows[0].out
(0.7, 0.36375380675182073)
"""

from __future__ import annotations

import csv
import math
import numbers
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from ._support.extras import require
from ._support.files import replacing
from ._support.flags import check_flag
from ._support.progress import Progress
from .engine import Value

__all__ = ['TwoNodeNetwork', 'build', 'Link', 'gradient_chain', 'Row', 'TrainingResult', 'train', 'ORDERS',
           'OrderGap', 'order_gap', 'write_csv', 'read_csv', 'training_figure', 'save_figure',
           'FIGURE_SUFFIXES', 'NewtonResult', 'train_newton', 'steps_to_target']

ORDERS = ('simultaneous', 'notebook')
"""The two ways of applying one iteration's updates (see :func:`train`)."""

FIGURE_SUFFIXES = ('.png', '.svg', '.pdf')
"""File types :func:`save_figure` writes, chosen by the path's suffix."""

CSV_COLUMNS = ('iteration', 'w2', 'w1', 'w0', 'out')

# The notebook's settings.
DEFAULT_S0 = 2.0
DEFAULT_WEIGHTS = (2.0, 1.0, 0.5)  # w0, w1, w2
DEFAULT_TARGET = 0.7
DEFAULT_ALPHA = 0.1
DEFAULT_STEPS = 1000

# Newton's method (see train_newton and docs/higher_order.md).
NEWTON_TOLERANCE = 1e-10   # |out - target| counted as reached
NEWTON_DAMPING = 1e-3      # the first damping tried; it adapts from there
_LARGEST_DAMPING = 1e12    # beyond this, the step is a tiny gradient step: give up


def _finite(name: str, value: object) -> float:
    """``value`` as a float, or an error that names the setting."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'{name} must be a real number, not {type(value).__name__}: {value!r}'[:200])
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f'{name} must be a finite number, not {value!r}')
    return value


# -- the network ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TwoNodeNetwork:
    """Every node of the two-node network and its loss, each a labelled :class:`Value`.

    >>> net = build(w2=1.0)
    >>> net.out.label, net.out.parents == (net.w2, net.s2)
    ('out', True)
    """

    s0: Value
    w0: Value
    w1: Value
    w2: Value
    x1: Value
    s1: Value
    x2: Value
    s2: Value
    out: Value
    target: Value
    loss: Value

    @property
    def weights(self) -> tuple[Value, Value, Value]:
        """The three weights, in the notebook's order ``(w0, w1, w2)``."""
        return self.w0, self.w1, self.w2


def build(*, s0: float = DEFAULT_S0, w0: float = DEFAULT_WEIGHTS[0], w1: float = DEFAULT_WEIGHTS[1],
          w2: float = DEFAULT_WEIGHTS[2], target: float = DEFAULT_TARGET) -> TwoNodeNetwork:
    """The network with the given input, weights and target, its forward pass done.

    Defaults are the notebook's. Call ``net.loss.backward()`` to get every gradient.

    >>> net = build()
    >>> net.s1.data, net.out.data
    (0.9820137900379085, 0.36375380675182073)
    >>> build(w0='2')
    Traceback (most recent call last):
    ...
    TypeError: w0 must be a real number, not str: '2'
    """
    numbers_ = {'s0': s0, 'w0': w0, 'w1': w1, 'w2': w2, 'target': target}
    return _forward(**{name: Value(_finite(name, number), name) for name, number in numbers_.items()})


def _forward(*, s0: Value, w0: Value, w1: Value, w2: Value, target: Value) -> TwoNodeNetwork:
    x1 = w0 * s0
    x1.label = 'x1'
    s1 = x1.sigmoid()
    s1.label = 's1'
    x2 = w1 * s1
    x2.label = 'x2'
    s2 = x2.sigmoid()
    s2.label = 's2'
    out = w2 * s2
    out.label = 'out'
    loss = 0.5 * (out - target) ** 2
    loss.label = 'loss'
    return TwoNodeNetwork(s0=s0, w0=w0, w1=w1, w2=w2, x1=x1, s1=s1, x2=x2, s2=s2, out=out,
                          target=target, loss=loss)


class Link(NamedTuple):
    """One edge on the way from ``out`` down to a weight: d child / d parent."""

    child: Value
    parent: Value
    formula: str   # the operation table's formula, in the network's names
    local: float   # its value, as the engine recorded it in the forward pass


def gradient_chain(net: TwoNodeNetwork, weight: str) -> list[Link]:
    """The chain rule for d out / d ``weight``: one :class:`Link` per edge from ``out`` down.

    The product of the ``local`` numbers, times d loss / d out, is the weight's gradient:
    this answers the notebook's "What is the expression for w0?" from the engine's graph.
    The network is a chain, so this is the one path :func:`microgradnode.explain` finds.

    >>> [link.formula for link in gradient_chain(build(), 'w0')]
    ['w2', 's2·(1 - s2)', 'w1', 's1·(1 - s1)', 's0']
    """
    from .formulas.explain import explain

    goal = getattr(net, weight, None) if weight in ('w0', 'w1', 'w2') else None
    if goal is None:
        raise ValueError(f'weight must be one of w0, w1, w2, not {weight!r}')
    (path,) = explain(net.out, goal).paths
    down = path.nodes[::-1]  # out first, as the formulas and numbers are
    return [Link(child, parent, formula.text, local)
            for child, parent, formula, local in zip(down, down[1:], path.formulas, path.local_grads)]


# -- training ------------------------------------------------------------------------------

class Row(NamedTuple):
    """One iteration, as a row of the notebook's ``results``: the weights after the update,
    and the output computed before it (with the weights the iteration started from)."""

    iteration: int
    w2: float
    w1: float
    w0: float
    out: float


@dataclass(frozen=True)
class TrainingResult:
    """The rows of one training run and the settings that produced them.

    >>> result = train(steps=2)
    >>> [row.iteration for row in result.rows], result.steps
    ([0, 1], 2)
    >>> last = result.rows[-1]
    >>> result.final_weights == (last.w0, last.w1, last.w2)
    True
    """

    rows: tuple[Row, ...]
    order: str
    alpha: float
    target: float
    s0: float
    initial_weights: tuple[float, float, float] = DEFAULT_WEIGHTS

    @property
    def steps(self) -> int:
        """Number of iterations run."""
        return len(self.rows)

    @property
    def final_weights(self) -> tuple[float, float, float]:
        """``(w0, w1, w2)`` after the last update (the initial weights if no step ran)."""
        if not self.rows:
            return self.initial_weights
        last = self.rows[-1]
        return last.w0, last.w1, last.w2

    @cached_property
    def final_network(self) -> TwoNodeNetwork:
        """The network with the trained weights (forward pass only)."""
        w0, w1, w2 = self.final_weights
        return build(s0=self.s0, w0=w0, w1=w1, w2=w2, target=self.target)

    @property
    def final_out(self) -> float:
        """The trained network's output: one forward pass after the last update."""
        return self.final_network.out.data

    @property
    def final_loss(self) -> float:
        """``0.5*(final_out - target)**2``."""
        return self.final_network.loss.data


def train(*, steps: int = DEFAULT_STEPS, alpha: float = DEFAULT_ALPHA, target: float = DEFAULT_TARGET,
          s0: float = DEFAULT_S0, weights: tuple[float, float, float] = DEFAULT_WEIGHTS,
          order: str = 'simultaneous', progress: bool = False) -> TrainingResult:
    """Train the network for ``steps`` iterations; ``weights`` is ``(w0, w1, w2)``.

    Each iteration builds the network from the current weights, runs the engine's
    backward pass on the loss and updates the weights with learning rate ``alpha``:

    - ``order='simultaneous'``: gradient descent. All three weights move by
      ``-alpha * grad`` using the gradients of that one backward pass.
    - ``order='notebook'``: the notebook's loop. w2 is updated first, and w1's update
      uses the *new* w2; then w0's update uses the new w2 and the new w1.

    ``progress=True`` reports progress on stderr (a bar on a terminal, a few lines otherwise). A learning
    rate so large that the numbers overflow stops with an OverflowError saying where.

    >>> first = train(steps=1, order='notebook').rows[0]
    >>> first.out, round(first.w2, 6), round(first.w1, 6), round(first.w0, 6)
    (0.36375380675182073, 0.524462, 1.003433, 2.000124)
    >>> train(order='backwards')
    Traceback (most recent call last):
    ...
    ValueError: order must be one of simultaneous, notebook, not 'backwards'
    """
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f'steps must be an integer, not {type(steps).__name__}: {steps!r}'[:200])
    if steps < 0:
        raise ValueError(f'steps must be 0 or more, not {steps}')
    check_flag(progress, 'progress')
    alpha = _finite('alpha', alpha)
    target = _finite('target', target)
    s0 = _finite('s0', s0)
    weights = tuple(weights)
    if len(weights) != 3:
        raise ValueError(f'weights must be three numbers (w0, w1, w2), not {len(weights)}')
    initial = tuple(_finite(name, w) for name, w in zip(('w0', 'w1', 'w2'), weights))
    w0, w1, w2 = initial
    if order not in ORDERS:
        raise ValueError(f'order must be one of {", ".join(ORDERS)}, not {order!r}')
    update = _notebook_update if order == 'notebook' else _simultaneous_update

    bar = Progress(steps, f'training ({order})') if progress else None
    rows = []
    for iteration in range(steps):
        try:
            net = build(s0=s0, w0=w0, w1=w1, w2=w2, target=target)
            net.loss.backward()
            out = net.out.data
            new_weights = update(net, alpha)
            if not all(map(math.isfinite, new_weights)):
                raise OverflowError('the weights are no longer finite numbers')
        except ArithmeticError as error:
            if bar is not None:
                bar.close()  # end the terminal's line before the error is reported
            raise OverflowError(f'training diverged at iteration {iteration} (w0={w0!r}, w1={w1!r}, '
                                f'w2={w2!r}): {error}; try a smaller alpha') from error
        w0, w1, w2 = new_weights
        rows.append(Row(iteration, w2, w1, w0, out))
        if bar is not None:
            bar.update(f'out {out:.6f}')
    if bar is not None:
        bar.close()
    return TrainingResult(rows=tuple(rows), order=order, alpha=alpha, target=target, s0=s0,
                          initial_weights=initial)


def _simultaneous_update(net: TwoNodeNetwork, alpha: float) -> tuple[float, float, float]:
    w0, w1, w2 = (w.data - alpha * w.grad for w in net.weights)
    return w0, w1, w2


def _notebook_update(net: TwoNodeNetwork, alpha: float) -> tuple[float, float, float]:
    """The notebook's updates, after ``net.loss.backward()``, from engine-computed numbers.

    The notebook writes (out, s1, s2 from the forward pass; w2 and w1 already updated):

        w1 -= alpha*(out-target)*(w2*s2*(1-s2)*s1)
        w0 -= alpha*(out-target)*(w2*s2*(1-s2)*w1)*(s1*(1-s1)*s0)

    That is the chain rule along the recorded graph, except that the edge through
    ``out = w2*s2`` is multiplied by the *new* w2, and the edge through ``x2 = w1*s1``
    by the new w1. So instead of writing those products here, we let the engine build
    them: re-run just that multiplication with the updated weight, on top of the
    recorded node below it, and send back the signal the engine recorded above it. The
    slopes of the sigmoids and everything else come from the recorded graph, untouched.
    """
    error = net.out.grad  # d loss / d out = out - target, from the backward pass
    w2 = net.w2.data - alpha * net.w2.grad

    _send_back(Value(w2, 'w2') * net.s2, error)  # fills w1.grad (and x2.grad) with the new w2
    w1 = net.w1.data - alpha * net.w1.grad

    _send_back(Value(w1, 'w1') * net.s1, net.x2.grad)  # fills w0.grad with the new w2 and w1
    w0 = net.w0.data - alpha * net.w0.grad
    return w0, w1, w2


def _send_back(root: Value, signal: float) -> None:
    # Leaves accumulate gradients across backward passes; start this one from zero.
    root.zero_grad()
    root.backward(signal)


# -- Newton's method --------------------------------------------------------------------------

@dataclass(frozen=True)
class NewtonResult(TrainingResult):
    """A :class:`TrainingResult` of :func:`train_newton`: one row per Newton step, and the
    damping each step used (``dampings[i]`` for ``rows[i]``)."""

    dampings: tuple[float, ...] = ()
    tolerance: float = NEWTON_TOLERANCE

    @property
    def reached(self) -> bool:
        """True when the final output is within ``tolerance`` of the target."""
        return abs(self.final_out - self.target) <= self.tolerance


def steps_to_target(result: TrainingResult, tolerance: float = NEWTON_TOLERANCE) -> int | None:
    """How many updates a run needed before its output was within ``tolerance`` of the target.

    None when it never got there. Row ``i`` holds the output before update ``i``, so
    the answer is the first such ``i``, or the number of rows if only the final
    output (after the last update) is close enough.

    >>> steps_to_target(train(steps=1000)), steps_to_target(train(steps=100))
    (367, None)
    """
    for row in result.rows:
        if abs(row.out - result.target) <= tolerance:
            return row.iteration
    if abs(result.final_out - result.target) <= tolerance:
        return result.steps
    return None


def _solve(matrix: list[list[float]], right: list[float]) -> list[float] | None:
    """``matrix @ x = right`` by Gaussian elimination with partial pivoting; None if singular."""
    n = len(right)
    rows = [list(row) + [value] for row, value in zip(matrix, right)]
    for column in range(n):
        pivot = max(range(column, n), key=lambda r: abs(rows[r][column]))
        if not rows[pivot][column] or not math.isfinite(rows[pivot][column]):
            return None
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for r in range(column + 1, n):
            factor = rows[r][column] / rows[column][column]
            for c in range(column, n + 1):
                rows[r][c] -= factor * rows[column][c]
    solution = [0.0] * n
    for r in reversed(range(n)):
        total = rows[r][n] - sum(rows[r][c] * solution[c] for c in range(r + 1, n))
        solution[r] = total / rows[r][r]
    return solution if all(map(math.isfinite, solution)) else None


def train_newton(*, steps: int = DEFAULT_STEPS, target: float = DEFAULT_TARGET, s0: float = DEFAULT_S0,
                 weights: tuple[float, float, float] = DEFAULT_WEIGHTS, damping: float = NEWTON_DAMPING,
                 tolerance: float = NEWTON_TOLERANCE) -> NewtonResult:
    """Train with damped Newton steps until ``|out - target| <= tolerance`` (at most ``steps``).

    Each step builds the network, takes the gradient ``g`` and Hessian ``H`` of the loss
    with :func:`microgradnode.hessian` (the engine differentiating its own backward pass)
    and moves the weights by ``-(H + λI)⁻¹ g``. One sample and three weights: near the
    solution ``H`` is close to ``J Jᵀ`` (J = d out / d weights), a matrix of rank 1, so the
    undamped step does not exist. ``λ`` (Levenberg–Marquardt) is divided by 10 after a step
    that lowers the loss and multiplied by 10, the step retried, when it does not.

    >>> result = train_newton()
    >>> result.steps, result.reached, abs(result.final_out - 0.7) < 1e-10
    (4, True, True)
    """
    from .calculus.reverse import grad, hessian

    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise TypeError(f'steps must be an integer, not {type(steps).__name__}: {steps!r}'[:200])
    if steps < 0:
        raise ValueError(f'steps must be 0 or more, not {steps}')
    target, s0 = _finite('target', target), _finite('s0', s0)
    damping, tolerance = _finite('damping', damping), _finite('tolerance', tolerance)
    if damping <= 0.0:
        raise ValueError(f'damping must be positive, not {damping!r}')
    if tolerance <= 0.0:
        raise ValueError(f'tolerance must be positive, not {tolerance!r}')
    weights = tuple(weights)
    if len(weights) != 3:
        raise ValueError(f'weights must be three numbers (w0, w1, w2), not {len(weights)}')
    initial = tuple(_finite(name, w) for name, w in zip(('w0', 'w1', 'w2'), weights))
    current = list(initial)
    rows, dampings = [], []
    for iteration in range(steps):
        net = build(s0=s0, w0=current[0], w1=current[1], w2=current[2], target=target)
        if abs(net.out.data - target) <= tolerance:
            break
        gradient = [g.data for g in grad(net.loss, net.weights)]
        matrix = hessian(net.loss, net.weights)
        while True:
            damped = [[h + (damping if i == j else 0.0) for j, h in enumerate(row)]
                      for i, row in enumerate(matrix)]
            step = _solve(damped, [-g for g in gradient])
            if step is not None:
                trial = [w + d for w, d in zip(current, step)]
                loss = build(s0=s0, w0=trial[0], w1=trial[1], w2=trial[2], target=target).loss.data
                if loss < net.loss.data:
                    break
            damping *= 10.0
            if damping > _LARGEST_DAMPING:
                size = math.sqrt(sum(g * g for g in gradient))
                raise ArithmeticError(f'Newton step {iteration} found no damping that lowers the loss '
                                      f'(w0={current[0]!r}, w1={current[1]!r}, w2={current[2]!r}, '
                                      f'gradient size {size:.3g}: a plateau, or the loss is as low as '
                                      f'floats can tell)')
        rows.append(Row(iteration, trial[2], trial[1], trial[0], net.out.data))
        dampings.append(damping)
        current = trial
        damping = max(damping / 10.0, 1e-15)
    return NewtonResult(rows=tuple(rows), order='newton', alpha=1.0, target=target, s0=s0,
                        initial_weights=initial, dampings=tuple(dampings), tolerance=tolerance)


# -- comparing the two orders --------------------------------------------------------------

class OrderGap(NamedTuple):
    """How far two training runs end apart: ``first - second`` for each final quantity."""

    w0: float
    w1: float
    w2: float
    out: float
    loss: float

    @property
    def largest_weight_gap(self) -> float:
        """The largest absolute difference among the three weights."""
        return max(abs(self.w0), abs(self.w1), abs(self.w2))


def order_gap(first: TrainingResult, second: TrainingResult) -> OrderGap:
    """The difference between two runs' final weights, outputs and losses.

    >>> notebook = train(order='notebook'); simultaneous = train(order='simultaneous')
    >>> gap = order_gap(notebook, simultaneous)
    >>> 0 < gap.largest_weight_gap < 0.01
    True
    """
    (a0, a1, a2), (b0, b1, b2) = first.final_weights, second.final_weights
    return OrderGap(a0 - b0, a1 - b1, a2 - b2, first.final_out - second.final_out,
                    first.final_loss - second.final_loss)


# -- files: CSV and the notebook's figure -------------------------------------------------

def write_csv(result: TrainingResult, path: str | Path) -> Path:
    """Write one row per iteration under the header ``iteration,w2,w1,w0,out``.

    Floats are written with ``repr``, so reading them back gives the same numbers.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     lines = write_csv(train(steps=3), Path(folder) / 'results.csv').read_text().splitlines()
    >>> lines[0], lines[1].split(',')[-1]
    ('iteration,w2,w1,w0,out', '0.36375380675182073')
    """
    path = Path(path)
    # Through a temporary file: a full disk keeps the previous CSV rather than half of a new one.
    with replacing(path, 'w', newline='', encoding='utf-8') as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        for row in result.rows:
            writer.writerow([str(row.iteration), *(repr(value) for value in row[1:])])
    return path


def read_csv(path: str | Path) -> list[Row]:
    """The rows of a file written by :func:`write_csv`.

    >>> import tempfile
    >>> result = train(steps=3)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     read_csv(write_csv(result, Path(folder) / 'results.csv')) == list(result.rows)
    True
    """
    with Path(path).open(newline='') as file:
        reader = csv.reader(file)
        header = tuple(next(reader, ()))
        if header != CSV_COLUMNS:
            raise ValueError(f'{path}: expected the header {",".join(CSV_COLUMNS)}, found {",".join(header)}')
        return [Row(int(i), float(w2), float(w1), float(w0), float(out)) for i, w2, w1, w0, out in reader]


def training_figure(result: TrainingResult):
    """The notebook's figure as a matplotlib ``Figure``: w2, w1, w0 and out against
    iteration, the target as a black line. In Jupyter it shows inline.

    >>> training_figure(train(steps=10)).axes[0].get_xlabel()
    'Iteration number'
    """
    # The Figure class directly (not pyplot): no GUI backend, no global state.
    require('matplotlib', 'figures')
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 3.6), layout='constrained')
    axes = figure.add_subplot()
    iterations = [row.iteration for row in result.rows]
    for column in ('w2', 'w1', 'w0', 'out'):
        axes.plot(iterations, [getattr(row, column) for row in result.rows], label=column)
    # Under the other lines, so that out is seen reaching the target rather than hidden by it.
    axes.plot(iterations, [result.target] * len(iterations), 'k', label='target', zorder=1.5)
    axes.set_xlabel('Iteration number')
    method = ('damped Newton steps' if isinstance(result, NewtonResult)
              else f'{result.order} updates: alpha = {result.alpha:g}')
    axes.set_title(f'Two-node network, {method}, input s0 = {result.s0:g}', fontsize='medium')
    axes.legend(loc='center left', bbox_to_anchor=(1.0, 0.5))
    axes.grid(alpha=0.3)
    return figure


def save_figure(result: TrainingResult, path: str | Path) -> Path:
    """Save :func:`training_figure` as PNG, SVG or PDF, chosen by the suffix of ``path``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_figure(train(steps=5), Path(folder) / 'training.svg').stat().st_size > 0
    True
    """
    path = Path(path)
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(f'cannot tell the figure type from {path.name!r}: '
                         f'use one of {", ".join(FIGURE_SUFFIXES)}')
    with replacing(path, 'wb') as file:
        training_figure(result).savefig(file, format=path.suffix[1:].lower(), dpi=100)
    return path
