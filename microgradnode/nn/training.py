"""Training a classifier end to end: the loop, its history, and the two pictures.

Used by ``microgradnode fit`` and readable on its own; ``examples/moons.py`` writes the
same loop out in full. The plots import matplotlib only when called.

>>> from microgradnode.nn import MLP
>>> from microgradnode.nn.optim import Adam
>>> from microgradnode.nn.datasets import xor
>>> points, labels = xor()
>>> model = MLP(2, [8, 1], activation='tanh', seed=0)
>>> history = train(model, points, labels, loss='bce', steps=200,
...                 optimizer=Adam(model.parameters(), lr=0.05))
>>> history.accuracies[-1]
1.0
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .._support.extras import require
from .._support.files import replacing
from .._support.flags import check_flag
from .._support.progress import Progress
from ..engine import Value, no_grad
from .losses import LOSSES
from .modules import Module
from .optim import Optimizer

__all__ = ['History', 'accuracy', 'batch_loss', 'graph_nodes', 'BYTES_PER_NODE', 'train', 'evaluate',
           'scores', 'plot_decision_boundary', 'plot_history']

Points = Sequence[Sequence[float]]


@dataclass
class History:
    """What happened at each training step (before that step's update)."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # forward + backward + update

    @property
    def median_step_seconds(self) -> float:
        """Median wall time of one step: robust to a slow first step or a busy machine."""
        return statistics.median(self.seconds) if self.seconds else float('nan')


def accuracy(scores: Sequence[Value | float], labels: Sequence[int]) -> float:
    """Fraction of samples whose score has the sign of their label (+1 vs -1 / 0).

    >>> accuracy([2.0, -1.0, 0.5], [1, -1, -1])
    0.6666666666666666
    """
    hits = sum((float(s) > 0) == (y == 1) for s, y in zip(scores, labels))
    return hits / len(labels)


def batch_loss(model: Module, points: Points, labels: Sequence[int], *, loss: str = 'hinge',
               l2: float = 1e-4) -> tuple[Value, list[Value]]:
    """The loss of the whole batch (plus the L2 term) and the model's score per point.

    ``mse`` regresses the scores onto the labels as -1 / +1.

    >>> from microgradnode.nn import MLP
    >>> value, scores = batch_loss(MLP(2, [1], seed=0), [[1.0, 2.0]], [1], loss='mse')
    >>> len(scores), value.data > 0
    (1, True)
    """
    if loss not in LOSSES:
        raise ValueError(f'unknown loss {loss!r}; choose one of: {", ".join(LOSSES)}')
    out = [model(point) for point in points]
    targets = [1 if y == 1 else -1 for y in labels] if loss == 'mse' else labels
    return LOSSES[loss](out, targets, l2=l2, parameters=model.parameters()), out


BYTES_PER_NODE = 180
"""Memory one Value of a training graph takes, with its gradient computed: the peak resident
memory of the process grew by 150 to 177 bytes per node for MLPs from 2-16-16-1 on 100
points to 2-1000-1000-1 on one point (Python 3.11, December 2026); rounded up.
tests/nn/test_fit.py measures it again (with tracemalloc) and holds this figure to it."""


def graph_nodes(sizes: Sequence[int], samples: int, *, l2: float = 1e-4) -> int:
    """How many Values :func:`batch_loss` records for an MLP of layer ``sizes`` (inputs first).

    Counted from how the graph is built, not by building it: per point, each neuron's
    products and sums (and activation), a constant per input of the first layer, and the
    loss's few operations; once, the parameters and, with ``l2``, their squares and sum.
    Exact for the hinge loss, one or two Values per point more than the others need.

    >>> graph_nodes([2, 16, 16, 1], 100)
    68814
    """
    per_point = sum(nout * (2 * nin + 1) for nin, nout in zip(sizes, sizes[1:])) + sizes[0] * sizes[1] + 5
    parameters = sum(nout * (nin + 1) for nin, nout in zip(sizes, sizes[1:]))
    return samples * per_point + parameters + 1 + (2 * parameters + 2 if l2 else 0)


def train(model: Module, points: Points, labels: Sequence[int], *, optimizer: Optimizer,
          steps: int, loss: str = 'hinge', l2: float = 1e-4, progress: bool = False,
          compiled: bool = False, accuracy_every: int = 10) -> History:
    """Full-batch training: ``steps`` times forward, backward, optimizer step.

    ``progress=True`` reports progress on stderr with the loss and training accuracy (a bar
    on a terminal, a few plain lines to a file or pipe).
    A loss that becomes inf or nan stops training with a ``FloatingPointError`` naming
    the step; the engine's own overflow errors (an ``ArithmeticError``) pass through.

    ``compiled=True`` records the loss graph once and replays it as generated code
    (:func:`microgradnode.compiler.compile`): the same numbers, many times faster. The
    compiled code returns only the loss, so the accuracy then costs a separate forward
    pass and is measured every ``accuracy_every`` steps and at the last step (the other
    entries of ``history.accuracies`` are nan, and that pass is not in ``history.seconds``).

    >>> from microgradnode.nn import MLP
    >>> from microgradnode.nn.optim import SGD
    >>> model = MLP(2, [1], seed=0)
    >>> history = train(model, [[1.0, 0.0], [0.0, 1.0]], [1, -1], steps=3,
    ...                 optimizer=SGD(model.parameters(), lr=0.1))
    >>> len(history.losses), history.losses[-1] < history.losses[0]
    (3, True)
    """
    check_flag(progress, 'progress')
    check_flag(compiled, 'compiled')
    history = History()
    bar = None
    if progress:
        bar = Progress(steps, 'training')
    replay = None
    if compiled:
        from ..compiler import compile as compile_graph
        replay = compile_graph(batch_loss(model, points, labels, loss=loss, l2=l2)[0])
    measured = ''  # the progress note: the last state whose loss and accuracy were both measured
    try:
        for step in range(steps):
            start = time.perf_counter()
            if replay is None:
                value, out = batch_loss(model, points, labels, loss=loss, l2=l2)
                optimizer.zero_grad()
                value.backward()
                loss_value = value.data
                step_accuracy = accuracy(out, labels)
            else:
                optimizer.zero_grad()
                loss_value = replay()
                measure = step % accuracy_every == 0 or step == steps - 1
                # Measured before the update, as the eager path does; not timed.
                pause = time.perf_counter()
                step_accuracy = accuracy(scores(model, points), labels) if measure else math.nan
                start += time.perf_counter() - pause
            optimizer.step()
            history.seconds.append(time.perf_counter() - start)
            if not math.isfinite(loss_value):
                raise FloatingPointError(f'training diverged at step {len(history.losses)}: the loss is '
                                         f'{loss_value}; a smaller learning rate may help')
            history.losses.append(loss_value)
            history.accuracies.append(step_accuracy)
            if not math.isnan(step_accuracy):
                # Both numbers of the note describe one model state, and the note says which:
                # compiled steps measure the accuracy only every accuracy_every steps, and a
                # fresh loss beside an old accuracy read as one state that never existed.
                measured = (f'after {step} update{"" if step == 1 else "s"}: loss {loss_value:.4f}, '
                            f'accuracy {step_accuracy:.0%}')
            if bar is not None:
                bar.update(measured)
    finally:
        if bar is not None:
            bar.close()
    return history


@no_grad()
def evaluate(model: Module, points: Points, labels: Sequence[int], *, loss: str = 'hinge',
             l2: float = 1e-4) -> tuple[float, float]:
    """The loss and the accuracy of the model as it is now, without recording a graph.

    After training, the history's last entries describe the model before the last update;
    this describes the trained one.

    >>> from microgradnode.nn import MLP
    >>> evaluate(MLP(1, [1], activation='linear', seed=0), [[0.0]], [1], l2=0.0)
    (1.0, 0.0)
    """
    value, out = batch_loss(model, points, labels, loss=loss, l2=l2)
    return value.data, accuracy(out, labels)


@no_grad()
def scores(model: Module, points: Points) -> list[float]:
    """The model's score for each point, without recording a graph.

    >>> from microgradnode.nn import MLP
    >>> scores(MLP(1, [1], activation='linear'), [[0.0]])
    [0.0]
    """
    return [model(point).data for point in points]


def plot_decision_boundary(model: Module, points: Points, labels: Sequence[int], path: str, *,
                           title: str = '', resolution: int = 60) -> None:
    """Save a PNG: the plane coloured by the predicted class, the boundary, and the data.

    >>> import os, tempfile
    >>> from microgradnode.nn import MLP
    >>> path = os.path.join(tempfile.mkdtemp(), 'boundary.png')
    >>> plot_decision_boundary(MLP(2, [1], seed=0), [[0.0, 0.0], [1.0, 1.0]], [-1, 1], path,
    ...                        resolution=20)
    >>> open(path, 'rb').read(4)
    b'\x89PNG'
    """
    require('matplotlib', 'figures')
    from matplotlib.figure import Figure  # no pyplot: no global backend, no open windows

    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    pad_x = 0.15 * (max(xs) - min(xs)) + 0.1
    pad_y = 0.15 * (max(ys) - min(ys)) + 0.1
    x0, x1 = min(xs) - pad_x, max(xs) + pad_x
    y0, y1 = min(ys) - pad_y, max(ys) + pad_y
    grid_x = [x0 + (x1 - x0) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y0 + (y1 - y0) * j / (resolution - 1) for j in range(resolution)]
    flat = scores(model, [[x, y] for y in grid_y for x in grid_x])
    grid = [flat[j * resolution:(j + 1) * resolution] for j in range(resolution)]

    fig = Figure(figsize=(7.6, 4.8), dpi=110)
    ax = fig.subplots()
    # The classes are the two signs of the score: colour each side, draw the zero line.
    ax.contourf(grid_x, grid_y, grid, levels=[-1e300, 0.0, 1e300], colors=['#f6c8c0', '#c4daf2'])
    ax.contour(grid_x, grid_y, grid, levels=[0.0], colors=['#333333'], linewidths=1.5)
    for label, colour, marker, name in ((-1, '#c0392b', 'o', 'class -1'), (1, '#1f5fa8', 's', 'class +1')):
        chosen = [p for p, y in zip(points, labels) if (y == 1) == (label == 1)]
        ax.scatter([p[0] for p in chosen], [p[1] for p in chosen], c=colour, marker=marker, s=28,
                   edgecolors='white', linewidths=0.6, label=name, zorder=3)
    acc = accuracy(scores(model, points), labels)
    ax.set_title(title or f'Decision boundary (training accuracy {acc:.0%})')
    ax.set_xlabel('x')
    ax.set_ylabel('y')
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    from matplotlib.patches import Patch
    regions = [Patch(color='#f6c8c0', label='predicted -1'), Patch(color='#c4daf2', label='predicted +1')]
    # Outside the axes, so that it never hides a data point.
    ax.legend(handles=[*ax.get_legend_handles_labels()[0], *regions], loc='upper left',
              bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize='small')
    ax.set_aspect('equal')
    fig.tight_layout()
    with replacing(path, 'wb') as file:
        fig.savefig(file, format='png', bbox_inches='tight')


def plot_history(history: History, path: str, *, title: str = 'Training') -> None:
    """Save a PNG: the loss per step (left axis) and the training accuracy (right axis).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'loss.png')
    >>> plot_history(History(losses=[1.0, 0.5], accuracies=[0.5, 1.0]), path)
    >>> os.path.getsize(path) > 0
    True
    """
    require('matplotlib', 'figures')
    from matplotlib.figure import Figure  # no pyplot: no global backend, no open windows

    steps = range(1, len(history.losses) + 1)
    fig = Figure(figsize=(6.4, 4.0), dpi=110)
    ax = fig.subplots()
    ax.plot(steps, history.losses, color='#c0392b', linewidth=1.8, label='loss')
    ax.set_xlabel('step')
    ax.set_ylabel('loss', color='#c0392b')
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    right = ax.twinx()
    # nan marks a step whose accuracy was not measured (compiled training): skip them.
    measured = [(step, 100 * a) for step, a in zip(steps, history.accuracies) if not math.isnan(a)]
    right.plot([step for step, _ in measured], [a for _, a in measured], color='#1f5fa8',
               linewidth=1.5, label='training accuracy',
               marker='o' if len(measured) < len(history.losses) else None, markersize=3)
    right.set_ylabel('training accuracy (%)', color='#1f5fa8')
    right.set_ylim(0, 102)
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [str(line.get_label()) for line in lines], loc='center right')
    ax.set_title(title)
    fig.tight_layout()
    with replacing(path, 'wb') as file:
        fig.savefig(file, format='png')
