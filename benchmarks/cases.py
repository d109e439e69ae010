"""The measurements: demo workload, graph memory, scaling, and the seed's two-node loop.

Each function runs in a fresh process for one engine and returns its figures (see
:mod:`benchmarks.registry`). Heavy imports (torch) happen inside, for that engine only.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tracemalloc
from time import perf_counter

from . import workload
from .registry import Figures, measurement

# Measured steps per process, after one warm-up step. A process's figure is their mean: the
# collector's full collections come every step or two, so single steps of a pure-Python
# engine alternate between two durations, and a median of a few steps picked either by chance.
WORKLOAD_STEPS = 8
CHAIN_OPERATION = 'relu'  # unary in every engine, so a chain of n operations has n + 1 nodes


class UnavailableError(Exception):
    """This engine cannot run this measurement (not installed, or lacks an operation)."""


def make_engine(name: str) -> workload.Engine:
    if name == 'microgradnode':
        from microgradnode import Value
        return workload.value_engine(name, Value)
    if name == 'microgradnode.textbook':
        from microgradnode import textbook
        return workload.value_engine(name, textbook.Value)
    if name == 'micrograd':
        try:
            from micrograd.engine import Value as MicrogradValue
        except ImportError:
            raise UnavailableError('micrograd is not installed (pip install micrograd)') from None
        return workload.value_engine(name, MicrogradValue)
    if name == 'pytorch':
        try:
            return workload.torch_engine()
        except ImportError:
            raise UnavailableError('torch is not installed') from None
    raise UnavailableError(f'no engine called {name!r}')


# -- the demo workload ---------------------------------------------------------------------

@measurement('Demo workload, one training step (2-16-16-1 MLP, 100 points, ~66k nodes)',
             section='Demo workload', repeats=5)
def demo_workload(engine: str) -> Figures:
    """Mean over the measured steps of forward, backward and the whole step (graph freed included)."""
    scalar_engine = make_engine(engine)
    points, labels = workload.moons()
    mlp = workload.init_mlp(scalar_engine)
    workload.train_step(scalar_engine, mlp, points, labels)  # warm-up: first-call costs
    phases: dict[str, list[float]] = {'forward': [], 'backward': [], 'step': []}
    ends: dict[str, float] = {}

    def mark(phase: str) -> None:
        ends[phase] = perf_counter()

    for _ in range(WORKLOAD_STEPS):
        start = perf_counter()
        workload.train_step(scalar_engine, mlp, points, labels, mark=mark)
        phases['forward'].append(ends['forward'] - start)
        phases['backward'].append(ends['backward'] - ends['zero_grad'])
        phases['step'].append(ends['update'] - start)
    return {phase: statistics.fmean(times) for phase, times in phases.items()}


# -- the garbage collector -----------------------------------------------------------------

GC_UNITS = {'collections per step': 'count', 'full collections per step': 'count',
            'share of forward spent collecting': '%', 'collections during backward': 'count',
            'tracked objects after a step': 'count'}


class CollectorWatch:
    """Counts and times the garbage collector's runs (through ``gc.callbacks``) inside ``with``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self.full = 0
        self._since = 0.0

    def _on_collection(self, phase: str, info: dict) -> None:
        if phase == 'start':
            self._since = perf_counter()
        else:
            self.seconds += perf_counter() - self._since
            self.count += 1
            self.full += info['generation'] == 2

    def __enter__(self) -> CollectorWatch:
        gc.callbacks.append(self._on_collection)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._on_collection)

    def now(self) -> tuple[float, float, int]:
        """(clock, seconds spent collecting so far, collections so far)."""
        return perf_counter(), self.seconds, self.count


@measurement("The garbage collector during the demo workload's training steps", section='Garbage collector',
             repeats=1, units=GC_UNITS)
