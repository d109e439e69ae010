"""Time one training step of microgradnode.nn against the hand-written workload.

Both do the same thing: 100 two-moons points through a 2-16-16-1 ReLU MLP, mean
max-margin loss + 1e-4 L2, backward, one SGD step. The nn version goes through
Module/Neuron/losses/optim; the workload calls the engine directly. Runs alternate,
so that a busy machine slows both alike; medians are reported.

Run: python -m benchmarks.nn_step [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks import workload
from microgradnode import Value, topological_order
from microgradnode.nn import MLP
from microgradnode.nn.datasets import moons
from microgradnode.nn.optim import SGD
from microgradnode.nn.training import batch_loss


def main(repeats: int = 15) -> None:
    points, labels = moons(100, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=0.05)
    engine = workload.value_engine('microgradnode', Value)
    mlp = workload.init_mlp(engine, seed=0)

    def nn_step() -> None:
        loss, _ = batch_loss(model, points, labels, loss='hinge', l2=1e-4)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def workload_step() -> None:
        workload.train_step(engine, mlp, points, labels, 0.05)

    loss, _ = batch_loss(model, points, labels, loss='hinge', l2=1e-4)
    print(f'graph of one step: {len(topological_order(loss)):,} nodes')
    times: dict[str, list[float]] = {'nn (Module, losses, optim)': [], 'workload (engine directly)': []}
    for _ in range(repeats):
        for name, step in zip(times, (nn_step, workload_step)):
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f'{name:28s} median {median * 1000:7.1f} ms per step over {repeats} steps')
    nn_median, workload_median = medians.values()
    print(f'nn / workload: {nn_median / workload_median:.2f}x')


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
