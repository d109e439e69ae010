"""microgradnode.compile: generated backprop code agrees with the engine, bit for bit.

"Agrees" means: the compiled call returns the same float as the root of a freshly
built graph, and leaves the same float in every leaf's .grad as backward() on that
graph, compared bit for bit (the sign of zero too, NaN equal to NaN).
"""

from __future__ import annotations

import ast
import math
import operator
import re
import subprocess
import sys
import tokenize
from io import StringIO

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from benchmarks.workload import forward, init_mlp, moons, parameters, train_step, value_engine
from microgradnode import Value, no_grad, twonode
from microgradnode.compiler import COMPACT_ABOVE, Compiled, compile
from microgradnode.ops import FUNCTIONS, OPS

MODES = [pytest.param(False, id='readable'), pytest.param(True, id='compact')]


def same(x: float, y: float) -> bool:
    """Equal to the last bit: NaN matches NaN, and 0.0 does not match -0.0."""
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


def run_eager(build, leaves: list[Value]):
    """(root value, leaf grads) of a freshly built graph, or (error type, message)."""
    for leaf in leaves:
        leaf.grad = 0.0
    try:
        root = build(leaves)
    except (ArithmeticError, ValueError) as error:
        return type(error), str(error)
    root.backward()
    return root.data, [leaf.grad for leaf in leaves]


def run_compiled(compiled: Compiled, leaves: list[Value]):
    for leaf in leaves:
        leaf.grad = 0.0
    try:
        value = compiled()
    except (ArithmeticError, ValueError) as error:
        return type(error), str(error)
    return value, [leaf.grad for leaf in leaves]


def assert_same_results(eager, compiled) -> None:
    if isinstance(eager[0], type):
        assert compiled == eager
        return
    assert same(compiled[0], eager[0]), (compiled[0], eager[0])
    for got, want in zip(compiled[1], eager[1]):
        assert same(got, want), (compiled[1], eager[1])


def sgd_step(compiled: Compiled, params: list[Value], learning_rate: float) -> float:
    """The training loop of docs/compile.md: zero grads, run, update in place."""
    for p in params:
        p.grad = 0.0
    value = compiled()
    for p in params:
        p.data -= learning_rate * p.grad
    return value


def check_against_engine(build, trace_data, run_data, *, compact: bool) -> Compiled:
    """Trace build() at trace_data, then compare compiled and eager at run_data."""
    leaves = [Value(v, f'x{i}') for i, v in enumerate(trace_data)]
    compiled = compile(build(leaves), compact=compact)
    for leaf, v in zip(leaves, run_data):
        leaf.data = v
    assert_same_results(run_eager(build, leaves), run_compiled(compiled, leaves))
    return compiled


# -- the two-node network of the notebook --------------------------------------------------

def two_node_network(w0=2.0, w1=1.0, w2=0.5, s0=2.0, target=0.7):
    net = twonode.build(w0=w0, w1=w1, w2=w2, s0=s0, target=target)
    return net.loss, (net.w0, net.w1, net.w2)


def code_lines(source: str) -> list[str]:
    """The statements of the generated source, without comments or indentation."""
    return [line.split('#')[0].strip() for line in source.splitlines() if line.split('#')[0].strip()]


def test_two_node_source_reads_like_the_notebook():
    loss, _ = two_node_network()
    lines = code_lines(compile(loss).source)
    expected_in_order = [
        'x1 = w0 * s0', 's1 = sigmoid(x1)', 'x2 = w1 * s1', 's2 = sigmoid(x2)', 'out = w2 * s2',
        'g_loss = 1.0',
        'g_out = g_v11',
        'g_w2 += g_out * s2', 'g_s2 = g_out * w2', 'g_x2 = g_s2 * (s2 * (1.0 - s2))',
        'g_w1 += g_x2 * s1', 'g_s1 = g_x2 * w1', 'g_x1 = g_s1 * (s1 * (1.0 - s1))',
        'g_w0 += g_x1 * s0',
        'return loss',
    ]
    positions = [lines.index(line) for line in expected_in_order]
    assert positions == sorted(positions)
    # The two unlabeled nodes get generated names, and the comments name each operation.
    source = compile(loss).source
    assert 'v11 = out - target  # sub' in source
    assert 'g_w2 += g_out * s2  # mul: d(a * b)/da = b' in source