def garbage_collector(engine: str) -> Figures:
    """How often the collector runs, for how long, and what it is left to walk."""
    scalar_engine = make_engine(engine)
    points, labels = workload.moons()
    mlp = workload.init_mlp(scalar_engine)
    workload.train_step(scalar_engine, mlp, points, labels)  # warm-up
    ends: dict[str, tuple[float, float, int]] = {}
    steps = WORKLOAD_STEPS
    with CollectorWatch() as watch:
        def mark(phase: str) -> None:
            ends[phase] = watch.now()

        shares, during_backward = [], 0
        for _ in range(steps):
            start = watch.now()
            workload.train_step(scalar_engine, mlp, points, labels, mark=mark)
            forward_time = ends['forward'][0] - start[0]
            shares.append((ends['forward'][1] - start[1]) / forward_time)
            during_backward += ends['backward'][2] - ends['zero_grad'][2]
    return {'collections per step': watch.count / steps,
            'full collections per step': watch.full / steps,
            'share of forward spent collecting': statistics.median(shares),
            'collections during backward': during_backward / steps,
            'tracked objects after a step': len(gc.get_objects())}


# -- memory --------------------------------------------------------------------------------

def count_graph_nodes(engine: str, root) -> int:
    """Nodes of the engine's own graph under ``root``, each counted once."""
    if engine == 'microgradnode':
        from microgradnode import topological_order
        return len(topological_order(root))
    if engine == 'microgradnode.textbook':
        from microgradnode import textbook
        return len(textbook.topological_order(root))
    if engine == 'micrograd':
        children = lambda value: value._prev  # noqa: E731
        start = root
    else:  # PyTorch: autograd Nodes, leaves included (AccumulateGrad); constants are not nodes
        children = lambda node: [next_node for next_node, _ in node.next_functions  # noqa: E731
                                 if next_node is not None]
        start = root.grad_fn
    seen = {id(start): start}
    stack = [start]
    while stack:
        for child in children(stack.pop()):
            if id(child) not in seen:
                seen[id(child)] = child
                stack.append(child)
    return len(seen)


