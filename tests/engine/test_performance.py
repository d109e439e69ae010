"""Performance properties that do not depend on the machine's speed.

Speed itself is shown by the benchmarks (python -m benchmarks), never by timed tests.
Here: work counted in executed lines (linear in the graph), memory counted by
tracemalloc (deterministic), and the bookkeeping the fast backward relies on.
"""

from __future__ import annotations

import math
import sys
import tracemalloc

import pytest
from hypothesis import given, settings

from benchmarks import workload
from microgradnode import Value, backward_steps, topological_order
from microgradnode.engine import _backward

from .test_engine_random_graphs import KINKED, UNARY, programs, run


def chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5, 'x')
    y = x
    for _ in range(n):
        y = y.tanh()
    return x, y


def wide(n: int) -> tuple[Value, Value]:
    """One intermediate value feeding n others, summed pairwise (shallow)."""
    x = Value(0.5, 'x')
    hub = x * 2.0
    level = [hub * 0.5 for _ in range(n)]
    while len(level) > 1:
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return x, level[0]


def lines_run_by_backward(root: Value) -> int:
    """How many lines of the backward pass run for this graph (a machine-independent cost)."""
    count = 0

    def local_trace(frame, event, arg):
        nonlocal count
        if event == 'line':
            count += 1
        return local_trace

    def global_trace(frame, event, arg):
        return local_trace if frame.f_code is _backward.__code__ else None

    sys.settrace(global_trace)
    try:
        root.backward()
    finally:
        sys.settrace(None)
    return count


def waiting_counts(root: Value) -> set[int]:
    return {node._waiting for node in topological_order(root)}


def demo_graph(points: int) -> tuple[Value, list[Value]]:
    engine = workload.value_engine('microgradnode', Value)
    xs, labels = workload.moons(points)
    mlp = workload.init_mlp(engine)
    loss, _ = workload.forward(engine, mlp, xs, labels)
    return loss, workload.parameters(mlp)


# -- the work is linear in the graph ----------------------------------------------------------

@pytest.mark.parametrize('shape', [chain, wide])
def test_backward_runs_a_bounded_number_of_lines_per_node(shape):
    small_x, small = shape(2_000)
    large_x, large = shape(8_000)
    small_lines, large_lines = lines_run_by_backward(small), lines_run_by_backward(large)
    nodes = len(topological_order(large))
    assert large_lines / nodes <= 30            # a few lines per node and edge (22 for a chain today)
    assert large_lines / small_lines == pytest.approx(4.0, rel=0.02)   # 4x the nodes, 4x the work
    assert small_x.grad != 0.0 and large_x.grad != 0.0


def test_backward_memory_beyond_the_graph_is_a_few_bytes_per_node():
    x, root = chain(20_000)
    root.backward()                  # grads already hold floats: measure the pass itself
    tracemalloc.start()
    try:
        root.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The pass keeps one list of the values it finds (8 bytes each) and allocates the
    # new grad floats; a dict of counts would cost over 50 bytes per node more.
    assert peak / 20_000 <= 45
    assert x.grad > 0.0 and waiting_counts(root) == {0}


def test_bytes_per_graph_node_of_the_demo_workload():
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        loss, _ = demo_graph(20)
        graph_bytes = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    nodes = len(topological_order(loss))
    assert nodes > 10_000
    assert graph_bytes / nodes <= 300        # issue 5's budget; micrograd needs about 690


# -- the bookkeeping of the fast backward -----------------------------------------------------

def test_backward_leaves_every_consumer_count_at_zero():
    loss, params = demo_graph(5)
    loss.backward()
    assert waiting_counts(loss) == {0}
    first = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    loss.backward()                  # a second pass over the same graph starts from clean counts
    assert [p.grad for p in params] == first


def test_an_interrupted_backward_leaves_no_stale_count():
    class Interrupt:                 # stands in for a KeyboardInterrupt in the middle of the pass
        def __rmul__(self, other):
            raise KeyboardInterrupt

    x = Value(0.7, 'x')
    h = x.sin()
    out = h * h + h.exp()
    local = out._da
    out._da = Interrupt()            # the very first sum: every count below is still pending
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    assert waiting_counts(out) == {0}
    out._da = local
    x.grad = 0.0
    out.backward()
    fast = x.grad
    assert fast == pytest.approx((2 * h.data + math.exp(h.data)) * math.cos(0.7), rel=1e-12)
    x.grad = 0.0
    backward_steps(out)
    assert x.grad == fast


@settings(max_examples=100, deadline=None)
@given(programs(unary={**UNARY, **KINKED}))
def test_backward_gives_bit_for_bit_the_gradients_of_backward_steps(program):
    inputs, instructions = program
    leaves = [Value(x) for x in inputs]
    out = run(instructions, leaves, {**UNARY, **KINKED})
    out.backward()
    fast = [node.grad for node in topological_order(out)]
    for node in topological_order(out):   # constants are leaves too: they accumulate
        if node.is_leaf:
            node.grad = 0.0
    backward_steps(out)
    assert [node.grad for node in topological_order(out)] == fast
    assert waiting_counts(out) == {0}


def test_backward_from_a_leaf_or_a_shared_subgraph():
    x = Value(2.0, 'x')
    x.backward(3.0)
    assert x.grad == 3.0
    shared = x * x
    first, second = shared + 1.0, shared * 3.0     # two roots over one subgraph
    first.backward()
    assert shared.grad == 1.0 and x.grad == 3.0 + 4.0
    second.backward()                              # counts only the consumers under this root
    assert shared.grad == 3.0 and x.grad == 7.0 + 12.0


def test_a_value_keeps_ten_slots_and_its_allocator_size_class():
    # An eleventh slot takes a Value from 112 to 128 bytes on 64-bit CPython, a larger size
    # class of the allocator, and a training step about 6% longer (measured when nn's
    # module record was added): the constant k shares the _db slot instead.
    import sys

    from microgradnode import Value
    x = Value(2.0)
    assert len(Value.__slots__) == 10
    assert sys.getsizeof(x * x) <= 112 and sys.getsizeof(x ** 3) <= 112
    assert (x ** 3).constant == 3.0 and (x * x).constant is None and x.constant is None