def test_two_node_gradients_match_the_notebooks_hand_derivation():
    loss, (w0, w1, w2) = two_node_network()
    compiled = compile(loss)
    compiled()
    s0, target = 2.0, 0.7
    s1 = 1 / (1 + math.exp(-w0.data * s0))
    s2 = 1 / (1 + math.exp(-w1.data * s1))
    out = w2.data * s2
    # The notebook's updates are w -= alpha * (these), written by hand there.
    by_hand = {
        'w2': (out - target) * s2,
        'w1': (out - target) * (w2.data * s2 * (1 - s2) * s1),
        'w0': (out - target) * (w2.data * s2 * (1 - s2) * w1.data) * (s1 * (1 - s1) * s0),
    }
    # A different order of the same multiplications: equal to rounding, not to the bit.
    for weight in (w0, w1, w2):
        assert weight.grad == pytest.approx(by_hand[weight.label], rel=1e-12)


@pytest.mark.parametrize('compact', MODES)
def test_two_node_training_matches_eager_step_by_step(compact):
    loss, weights = two_node_network()
    compiled = compile(loss, compact=compact)
    eager_weights = [w.data for w in weights]
    for _ in range(20):
        value = sgd_step(compiled, weights, 0.1)
        fresh, fresh_weights = two_node_network(*eager_weights)
        fresh.backward()
        assert same(value, fresh.data)
        eager_weights = [w.data - 0.1 * w.grad for w in fresh_weights]
        assert all(same(w.data, e) for w, e in zip(weights, eager_weights))


# -- every operation, random graphs, reused nodes -------------------------------------------

def one_op_graph(op: str):
    """A graph using ``op`` on Values that are themselves results (so both paths matter)."""
    def build(leaves):
        x, y = leaves[0] * 1.5 + 0.25, leaves[1] - 0.5
        if op == 'pow':
            z = x ** 3 + y ** -2 + x.abs() ** 0.5
        elif OPS[op].arity == 2:
            z = getattr(x, op)(y) + getattr(y, op)(x)
        else:
            z = getattr(x, op)() * getattr(y, op)()
        return z * x
    return build


@pytest.mark.parametrize('compact', MODES)
@pytest.mark.parametrize('op', sorted(OPS))
def test_every_operation_matches_the_engine(op, compact):
    build = one_op_graph(op)
    for trace, run in (((0.7, 1.9), (1.3, 2.2)), ((0.2, 2.5), (-0.4, 0.75)), ((0.5, 1.5), (0.0, 0.5))):
        check_against_engine(build, trace, run, compact=compact)


UNARY = ['neg', 'exp', 'log', 'sqrt', 'sigmoid', 'tanh', 'relu', 'abs', 'sin', 'cos']
BINARY = ['add', 'sub', 'mul', 'div', 'powv']
EXPONENTS = [2.0, 3.0, -1.0, 0.5, 0.0, 1.0, -0.0, 1.5, -2.5, 1e-300]

instruction = st.tuples(
    st.sampled_from(UNARY + BINARY + ['pow', 'number left', 'number right']),
    st.integers(0, 99), st.integers(0, 99),
    st.sampled_from(EXPONENTS),
    st.sampled_from(['+', '-', '*', '/', '**']),
    st.floats(-3, 3, allow_nan=False, width=32))
OPERATORS = {'+': operator.add, '-': operator.sub, '*': operator.mul, '/': operator.truediv,
             '**': operator.pow}
small_float = st.floats(-3, 3, allow_nan=False, width=32)


