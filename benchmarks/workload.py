"""micrograd's demo workload, written once, driven by any scalar engine.

A 2-16-16-1 ReLU MLP scores 100 two-dimensional points (two moons); the loss is the
mean max-margin loss plus 1e-4 times the sum of squared parameters; one SGD step.
About 68,000 graph nodes per step. Only the engine's scalar type changes between
runs, so that the engines are compared on the very same arithmetic.

An engine is described by an :class:`Engine`: how to make a leaf scalar, and how
to read and update parameters (PyTorch scalar tensors differ from Values there).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Engine:
    name: str
    scalar: Callable[[float], Any]          # a leaf that takes part in the graph
    zero_grads: Callable[[list], None]
    sgd_update: Callable[[list, float], None]
    value_of: Callable[[Any], float]


def moons(n: int = 100, *, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, labels -1 and +1 (no scikit-learn needed)."""
    rng = random.Random(seed)
    points, labels = [], []
    for i in range(n):
        upper = i % 2 == 0
        angle = rng.uniform(0.0, math.pi)
        x, y = (math.cos(angle), math.sin(angle)) if upper else (1 - math.cos(angle), 0.5 - math.sin(angle))
        points.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        labels.append(-1 if upper else 1)
    return points, labels


def init_mlp(engine: Engine, sizes: tuple[int, ...] = (2, 16, 16, 1), *, seed: int = 0) -> list:
    """Layers of neurons, each neuron a (weights, bias) pair of engine scalars."""
    rng = random.Random(seed)
    return [[([engine.scalar(rng.uniform(-1, 1)) for _ in range(nin)], engine.scalar(0.0))
             for _ in range(nout)]
            for nin, nout in zip(sizes, sizes[1:])]


def parameters(mlp: list) -> list:
    return [p for layer in mlp for weights, bias in layer for p in (*weights, bias)]


def score(mlp: list, x: list) -> Any:
    for depth, layer in enumerate(mlp):
        last = depth == len(mlp) - 1
        outputs = []
        for weights, bias in layer:
            act = sum((w * xi for w, xi in zip(weights, x)), bias)
            outputs.append(act if last else act.relu())
        x = outputs
    return x[0]


def forward(engine: Engine, mlp: list, points: list, labels: list) -> tuple[Any, float]:
    """The loss of the whole batch, and the accuracy (fraction of correct signs)."""
    inputs = [[engine.scalar(v) for v in point] for point in points]
    scores = [score(mlp, x) for x in inputs]
    losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in parameters(mlp))
    accuracy = sum((engine.value_of(s) > 0) == (y > 0) for y, s in zip(labels, scores)) / len(labels)
    return data_loss + reg_loss, accuracy


def train_step(engine: Engine, mlp: list, points: list, labels: list, learning_rate: float = 0.05,
               *, mark: Callable[[str], None] | None = None) -> float:
    """Forward, backward and one SGD step; returns the loss before the step.

    ``mark(phase)``, when given, is called as each phase ends ('forward', 'zero_grad',
    'backward', 'update'), so that a benchmark can time the phases of this very code.
    The graph is freed before 'update' ends, as in a user's loop.
    """
    mark = mark or _no_mark
    loss, _ = forward(engine, mlp, points, labels)
    mark('forward')
    params = parameters(mlp)
    engine.zero_grads(params)
    mark('zero_grad')
    loss.backward()
    mark('backward')
    engine.sgd_update(params, learning_rate)
    value = engine.value_of(loss)
    del loss  # frees the graph: part of the cost of a step
    mark('update')
    return value


def _no_mark(phase: str) -> None:
    pass


def seed_two_node_training(engine: Engine, steps: int = 1000, *, alpha: float = 0.1) -> float:
    """The seed notebook's loop: s0=2 -> w0 -> sigmoid -> w1 -> sigmoid -> w2, target 0.7.

    Gradient descent on 0.5 * (out - target)**2, all three weights updated together;
    returns the final output. A tiny graph (12 nodes) rebuilt every step: this
    measures the cost per operation rather than per node of a big graph.
    """
    w0, w1, w2 = (engine.scalar(w) for w in (2.0, 1.0, 0.5))
    weights = [w0, w1, w2]
    out_value = math.nan
    for _ in range(steps):
        s0 = engine.scalar(2.0)
        out = w2 * (w1 * (w0 * s0).sigmoid()).sigmoid()
        loss = 0.5 * (out - 0.7) ** 2
        engine.zero_grads(weights)
        loss.backward()
        engine.sgd_update(weights, alpha)
        out_value = engine.value_of(out)
    return out_value


def value_engine(name: str, value_class: type) -> Engine:
    """An Engine for micrograd-style Values (micrograd's and microgradnode's)."""
    def zero_grads(params: list) -> None:
        for p in params:
            p.grad = 0.0

    def sgd_update(params: list, learning_rate: float) -> None:
        for p in params:
            p.data -= learning_rate * p.grad

    return Engine(name, value_class, zero_grads, sgd_update, lambda v: v.data)


def torch_engine() -> Engine:
    """PyTorch float64 scalar tensors, each parameter a leaf that requires grad."""
    import torch

    def scalar(x: float):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    def zero_grads(params: list) -> None:
        for p in params:
            p.grad = None

    def sgd_update(params: list, learning_rate: float) -> None:
        with torch.no_grad():
            for p in params:
                p -= learning_rate * p.grad

    return Engine('pytorch', scalar, zero_grads, sgd_update, lambda v: v.item())