def _resident_bytes() -> int:
    with open('/proc/self/statm') as statm:
        import os
        return int(statm.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


@measurement('Memory of one demo-workload graph', section='Memory', repeats=1,
             units={'graph nodes': 'count', 'bytes per node (tracemalloc)': 'B',
                    'bytes per node (resident memory)': 'B'})
def graph_memory(engine: str) -> Figures:
    """Bytes the graph of one forward pass keeps alive, per graph node.

    tracemalloc counts Python allocations exactly (deterministic), but cannot see
    PyTorch's C++ graph; resident memory sees everything, roughly.
    """
    scalar_engine = make_engine(engine)
    points, labels = workload.moons()
    mlp = workload.init_mlp(scalar_engine)
    workload.forward(scalar_engine, mlp, points[:2], labels[:2])  # warm-up: lazy imports, caches
    gc.collect()
    figures: Figures = {}
    if sys.platform.startswith('linux'):
        before = _resident_bytes()
        loss, _ = workload.forward(scalar_engine, mlp, points, labels)
        resident = _resident_bytes() - before
        del loss
        gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss, _ = workload.forward(scalar_engine, mlp, points, labels)
    traced = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    nodes = count_graph_nodes(engine, loss)
    figures['graph nodes'] = nodes
    figures['bytes per node (tracemalloc)'] = traced / nodes
    if sys.platform.startswith('linux'):
        figures['bytes per node (resident memory)'] = resident / nodes
    return figures


# -- scaling -------------------------------------------------------------------------------

def _backward_seconds(root) -> Figures:
    start = perf_counter()
    try:
        root.backward()
    except RecursionError:
        return {'backward': 'fails (RecursionError)'}
    return {'backward': perf_counter() - start}


def _chain(engine: str, operations: int) -> Figures:
    """Backward through ``operations`` unary operations in a row (depth = operations)."""
    scalar_engine = make_engine(engine)
    value = scalar_engine.scalar(0.5)
    for _ in range(operations):
        value = getattr(value, CHAIN_OPERATION)()
    return _backward_seconds(value)


def _register_chain(exponent: int, engines: tuple[str, ...], repeats: int) -> None:
    def chain(engine: str) -> Figures:
        return _chain(engine, 10 ** exponent)
    chain.__name__ = f'chain_1e{exponent}'
    measurement(f'Chain of 10^{exponent} {CHAIN_OPERATION} operations, backward', section='Scaling',
                engines=engines, repeats=repeats)(chain)


# PyTorch builds a scalar graph at a few microseconds per operation: its 10^6 chain
# alone would take most of the time budget, so it stops at 10^5.
_register_chain(4, ('microgradnode', 'micrograd', 'pytorch'), repeats=3)
_register_chain(5, ('microgradnode', 'micrograd', 'pytorch'), repeats=3)
_register_chain(6, ('microgradnode',), repeats=3)


@measurement('Wide graph: one value feeding 10^5 relu nodes, summed as a balanced tree, backward',
             section='Scaling', repeats=3)
def wide_1e5(engine: str) -> Figures:
    scalar_engine = make_engine(engine)
    hub = getattr(scalar_engine.scalar(0.5), CHAIN_OPERATION)()  # computed: it waits for 10^5 consumers
    level = [getattr(hub, CHAIN_OPERATION)() for _ in range(10 ** 5)]
    while len(level) > 1:  # a balanced sum keeps the depth at 17, within micrograd's recursion
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return _backward_seconds(level[0])


# -- the seed's two-node network -----------------------------------------------------------

@measurement("Seed notebook's two-node network, 1000 training steps", section='Two-node training',
             engines=('microgradnode', 'micrograd', 'pytorch', 'microgradnode.twonode'), repeats=3)
def two_node_training(engine: str) -> Figures:
    """The same loop for each engine; ``microgradnode.twonode`` is the project's own module."""
    if engine == 'microgradnode.twonode':
        try:
            from microgradnode.twonode import train
        except ImportError:
            raise UnavailableError('microgradnode.twonode is not there yet') from None
        start = perf_counter()
        train(steps=1000)
        return {'1000 steps': perf_counter() - start}
    scalar_engine = make_engine(engine)
    if not hasattr(scalar_engine.scalar(1.0), 'sigmoid'):
        raise UnavailableError(f'{engine} has no sigmoid')
    start = perf_counter()
    workload.seed_two_node_training(scalar_engine, 1000)
    return {'1000 steps': perf_counter() - start}


# -- the nn moons example ------------------------------------------------------------------

@measurement('examples/moons.py (nn.MLP 2-16-16-1, hinge loss, Adam), one training step',
             section='microgradnode.nn', engines=('microgradnode', 'microgradnode.nn'), repeats=3)
def nn_moons_step(engine: str) -> Figures:
    """The training step of examples/moons.py, beside the demo workload's plain code."""
    if engine == 'microgradnode':
        return {'step': demo_workload(engine)['step']}
    try:
        from microgradnode.nn import MLP
        from microgradnode.nn.datasets import moons
        from microgradnode.nn.losses import hinge
        from microgradnode.nn.optim import Adam
    except ImportError as missing:
        raise UnavailableError(f'{missing.name} is not there yet') from None
    points, labels = moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation='relu', seed=0)
    optimizer = Adam(model.parameters(), lr=0.05)

    def step() -> None:
        scores = [model(point) for point in points]
        loss = hinge(scores, labels, l2=1e-4, parameters=model.parameters())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step()  # warm-up
    times = []
    for _ in range(WORKLOAD_STEPS):
        start = perf_counter()
        step()
        times.append(perf_counter() - start)
    return {'step': statistics.fmean(times)}


# -- compiled steps ------------------------------------------------------------------------

@measurement('Demo workload compiled with microgradnode.compile, one training step', section='Compiled',
             engines=('microgradnode', 'microgradnode.compile'), repeats=3)
def compiled_step(engine: str) -> Figures:
    """The eager step beside a compiled one (zero grads, run the compiled graph, SGD update)."""
    if engine == 'microgradnode':
        return {'step': demo_workload(engine)['step']}
    try:
        from microgradnode import compile as compile_graph
    except ImportError:
        raise UnavailableError('microgradnode.compile is not there yet') from None
    scalar_engine = make_engine('microgradnode')
    points, labels = workload.moons()
    mlp = workload.init_mlp(scalar_engine)
    params = workload.parameters(mlp)
    loss, _ = workload.forward(scalar_engine, mlp, points, labels)
    start = perf_counter()
    compiled = compile_graph(loss)
    compile_seconds = perf_counter() - start
    times = []
    for _ in range(WORKLOAD_STEPS + 1):  # the first call warms up
        start = perf_counter()
        scalar_engine.zero_grads(params)
        compiled()
        scalar_engine.sgd_update(params, 0.05)
        times.append(perf_counter() - start)
    return {'step': statistics.fmean(times[1:]), 'compile': compile_seconds}
