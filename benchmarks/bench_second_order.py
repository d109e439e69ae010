"""Second-order cost: a Hessian-vector product of the moons MLP's loss, against PyTorch.

The demo workload's 2-16-16-1 ReLU MLP and loss (mean max-margin + 1e-4 L2, 337
parameters), on 20 of its points (about 14,000 nodes). A Hessian-vector product is
the gradient built as a graph (``create_graph=True``), its dot product with a fixed
vector, and one more reverse pass; PyTorch does the same with float64 scalar tensors
(double backward). ``backward`` is the first-order pass on the same graph, for scale.
"""

from __future__ import annotations

import random
from time import perf_counter

from . import workload
from .cases import make_engine
from .registry import Figures, measurement

POINTS = 20


def _loss(engine_name: str):
    engine = make_engine(engine_name)
    points, labels = workload.moons()
    mlp = workload.init_mlp(engine)
    parameters = workload.parameters(mlp)
    rng = random.Random(0)
    vector = [rng.uniform(-1, 1) for _ in parameters]
    return engine, mlp, points[:POINTS], labels[:POINTS], parameters, vector


@measurement(f'Hessian-vector product of the moons MLP loss ({POINTS} points, 337 parameters)',
             engines=('microgradnode', 'pytorch'), section='Second order', repeats=3)
def moons_hvp(engine_name: str) -> Figures:
    """Seconds for backward(), for the gradient graph alone, and for the whole product."""
    engine, mlp, points, labels, parameters, vector = _loss(engine_name)
    workload.forward(engine, mlp, points[:2], labels[:2])  # warm-up: lazy imports, caches
    loss, _ = workload.forward(engine, mlp, points, labels)
    start = perf_counter()
    loss.backward()
    backward = perf_counter() - start

    loss, _ = workload.forward(engine, mlp, points, labels)
    if engine_name == 'pytorch':
        import torch
        start = perf_counter()
        gradient = torch.autograd.grad(loss, parameters, create_graph=True)
        graph = perf_counter() - start
        dot = sum(g * v for g, v in zip(gradient, vector))
        torch.autograd.grad(dot, parameters, allow_unused=True)
    else:
        from microgradnode import grad
        start = perf_counter()
        gradient = grad(loss, parameters, create_graph=True)
        graph = perf_counter() - start
        dot = sum((g * v for g, v in zip(gradient, vector)), 0.0)
        grad(dot, parameters)
    total = perf_counter() - start
    return {'backward': backward, 'gradient as a graph': graph, 'Hessian-vector product': total}