def program_builder(program):
    def build(leaves):
        pool = list(leaves)
        for kind, i, j, k, symbol, number in program:
            x, y = pool[i % len(pool)], pool[j % len(pool)]
            if kind in UNARY:
                result = getattr(x, kind)()
            elif kind in BINARY:
                result = getattr(x, kind)(y)
            elif kind == 'pow':
                result = x ** k
            else:
                left, right = (number, x) if kind == 'number left' else (x, number)
                result = OPERATORS[symbol](left, right)
            pool.append(result)
        # Every result reaches the root (an unused one could fail eagerly but is not traced),
        # and the root reuses a node from the middle.
        root = pool[-1] * pool[len(pool) // 2]
        for result in pool[len(leaves):-1]:
            root = root + result
        return root
    return build


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.lists(instruction, min_size=1, max_size=20),
       trace=st.lists(small_float, min_size=3, max_size=3),
       run=st.lists(small_float, min_size=3, max_size=3),
       compact=st.booleans())
def test_random_graphs_match_the_engine(program, trace, run, compact):
    build = program_builder(program)
    leaves = [Value(v, f'x{i}') for i, v in enumerate(trace)]
    try:
        root = build(leaves)
    except (ArithmeticError, ValueError):
        assume(False)
    compiled = compile(root, compact=compact)
    for leaf, v in zip(leaves, run):
        leaf.data = v
    eager, got = run_eager(build, leaves), run_compiled(compiled, leaves)
    if isinstance(eager[0], type) and isinstance(got[0], type) and eager != got:
        # Two operations fail: the engine stops at the first one your code reaches, the
        # compiled graph reports one in topological order. Both name the operation.
        assert re.fullmatch(rf'({"|".join(OPS)})\(.*\): .+', got[1]), got
        assert all(leaf.grad == 0.0 for leaf in leaves)
        return
    assert_same_results(eager, got)


@pytest.mark.parametrize('compact', MODES)
def test_reused_nodes(compact):
    def square(leaves):
        x = leaves[0]
        return x * x

    def diamond(leaves):
        x, w = leaves
        y = x * w
        return (y * y + y.exp() - y / w) * y.tanh()

    def fan_in(leaves):   # one leaf in 120 terms: more than one statement of compact sums
        x, w = leaves
        total = w * 0.0
        for i in range(120):
            total = total + x * (i - 60) + (x * w).sin()
        return total

    def long_chain(leaves):   # 300 single-use values: folds are cut into several lines
        x, w = leaves
        y = x
        for i in range(300):
            y = (y * 0.999 + w * (i % 3)).tanh() if i % 7 == 0 else y + i - w
        return y

    for build in (square, diamond, fan_in, long_chain):
        compiled = check_against_engine(build, (0.3, -1.2), (0.8, 0.45), compact=compact)
        if build is square:   # two contributions, added one after the other
            expected = ('G[0] = G[0] + G[1] * V[0] + G[1] * V[0]' if compact
                        else 'g_x0 += g_v1 * x0  # mul: d(a * b)/da = b\n    g_x0 += g_v1 * x0')
            assert expected in compiled.source


def test_compact_code_is_shorter_and_the_default_for_big_graphs():
    x = Value(0.5, 'x')
    y = x
    for _ in range(COMPACT_ABOVE):
        y = (y * 0.5 + x).tanh()
    big = compile(y)
    assert big.compact
    small = compile((x * 2).exp())
    assert not small.compact
    readable = compile(y, compact=False)
    assert len(big.source) < len(readable.source) / 2
    assert same(big(), readable())


def test_leaves_accumulate_and_intermediates_are_untouched():
    w, s = Value(0.5, 'w'), Value(2.0, 's')
    h = w * s
    y = h.sigmoid()
    compiled = compile(y)
    h_data, y_data = h.data, y.data
    w.data = -1.0
    compiled()
    once = w.grad
    compiled()
    assert w.grad == 2 * once
    assert (h.data, y.data) == (h_data, y_data)
    assert h.grad == 0.0 and y.grad == 0.0


