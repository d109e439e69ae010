"""The textbook engine computes what the real engine computes, and what the table says.

Random programs run on ``microgradnode.textbook.Value`` and on ``microgradnode.Value``:
the two graphs are walked side by side (same operations, same parents in the same
order), every node's data must be the same float, bit for bit, and so must every
gradient, except where a value is used more than once: the two engines then add its
shares in different orders, and rounding may differ in the last bits (1e-15).
Each derivative the textbook writes is compared with its row of the operation table.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnode import Value, textbook
from microgradnode.ops.syntax import function
from microgradnode.ops.table import FUNCTIONS, OPS

from ..conftest import require_module
from . import test_engine_random_graphs as random_graphs
from . import test_micrograd_compat as micrograd_compat

# Each instruction works on either engine. Inputs are kept where every operation is
# defined (log of a positive number, division by a number away from 0).
UNARY = {
    'neg': lambda x: -x,
    'exp': lambda x: (x * 0.5).exp(),
    'log': lambda x: (x * x + 0.25).log(),
    'tanh': lambda x: x.tanh(),
    'sigmoid': lambda x: x.sigmoid(),
    'relu': lambda x: x.relu(),
    'square': lambda x: x ** 2,
    'cube': lambda x: x ** 3,
    'half': lambda x: (x * x + 1.0) ** 0.5,
    'radd': lambda x: 1.5 + x,
    'rsub': lambda x: 2.0 - x,
    'rmul': lambda x: -0.5 * x,
    'rdiv': lambda x: 1.0 / (x * x + 1.0),
}
# micrograd's binary operations (as test_micrograd_compat draws them), and numbers on both sides.
BINARY = {**micrograd_compat.BINARY, 'sub_number': lambda x, y: x - 0.25 + y * 3}


def programs():
    """Random programs over the operations both engines have (test_engine_random_graphs's generator)."""
    return random_graphs.programs(unary=UNARY, binary=BINARY)


def run(instructions, leaves):
    return random_graphs.run(instructions, leaves, UNARY, BINARY)


def bits(x: float) -> bytes:
    return struct.pack('<d', x)


def side_by_side(mine: textbook.Value, real: Value) -> list[tuple[textbook.Value, Value]]:
    """Pairs (textbook node, real node) of the two graphs, walked together from the roots."""
    pairs, seen, stack = [], set(), [(mine, real)]
    while stack:
        node, twin = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        pairs.append((node, twin))
        assert node._op == twin.op
        parents = [parent for parent, _ in node._edges]
        assert len(parents) == len(twin.parents)
        stack.extend(zip(parents, twin.parents))
    return pairs


def shared(pairs) -> bool:
    """Whether some value is used by more than one edge (its grad is then a sum)."""
    uses: dict[int, int] = {}
    for node, _ in pairs:
        for parent, _ in node._edges:
            uses[id(parent)] = uses.get(id(parent), 0) + 1
    return any(count > 1 for count in uses.values())


@settings(max_examples=300, deadline=None)
@given(programs(), st.integers(1, 2))
def test_random_graphs_give_the_real_engines_numbers(program, passes):
    inputs, instructions = program
    mine = run(instructions, [textbook.Value(x) for x in inputs])
    real = run(instructions, [Value(x) for x in inputs])
    pairs = side_by_side(mine, real)
    for _ in range(passes):  # a second pass: leaves accumulate, computed values do not
        mine.backward()
        real.backward()
    exact = not shared(pairs)
    for node, twin in pairs:
        assert bits(node.data) == bits(twin.data), (node._op, node.data, twin.data)
        if exact:
            assert bits(node.grad) == bits(twin.grad), (node._op, node.grad, twin.grad)
        else:
            assert math.isclose(node.grad, twin.grad, rel_tol=1e-15, abs_tol=1e-15), \
                (node._op, node.grad, twin.grad)


def test_a_tree_gives_the_same_gradients_bit_for_bit():
    # Every value used once: no sum whose order could differ, so equality is exact.
    def build(engine):
        w, x, b = engine(0.7), engine(-1.3), engine(0.2)
        return [w, x, b], ((w * x + b).tanh() - 0.5) ** 2 / 3.0
    (mine_leaves, mine), (real_leaves, real) = build(textbook.Value), build(Value)
    mine.backward()
    real.backward()
    assert [bits(v.grad) for v in mine_leaves] == [bits(v.grad) for v in real_leaves]
    assert bits(mine.data) == bits(real.data)


# The textbook's operations, each as a call on (a, b, k), and the table row it follows.
TEXTBOOK_OPS = {
    'add': (lambda a, b, k: a + b, 'add'), 'radd': (lambda a, b, k: b.data + a, 'add'),
    'sub': (lambda a, b, k: a - b, 'sub'), 'rsub': (lambda a, b, k: b.data - a, 'sub'),
    'mul': (lambda a, b, k: a * b, 'mul'), 'rmul': (lambda a, b, k: b.data * a, 'mul'),
    'div': (lambda a, b, k: a / b, 'div'), 'rdiv': (lambda a, b, k: b.data / a, 'div'),
    'neg': (lambda a, b, k: -a, 'neg'), 'pow': (lambda a, b, k: a ** k, 'pow'),
    'exp': (lambda a, b, k: a.exp(), 'exp'), 'log': (lambda a, b, k: a.log(), 'log'),
    'tanh': (lambda a, b, k: a.tanh(), 'tanh'), 'sigmoid': (lambda a, b, k: a.sigmoid(), 'sigmoid'),
    'relu': (lambda a, b, k: a.relu(), 'relu'),
}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(TEXTBOOK_OPS)), st.floats(0.05, 30.0), st.booleans(),
       st.floats(0.05, 30.0), st.booleans(), st.sampled_from([2.0, 3.0, -1.0, 0.5, -1.5, 1.25]))
