"""A small network learning a 2-D dataset, live: the walkthrough page's network mode.

The batch loss of a classifier is the mean of one loss per data point, so its gradient is
the mean of the per-point gradients. The page shows exactly that: it holds the graph of
**one point's** loss (the network applied to that point's ``x0``, ``x1``, then the hinge
loss against its label ``y``), drawn folded by neuron; a training step runs that graph's
forward and backward pass once per point, adds up the parameters' gradients and moves
them, as :func:`microgradnode.nn.training.train` does with plain SGD on the whole batch.
Around it: the data with the network's decision boundary, redrawn as it trains, and a
choice of which point's graph the picture shows.

>>> walk = network_walkthrough()
>>> walk.network.sizes, len(walk.network.points), walk.network.chosen
([2, 6, 6, 1], 60, 0)
>>> [node.label for node in walk.network.inputs]
['x0', 'x1', 'y']
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine import Value

if TYPE_CHECKING:
    from ..nn.modules import MLP
    from .walkthrough import Walkthrough

__all__ = ['network_walkthrough', 'Network', 'network_svg', 'DEFAULT_LAYERS', 'DEFAULT_SAMPLES',
           'DEFAULT_LEARNING_RATE', 'MAX_POINTS', 'MAX_PARAMETERS']

DEFAULT_LAYERS = (6, 6)
"""Hidden layers of the default network: 2 → 6 → 6 → 1, tanh (67 parameters). It separates
60 moons points after a few hundred steps of plain gradient descent at rate 1, and each layer
fits in the page's picture."""

DEFAULT_SAMPLES = 60
DEFAULT_LEARNING_RATE = 1.0

MAX_POINTS = 500
"""A training step runs one point's graph once per point: more points, slower steps."""

MAX_PARAMETERS = 400
"""The picture has a box per neuron and an arrow per weight: more is no longer readable."""

_BOX = {'LR': (133, 40), 'TB': (92, 58)}      # width, height of a neuron's box
"""LR: a name of up to 6 characters (L2.n15) and a number of up to NUMBER_CHARS on one row, at
picture.py's 7 px a character, 7 px in from each side; TB: the name and the numbers one per row."""
_GAP = {'LR': (120, 8), 'TB': (70, 6)}        # between layers, between boxes of a layer
_MARGIN = 10
POSITIVE, NEGATIVE = '#1971c2', '#e8590c'   # a weight's arrow (the page's style sheet says the same)


@dataclass
class Network:
    """The per-point graph of a classifier and where each neuron, weight and input is in it.

    ``inputs``: the leaves ``x0``, ``x1`` and ``y`` (one point's coordinates and label), which
    the page sets to each point in turn; ``layers``: each layer's neuron outputs (the
    first entry is ``[x0, x1]``); ``loss``: the point's hinge loss ``relu(1 - y·score)``;
    ``weights``: for each weight, ``(weight, source, neuron, product)``: the weight, the
    value it multiplies, the neuron's output and the product node ``weight·source``.
    """

    model: MLP
    points: list[list[float]]
    labels: list[int]
    chosen: int
    inputs: list[Value]
    layers: list[list[Value]]
    loss: Value
    weights: list[tuple[Value, Value, Value, Value]]
    biases: list[tuple[Value, Value]]

    @property
    def sizes(self) -> list[int]:
        return [len(layer) for layer in self.layers]

    @property
    def score(self) -> Value:
        return self.layers[-1][0]

    def describe(self) -> str:
        """The network and its data in a few words.

        >>> network_walkthrough().network.describe()
        'an MLP 2-6-6-1 (tanh, 67 parameters) on 60 points, hinge loss'
        """
        sizes = '-'.join(str(size) for size in self.sizes)
        activations = dict.fromkeys(layer.activation for layer in self.model.layers[:-1])
        activation = '/'.join(activations) or self.model.layers[-1].activation
        return (f'an MLP {sizes} ({activation}, {len(self.model.parameters())} parameters) on '
                f'{len(self.points)} points, hinge loss')

    def table(self) -> list[Value]:
        """The values the page's table lists: the point, each neuron, the loss, then the parameters."""
        return [*self.inputs, *(node for layer in self.layers[1:] for node in layer), self.loss,
                *self.model.parameters()]

    def svg(self, ids: dict[Value, int], direction: str) -> str:
        """The page's picture of the network: :func:`network_svg`."""
        return network_svg(self, ids, direction)

    def page_data(self, ids: dict[Value, int], learning_rate: float) -> dict:
        """What the page's script reads: :func:`page_data`."""
        return page_data(self, ids, learning_rate)

    def key_html(self) -> str:
        """The key to the picture, in the graph pictures' colours (diagram/style.py)."""
        from ..diagram.style import STYLES
        kinds = (('input', 'the point: x0, x1 and its label y'),
                 ('intermediate', "a neuron's output (its activation)"), ('output', "this point's loss"))
        items = [f'<li><span class="swatch" style="background:{STYLES[kind].fill};'
                 f'border-color:{STYLES[kind].border}"></span>{words}</li>' for kind, words in kinds]
        items += [f'<li><span class="arrow" style="color:{POSITIVE}">⟶</span><span class="arrow" '
                  f'style="color:{NEGATIVE}">⟶</span> a weight: blue positive, orange negative, thicker '
                  'the larger</li>',
                  '<li>grad: d loss / d that value, for this point</li>']
        return f'<ul class="key" aria-label="key to the diagram">{"".join(items)}</ul>'