@pytest.mark.parametrize('compact', MODES)
def test_root_that_is_a_leaf(compact):
    x = Value(3.0, 'x')
    x.grad = 0.5
    compiled = compile(x, compact=compact)
    assert compiled() == 3.0 and x.grad == 1.5


def test_user_made_constants_are_reread():
    x, c = Value(2.0, 'x'), Value(10.0, 'c')
    compiled = compile(x * c)
    c.data = 3.0
    assert compiled() == 6.0 and x.grad == 3.0


@pytest.mark.parametrize('k', [math.inf, -math.inf, math.nan, -0.0, 1e-300, 2.0 ** 0.5, 1 / 3])
def test_constants_of_every_kind_round_trip(k):
    def build(leaves):
        return leaves[0] ** k + leaves[0] * k
    for compact in (False, True):
        compiled = check_against_engine(build, (1.7,), (2.9,), compact=compact)
        assert 'nan' in compiled.source or not math.isnan(k)


# -- training an MLP (the benchmark workload, smaller) -----------------------------------------

@pytest.mark.parametrize('compact', MODES)
def test_mlp_training_matches_eager_over_several_steps(compact):
    engine = value_engine('microgradnode', Value)
    points, labels = moons(20, seed=3)
    compiled_mlp = init_mlp(engine, (2, 8, 8, 1), seed=5)
    eager_mlp = init_mlp(engine, (2, 8, 8, 1), seed=5)
    params, eager_params = parameters(compiled_mlp), parameters(eager_mlp)
    loss, _ = forward(engine, compiled_mlp, points, labels)
    compiled = compile(loss, compact=compact)
    if compact:   # the 160 first-layer neurons (8 per point) share one formula: one loop
        assert ('for i0, i1, i2, i3, i4, i5 in T[1]:  # 160 times\n'
                '        V[i0] = V[i1] + V[i2] * V[i3] + V[i4] * V[i5]') in compiled.source
        assert compiled.source.count('\n') < 100
    for _ in range(4):
        value = sgd_step(compiled, params, 0.05)
        assert same(value, train_step(engine, eager_mlp, points, labels))
        assert all(same(p.data, q.data) for p, q in zip(params, eager_params))


# -- errors ----------------------------------------------------------------------------------

def test_runtime_domain_errors_name_the_operation_like_the_engine():
    x = Value(2.0, 'x')
    compiled = compile((x * 3).log() + (x - 1).sqrt())
    x.data = -1.0
    with pytest.raises(ValueError) as compiled_error:
        compiled()
    with pytest.raises(ValueError) as eager_error:
        (x * 3).log() + (x - 1).sqrt()
    assert str(compiled_error.value) == str(eager_error.value)
    assert str(compiled_error.value).startswith('log(')
    assert x.grad == 0.0   # nothing half-done


@pytest.mark.parametrize('make, bad, kind', [
    (lambda x: 1 / x, 0.0, ZeroDivisionError),
    (lambda x: (x * 100).exp(), 10.0, OverflowError),
    (lambda x: x ** -1, 0.0, ZeroDivisionError),
    (lambda x: (x - 3) ** x, 0.5, ValueError),
])
def test_runtime_errors_keep_the_engines_type_and_message(make, bad, kind):
    x = Value(1.0, 'x')
    compiled = compile(make(x))
    x.data = bad
    with pytest.raises(kind) as compiled_error:
        compiled()
    with pytest.raises(kind) as eager_error:
        make(x)
    assert str(compiled_error.value) == str(eager_error.value)


def test_a_leaf_that_is_no_longer_a_number():
    x = Value(1.0, 'x')
    compiled = compile(x * 2)
    x.data = 'two'
    with pytest.raises(TypeError, match='real number'):
        compiled()