def test_every_derivative_is_the_operation_tables(name, a, a_negative, b, b_negative, k):
    call, row = TEXTBOOK_OPS[name]
    a = -a if a_negative and row not in ('log', 'pow') else a
    b = -b if b_negative else b
    x, y = textbook.Value(a), textbook.Value(b)
    node = call(x, y, k)
    assert node._op == row
    op = OPS[row]
    # The operands as the table names them: a reflected operator's number is on the left.
    parents = [parent.data for parent, _ in node._edges]
    table_a, table_b = parents[0], parents[1] if op.arity == 2 else None
    namespace = dict(FUNCTIONS)
    (forward,) = function((op.forward,), namespace)(table_a, table_b, k if op.constant else None, None)
    local = function(op.local, namespace)(table_a, table_b, k if op.constant else None, forward)
    assert bits(node.data) == bits(forward)
    assert [bits(d) for _, d in node._edges] == [bits(d) for d in local]


def test_backward_accumulates_into_leaves_as_pytorch_does():
    x = textbook.Value(3.0)
    h = x * x
    y = h + x
    y.backward()
    y.backward()
    assert (x.grad, h.grad, y.grad) == (14.0, 1.0, 1.0)  # leaves twice, computed values once
    y.zero_grad()
    assert (x.grad, h.grad, y.grad) == (0.0, 0.0, 0.0)


def test_a_chain_deeper_than_the_recursion_limit():
    x = textbook.Value(0.5)
    y = x
    for _ in range(sys.getrecursionlimit() * 20):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0


def test_one_page():
    lines = Path(textbook.__file__).read_text(encoding='utf-8').splitlines()
    assert len(lines) <= 160, f'the textbook engine has grown to {len(lines)} lines'


# -- micrograd's own test file, run unchanged on the textbook engine ----------------------
#
# micrograd's test/test_engine.py (at the commit below) compares micrograd's Value with
# PyTorch. It is not copied here: the test reads it from a micrograd checkout named by
# MICROGRADNODE_MICROGRAD_TESTS, checks that it is that very file,
# and runs its test functions with `micrograd.engine.Value` standing for textbook.Value.
MICROGRAD_COMMIT = 'c911406e5ace8742e5841a7e0df113ecb5d54685'
MICROGRAD_TEST_SHA256 = '27142177f5badd0f3aa0ae1a78ae91b0017cd08d9e44a3e0f774142c0f53d531'


def micrograd_tests() -> dict:
    path = os.environ.get('MICROGRADNODE_MICROGRAD_TESTS')
    if not path:
        message = ('micrograd\'s test file: set MICROGRADNODE_MICROGRAD_TESTS to test/test_engine.py '
                   f'of a micrograd checkout at {MICROGRAD_COMMIT[:7]}')
        # Not required in CI: CI reaches only the package registries, and micrograd's wheel on
        # PyPI does not ship its tests. The skip says so in the summary (-ra); the check was run
        # against a checkout at that commit when the textbook engine was written.
        pytest.skip(message + ' (not on PyPI; CI cannot fetch it)')
    source = Path(path).read_bytes()
    assert hashlib.sha256(source).hexdigest() == MICROGRAD_TEST_SHA256, \
        f'{path} is not micrograd\'s test file at {MICROGRAD_COMMIT[:7]}'
    return {'source': source, 'path': path}


def micrograds_tests_on(value_class, monkeypatch) -> dict:
    """micrograd's test file, executed with ``micrograd.engine.Value`` standing for ``value_class``."""
    require_module('torch')
    found = micrograd_tests()
    standin = types.ModuleType('micrograd.engine')
    standin.Value = value_class  # type: ignore[attr-defined]
    package = types.ModuleType('micrograd')
    package.engine = standin  # type: ignore[attr-defined]
    package.__path__ = []  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, 'micrograd', package)
    monkeypatch.setitem(sys.modules, 'micrograd.engine', standin)
    namespace: dict = {'__name__': 'micrograd_test_engine'}
    exec(compile(found['source'], found['path'], 'exec'), namespace)  # noqa: S102 - pinned by hash
    assert namespace['Value'] is value_class
    return namespace


@pytest.mark.parametrize('test_name', ['test_sanity_check', 'test_more_ops'])
def test_micrograds_own_tests_pass_on_the_textbook_engine(test_name, monkeypatch):
    micrograds_tests_on(textbook.Value, monkeypatch)[test_name]()


def test_micrograds_own_checks_catch_a_wrong_engine(monkeypatch):
    """The harness really runs micrograd's checks: with = for += in backward they fail."""
    from microgradnode.lesson.pitfalls import AssignValue

    with pytest.raises(AssertionError):
        micrograds_tests_on(AssignValue, monkeypatch)['test_sanity_check']()


# The same kind of check without micrograd's file: programs of micrograd's operator set,
# written here, on the textbook engine and on PyTorch float64.
@settings(max_examples=100, deadline=None)
@given(programs())
def test_random_graphs_match_pytorch(program):
    torch = require_module('torch')
    inputs, instructions = program
    leaves = [textbook.Value(x) for x in inputs]
    out = run(instructions, leaves)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    reference = run(instructions, tensors)
    reference.backward()
    assert math.isclose(out.data, reference.item(), rel_tol=1e-12, abs_tol=1e-12)
    for leaf, tensor in zip(leaves, tensors):
        expected = 0.0 if tensor.grad is None else tensor.grad.item()
        assert math.isclose(leaf.grad, expected, rel_tol=1e-12, abs_tol=1e-12), (leaf.grad, expected)