def _check_data(points: object, labels: object) -> tuple[list[list[float]], list[int]]:
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence) or not points:
        raise ValueError(f'points must be a non-empty list of [x0, x1] pairs, not {points!r}'[:200])
    if len(points) > MAX_POINTS:
        raise ValueError(f'the network page trains on at most {MAX_POINTS} points (each step runs the '
                         f'graph once per point), not {len(points)}')
    checked = []
    for index, point in enumerate(points):
        if isinstance(point, (str, bytes)) or not isinstance(point, Sequence) or len(point) != 2 or not all(
                isinstance(c, numbers.Real) and not isinstance(c, bool) and math.isfinite(c) for c in point):
            raise ValueError(f'points[{index}] must be two finite numbers [x0, x1], not {point!r}'[:200])
        checked.append([float(point[0]), float(point[1])])
    for axis in (0, 1):  # the picture of the data spans them: the span must be a float too
        coordinates = [point[axis] for point in checked]
        if not math.isfinite(max(coordinates) - min(coordinates)):
            raise ValueError(f'the points are too far apart to draw: x{axis} goes from {min(coordinates):g} '
                             f'to {max(coordinates):g}; scale them down')
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence) or len(labels) != len(checked):
        count = len(labels) if isinstance(labels, Sequence) else 'no'
        raise ValueError(f'labels must be a list of one label per point: {len(checked)} points, '
                         f'{count} labels')
    signs = []
    for index, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, numbers.Real) or label not in (-1, 0, 1):
            raise ValueError(f'labels[{index}] must be +1 (one class) or -1 / 0 (the other), '
                             f'not {label!r}'[:200])
        signs.append(1 if label == 1 else -1)
    return checked, signs


def _check_model(model: object) -> MLP:
    from ..nn.modules import MLP
    if not isinstance(model, MLP):
        raise TypeError(f'the network page needs an MLP (microgradnode.nn.MLP), not {type(model).__name__}')
    if model.nin != 2 or model.nouts[-1] != 1:
        raise ValueError(f'the network page draws points in the plane: the MLP needs 2 inputs and 1 '
                         f'output (a score), not {model.nin} -> {model.nouts[-1]}')
    count = len(model.parameters())
    if count > MAX_PARAMETERS:
        raise ValueError(f'the MLP has {count} parameters; the network page draws an arrow per weight and '
                         f'reads at most {MAX_PARAMETERS}: use smaller layers')
    return model