def test_bad_arguments():
    with pytest.raises(TypeError, match='needs a Value'):
        compile(3.0)
    x = Value(1.0)
    with pytest.raises(ValueError, match='max_nodes must be at least 1'):
        compile(x, max_nodes=0)
    with pytest.raises(TypeError, match='max_nodes must be an int'):
        compile(x, max_nodes='1000')
    y = x
    for _ in range(10):
        y = y + 1
    with pytest.raises(ValueError, match=r'21 nodes.*max_nodes=20\b.*pass max_nodes=21'):
        compile(y, max_nodes=20)
    assert compile(y, max_nodes=21)() == 11.0


# -- tracing semantics -------------------------------------------------------------------------

def test_python_control_flow_is_fixed_when_traced():
    x = Value(1.0, 'x')

    def f(x):
        return x * 2 if x.data > 0 else x * 3   # an `if` on data: Python decides, once

    compiled = compile(f(x))
    x.data = -1.0
    assert compiled() == -2.0           # still x * 2, the branch taken when traced
    assert f(x).data == -3.0            # the eager code takes the other branch
    relu = compile(x.relu())            # data-dependent *operations* are decided at run time
    assert relu() == 0.0
    x.data = 4.0
    assert relu() == 4.0


# -- safety: labels never reach the code ---------------------------------------------------------

NASTY_LABELS = [
    "x\nimport os; os.system('echo owned')", 'x\rimport os', "it's", '"""', "'", '#', 'a # b',
    'def', 'class', 'lambda', 'None', 'g_x', 'g_', 'leaves', 'backprop', 'sigmoid', 'inf', 'nan',
    'v0', 'v1', '__import__', '__builtins__', 'print', 'x y', '1x', 'é', 'x\u2028y', '\x00', 'ℌ',
    '\\', '\\\nx', 'x' * 500, '', 'w', 'w',   # the same label twice: neither may take it
]


def allowed_source(compiled: Compiled) -> None:
    """The generated code holds only generated names, helpers, numbers and fixed text."""
    source = compiled.source
    assert source.isascii()
    assert all(ch == '\n' or ' ' <= ch <= '~' for ch in source)
    tree = ast.parse(source)
    (function,) = tree.body
    assert isinstance(function, ast.FunctionDef) and function.name == 'backprop'
    helpers = set(FUNCTIONS)
    for node in ast.walk(function):
        if isinstance(node, ast.stmt) and node is not function:
            assert isinstance(node, (ast.Assign, ast.AugAssign, ast.Return, ast.For)), ast.dump(node)
        if isinstance(node, ast.For):   # compact code: loops over the index tables T[...]
            assert isinstance(node.iter, ast.Subscript) and node.iter.value.id == 'T'
        if isinstance(node, ast.Name):
            assert (node.id in helpers or node.id == 'leaves' or node.id.isidentifier()
                    and node.id.isascii() and not node.id.startswith('_')), node.id
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name) and node.func.id in helpers
        if isinstance(node, ast.Attribute):
            assert node.attr in ('data', 'grad')
            assert isinstance(node.value, ast.Subscript) or node.value.id == 'leaf'
        if isinstance(node, ast.Constant):
            assert type(node.value) in (int, float)
    comments = [token for token in tokenize.generate_tokens(StringIO(source).readline)
                if token.type == tokenize.COMMENT]
    assert all('\n' not in token.string for token in comments)


@pytest.mark.parametrize('compact', MODES)
def test_labels_cannot_inject_code(compact):
    def build(leaves, labels):
        x, w = leaves
        nodes = [x * w, (x + 1).exp(), w.sigmoid()]
        out = nodes[0] * nodes[1] - nodes[2]
        for node, label in zip(nodes + [out], labels):
            node.label = label
        return out

    for start in range(0, len(NASTY_LABELS), 2):
        labels = NASTY_LABELS[start:start + 6]
        x, w = Value(0.5, labels[-1]), Value(-1.5, labels[0])
        compiled = compile(build((x, w), labels[1:]), compact=compact)
        allowed_source(compiled)
        plain_x, plain_w = Value(0.5), Value(-1.5)
        plain = compile(build((plain_x, plain_w), [''] * 4), compact=compact)
        assert same(compiled(), plain()) and same(x.grad, plain_x.grad) and same(w.grad, plain_w.grad)
    assert "os.system('echo owned')" not in compiled.source


