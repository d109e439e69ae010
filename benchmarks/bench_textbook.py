"""The textbook engine (microgradnode.textbook) beside the real one, on the same workloads.

docs/engine.md starts from the textbook engine and lists what the real engine does
differently; these figures say what all of it is worth together.
"""

from __future__ import annotations

from . import cases
from .registry import Figures, measurement

ENGINES = ('microgradnode', 'microgradnode.textbook')


@measurement('Demo workload, one training step: the textbook engine beside the real one',
             section='Textbook engine', engines=ENGINES, repeats=3)
def textbook_workload(engine: str) -> Figures:
    """The demo workload's forward, backward and step (cases.demo_workload), for these two engines."""
    return cases.demo_workload(engine)


@measurement('Memory of one demo-workload graph: the textbook engine beside the real one',
             section='Textbook engine', engines=ENGINES, repeats=1,
             units={'graph nodes': 'count', 'bytes per node (tracemalloc)': 'B',
                    'bytes per node (resident memory)': 'B'})
def textbook_memory(engine: str) -> Figures:
    return cases.graph_memory(engine)


@measurement('Chain of 10^5 relu operations, backward: the textbook engine beside the real one',
             section='Textbook engine', engines=ENGINES, repeats=3)
def textbook_chain(engine: str) -> Figures:
    return cases._chain(engine, 10 ** 5)