def build(model: MLP, point: Sequence[float], label: int) -> tuple[list[Value], list[list[Value]], Value]:
    """One point's graph: the inputs ``x0``, ``x1``, ``y``, each layer's outputs, and the hinge loss.

    The arithmetic is :func:`microgradnode.nn.losses.hinge`'s for one point (``relu(1 - y·score)``),
    with the point's numbers as leaves rather than constants so that the page can change them.

    >>> from microgradnode.nn import MLP
    >>> inputs, layers, loss = build(MLP(2, [1], seed=0), [0.5, -1.0], 1)
    >>> [len(layer) for layer in layers], loss.label
    ([2, 1], 'loss')
    """
    x0, x1, y = Value(point[0], 'x0'), Value(point[1], 'x1'), Value(float(label), 'y')
    layers: list[list[Value]] = [[x0, x1]]
    for layer in model.layers:
        outputs = layer(layers[-1])
        for neuron, output in zip(layer.neurons, outputs):
            output.label = neuron.name
        layers.append(outputs)
    score = layers[-1][0]
    score.label = 'score'
    loss = (1.0 - y * score).relu()
    loss.label = 'loss'
    return [x0, x1, y], layers, loss


def _weights(model: MLP, layers: list[list[Value]]) -> tuple[list[tuple[Value, Value, Value, Value]],
                                                            list[tuple[Value, Value]]]:
    """Each weight with the value it multiplies, its neuron's output and the product node."""
    from ..engine import topological_order
    weights, biases = [], []
    for layer, sources, outputs in zip(model.layers, layers, layers[1:]):
        for neuron, output in zip(layer.neurons, outputs):
            products = {}
            for node in topological_order(output):
                if node.op == 'mul' and len(node.parents) == 2:
                    products[(node.parents[0], node.parents[1])] = node
            for weight, source in zip(neuron.weights, sources):
                weights.append((weight, source, output, products[(weight, source)]))
            if neuron.bias is not None:
                biases.append((neuron.bias, output))
    return weights, biases


def network_walkthrough(model: MLP | None = None, points: Sequence[Sequence[float]] | None = None,
                        labels: Sequence[int] | None = None, *, learning_rate: float = DEFAULT_LEARNING_RATE,
                        point: int = 0) -> Walkthrough:
    """The live page for a small classifier on 2-D points: train it and watch every neuron.

    Without arguments: an MLP 2 → 6 → 6 → 1 (tanh, seed 0) and 60 points of two moons
    (noise 0.1, seed 0). ``model`` is a :class:`microgradnode.nn.MLP` with 2 inputs and one
    output; ``labels`` are +1 or -1 (0 counts as -1); ``point`` is the point whose graph the
    page shows first. The page's Train mode is full-batch gradient descent on the mean
    hinge loss (no L2), the very steps of
    ``nn.training.train(model, points, labels, optimizer=SGD(lr=learning_rate), loss='hinge', l2=0)``.
    The model is not changed: the page trains its own copy of the weights.

    >>> walk = network_walkthrough(point=3)
    >>> walk.network.inputs[2].data == walk.network.labels[3]
    True
    >>> walk.save('network.html')  # doctest: +SKIP
    """
    from ..nn.datasets import moons
    from ..nn.modules import MLP
    from .walkthrough import Walkthrough
    if model is None:
        model = MLP(2, [*DEFAULT_LAYERS, 1], activation='tanh', seed=0)
    model = _check_model(model)
    if points is None and labels is None:
        points, labels = moons(DEFAULT_SAMPLES, noise=0.1, seed=0)
    elif points is None or labels is None:
        raise ValueError('give both points and labels, or neither (60 points of two moons)')
    checked, signs = _check_data(points, labels)
    if isinstance(point, bool) or not isinstance(point, numbers.Integral) or not 0 <= point < len(checked):
        raise ValueError(f'point must be the index of a point, 0 to {len(checked) - 1}, not {point!r}'[:200])
    inputs, layers, loss = build(model, checked[point], signs[point])
    weights, biases = _weights(model, layers)
    walk = Walkthrough(loss, parameters=model.parameters(), learning_rate=learning_rate,
                       max_nodes=10 * MAX_PARAMETERS + 50)
    walk.frames = []  # the page trains and explores the network; one point's graph is not stepped through
    walk.network = Network(model, checked, signs, int(point), inputs, layers, loss, weights, biases)
    return walk