@settings(max_examples=100, deadline=None)
@given(labels=st.lists(st.text(max_size=12), min_size=5, max_size=5))
def test_any_label_text_is_safe(labels):
    x, w = Value(0.5, labels[0]), Value(2.0, labels[1])
    y = (x * w).tanh()
    z = y * x + w
    y.label, z.label = labels[2], labels[3]
    w2 = z.exp()
    w2.label = labels[4]
    compiled = compile(w2)
    allowed_source(compiled)
    assert same(compiled(), w2.data)


def test_labels_become_names_only_when_they_are_plain_and_unique():
    a, b, c = Value(1.0, 'weight'), Value(2.0, 'def'), Value(3.0, 'g_x')
    d = Value(4.0, 'dup')
    e = Value(5.0, 'dup')
    source = compile(a * b + c * d * e).source
    lines = code_lines(source)
    assert 'weight = leaves[0].data' in lines
    for bad in ('def =', 'g_x =', 'dup ='):
        assert not any(line.startswith(bad) for line in lines)
    assert "# leaf 'def'" in source and "# leaf 'dup'" in source


# -- packaging --------------------------------------------------------------------------------

def test_the_compiler_loads_on_first_use_only():
    code = ('import sys, microgradnode\n'
            'before = "microgradnode.compiler" in sys.modules\n'
            'compile_function = microgradnode.compile\n'
            'print(before, compile_function.__module__)')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ['False', 'microgradnode.compiler.python']


def test_no_grad_graphs_and_repr():
    x = Value(2.0, 'x')
    with no_grad():
        y = x * 3
    compiled = compile(y)      # y is a leaf under no_grad: nothing to differentiate through
    assert compiled() == 6.0 and x.grad == 0.0
    z = compile(x * x)
    assert repr(z).startswith('<Compiled readable backprop of 2 nodes, 1 leaves')


def test_the_docs_show_the_code_compile_writes_today():
    from pathlib import Path

    from microgradnode import twonode
    docs = (Path(__file__).resolve().parents[2] / 'docs' / 'compile.md').read_text()
    shown = docs.split('The output:\n\n```python\n', 1)[1].split('```', 1)[0]
    loss, _ = two_node_network()
    assert shown == compile(loss).source == compile(twonode.build().loss).source


def test_the_two_node_example_prints_the_code_and_trains_like_eager():
    import os
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / 'examples' / 'compiled_two_node.py')],
                            capture_output=True, text=True, check=True, cwd=root,
                            env={**os.environ, 'PYTHONPATH': str(root)})
    assert '    g_w2 += g_out * s2  # mul' in result.stdout
    weights = [2.0, 1.0, 0.5]
    for _ in range(1000):
        loss, values = two_node_network(*weights)
        loss.backward()
        weights = [w.data - 0.1 * w.grad for w in values]
    expected = ', '.join(f'{name}={w:.4f}' for name, w in zip(('w0', 'w1', 'w2'), weights))
    assert f'weights after 1000 steps: {expected}' in result.stdout


@pytest.mark.parametrize('compact', [False, True])
def test_a_compiled_step_pickled_beside_its_parameters_drives_the_loaded_ones(compact):
    import pickle
    loss, weights = two_node_network()
    step = compile(loss, compact=compact)
    loaded_weights, loaded_step = pickle.loads(pickle.dumps((weights, step)))
    assert loaded_step.compact is compact and loaded_step.nodes == step.nodes
    assert set(map(id, loaded_weights)) <= set(map(id, loaded_step.leaves))
    assert loaded_step() == step()
    assert [w.grad for w in loaded_weights] == [w.grad for w in weights] != [0.0, 0.0, 0.0]