def network_svg(network: Network, ids: dict[Value, int], direction: str) -> str:
    """The network folded by neuron, as the page's SVG: a box per input, neuron and loss; an arrow per weight.

    The boxes are ``g.value[data-i]`` like the graph's (the page writes their ``.data`` and
    ``.grad``); a weight's arrow is ``path.edge.weight[data-e][data-w]``, ``data-e`` the
    arrow of the graph it stands for (the neuron input it multiplies) and ``data-w`` the
    weight's node, whose value the page shows as the arrow's colour and width.
    """
    width, height = _BOX[direction]
    across, along = _GAP[direction]
    columns = [*network.layers, [network.inputs[2], network.loss]]   # the last: y and the loss
    tallest = max(len(column) for column in columns)
    span = tallest * (height if direction == 'LR' else width) + (tallest - 1) * along
    centres: dict[Value, tuple[float, float]] = {}
    for number, column in enumerate(columns):
        extent = len(column) * (height if direction == 'LR' else width) + (len(column) - 1) * along
        start = _MARGIN + (span - extent) / 2
        for k, node in enumerate(column):
            if direction == 'LR':
                centres[node] = (_MARGIN + width / 2 + number * (width + across),
                                 start + height / 2 + k * (height + along))
            else:
                centres[node] = (start + width / 2 + k * (width + along),
                                 _MARGIN + height / 2 + number * (height + across))
    total_w = 2 * _MARGIN + (len(columns) * (width + across) - across if direction == 'LR' else span)
    total_h = 2 * _MARGIN + (span if direction == 'LR' else len(columns) * (height + across) - across)

    def port(node: Value, leaving: bool) -> tuple[float, float]:
        x, y = centres[node]
        if direction == 'LR':
            return (x + width / 2, y) if leaving else (x - width / 2, y)
        return (x, y + height / 2) if leaving else (x, y - height / 2)

    parts = [f'<svg class="graph network" data-layout="{direction}" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" width="{total_w:.0f}" height="{total_h:.0f}" '
             f'role="img" aria-label="the network, folded by neuron">',
             f'<defs><marker id="head-{direction}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
             'markerHeight="7" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z"/></marker></defs><g class="edges">']
    for weight, source, neuron, product in network.weights:
        (x0, y0), (x1, y1) = port(source, True), port(neuron, False)
        slot = product.parents.index(source)
        e = 2 * ids[product] + slot
        bend = (x1 - x0) / 2 if direction == 'LR' else (y1 - y0) / 2
        curve = (f'M{x0:.1f},{y0:.1f} C{x0 + bend:.1f},{y0:.1f} {x1 - bend:.1f},{y1:.1f} {x1:.1f},{y1:.1f}'
                 if direction == 'LR' else
                 f'M{x0:.1f},{y0:.1f} C{x0:.1f},{y0 + bend:.1f} {x1:.1f},{y1 - bend:.1f} {x1:.1f},{y1:.1f}')
        name = html.escape(weight.label, quote=True)
        parts.append(f'<path class="edge weight" data-e="{e}" data-w="{ids[weight]}" d="{curve}">'
                     f'<title>{name}</title></path>')
    y, loss = network.inputs[2], network.loss
    # score -> loss across the gap; y sits next to the loss in the last column: a short arrow along it
    (score_x, score_y), (loss_x, loss_y) = port(network.score, True), port(loss, False)
    (y_x, y_y), (l_x, l_y) = centres[y], centres[loss]
    if direction == 'LR':
        y_line = (y_x, y_y + height / 2, l_x, l_y - height / 2)
    else:
        y_line = (y_x + width / 2, y_y, l_x - width / 2, l_y)
    for x0, y0, x1, y1 in ((score_x, score_y, loss_x, loss_y), y_line):
        parts.append(f'<path class="out" d="M{x0:.1f},{y0:.1f} L{x1:.1f},{y1:.1f}" '
                     f'marker-end="url(#head-{direction})"/>')
    parts.append('</g><g class="values">')
    for number, column in enumerate(columns):
        for node in column:
            x, y_ = centres[node]
            kind = ('input' if number == 0 or node is y else 'output' if node is network.loss else 'computed')
            label = html.escape(node.label, quote=True)
            left, top = x - width / 2, y_ - height / 2
            parts.append(f'<g class="value {kind}" data-i="{ids[node]}" tabindex="0" role="button" '
                         f'aria-label="{label}"><title>{label}</title>'
                         f'<rect x="{left:.1f}" y="{top:.1f}" width="{width}" height="{height}" rx="6"/>')
            if direction == 'LR':  # name and value on one row, the gradient below
                parts.append(f'<text class="name" x="{left + 7:.1f}" y="{top + 16:.1f}">{label}</text>'
                             f'<text class="data num" x="{left + width - 7:.1f}" y="{top + 16:.1f}" '
                             'text-anchor="end"></text>'
                             f'<text class="cap grad-cap" x="{left + 7:.1f}" y="{top + 33:.1f}">grad</text>'
                             f'<text class="grad num" x="{left + width - 7:.1f}" y="{top + 33:.1f}" '
                             'text-anchor="end"></text>')
            else:
                parts.append(f'<text class="name" x="{x:.1f}" y="{top + 16:.1f}" text-anchor="middle">{label}'
                             f'</text><text class="data num" x="{x:.1f}" y="{top + 33:.1f}" '
                             f'text-anchor="middle"></text><text class="grad num" x="{x:.1f}" '
                             f'y="{top + 50:.1f}" text-anchor="middle"></text>')
            parts.append('</g>')
    parts.append('</g></svg>')
    return ''.join(parts)


def page_data(network: Network, ids: dict[Value, int], learning_rate: float) -> dict:
    """What the page's network mode reads: the points, where the inputs, weights and neurons are.

    ``via`` names, for each arrow into a product ``weight·source``, the neuron it feeds and the
    weight, so that a neuron's gradient reads as a sum over the neurons that use it.
    """
    xs = [p[0] for p in network.points]
    ys = [p[1] for p in network.points]
    pad_x = 0.15 * (max(xs) - min(xs) or 1.0)
    pad_y = 0.15 * (max(ys) - min(ys) or 1.0)
    x0, x1, y = network.inputs
    incoming: dict[int, list[int]] = {}  # each neuron's weights, then its bias
    for weight, _, neuron, _ in network.weights:
        incoming.setdefault(ids[neuron], []).append(ids[weight])
    for bias, neuron in network.biases:
        incoming[ids[neuron]].append(ids[bias])
    hint = (f'Each step runs this graph once per point ({len(network.points)} points), adds up '
            'the gradients and moves every weight and bias against their mean: p ← p − learning rate × '
            'mean of d loss / d p. Each point\'s loss is relu(1 − y·score): 0 once the point is on its '
            'side by a margin of 1. The picture shows one point\'s graph; pick another on the plot of '
            'the data.')
    return {
        'inputs': [ids[x0], ids[x1]],
        'network': {
            'points': [[px, py, label] for (px, py), label in zip(network.points, network.labels)],
            'x': [ids[x0], ids[x1]], 'y': ids[y], 'score': ids[network.score], 'loss': ids[network.loss],
            'chosen': network.chosen,
            'parameters': [ids[p] for p in network.model.parameters()],
            'via': {2 * ids[product] + product.parents.index(source): [neuron.label, weight.label]
                    for weight, source, neuron, product in network.weights},
            'incoming': incoming,
            'extent': [min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y],
            'rate': learning_rate, 'hint': hint,
            'describe': network.describe(),
        },
    }
