"""The JavaScript target: the table's rows run in node (V8) give the Python engine's numbers.

Random graphs over every operation of the table, evaluated at random inputs by the
generated JavaScript and by the engine: every value, gradient and local derivative
agrees to 1e-12 relative (in practice bit for bit but for the last bit of exp, tanh...).
"""

from __future__ import annotations

import json
import math
import random
import subprocess

import pytest

from microgradnode import Value
from microgradnode.compiler.javascript import (
    HELPERS_JS,
    graph_arrays,
    javascript_formula,
    ops_javascript,
    to_javascript,
)
from microgradnode.engine import topological_order
from microgradnode.ops.table import FUNCTIONS, OPS

from ..conftest import require_program

TOLERANCE = 1e-12


def run_node(source: str, calls: list[dict]) -> list[dict]:
    """Evaluate ``backprop(leaves)`` for each entry of ``calls`` in node; the results."""
    node = require_program('node')
    script = (source + '\nconst calls = JSON.parse(require("fs").readFileSync(0, "utf8"));\n'
              'const clean = x => Number.isFinite(x) ? x : String(x);\n'
              'process.stdout.write(JSON.stringify(calls.map(leaves => { const r = backprop(leaves);'
              ' return {data: r.data.map(clean), grad: r.grad.map(clean), local: r.local.map(clean)}; })));')
    done = subprocess.run([node, '-e', script], input=json.dumps(calls), capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)


def number(x) -> float:
    return float(x) if not isinstance(x, str) else float(x.replace('Infinity', 'inf'))


def agree(js: float, py: float) -> bool:
    if math.isnan(py) or math.isinf(py):
        return math.isnan(js) if math.isnan(py) else js == py
    return abs(js - py) <= TOLERANCE * abs(py) or js == py


# Every operation of the table, each with inputs that keep it defined.
BUILDERS = {
    'add': lambda a, b, rng: a + b,
    'sub': lambda a, b, rng: a - b,
    'mul': lambda a, b, rng: a * b,
    'div': lambda a, b, rng: a / (b * b + 0.5),
    'neg': lambda a, b, rng: -a,
    'pow': lambda a, b, rng: (a * a + 0.1) ** rng.choice([2, 3, -1.0, 0.5]),  # defined at any input
    'powv': lambda a, b, rng: (a * a + 0.5) ** b.tanh(),
    'exp': lambda a, b, rng: a.tanh().exp(),
    'log': lambda a, b, rng: (a * a + 0.25).log(),
    'sqrt': lambda a, b, rng: (a * a + 0.1).sqrt(),
    **{name: (lambda a, b, rng, name=name: getattr(a, name)())
       for name in ('sigmoid', 'tanh', 'softplus', 'relu', 'abs', 'sin', 'cos', 'step', 'sign')},
}


def random_graph(rng: random.Random, size: int) -> tuple[Value, list[Value]]:
    inputs = [Value(rng.uniform(-2, 2), name) for name in ('x', 'y', 'z')]
    pool = list(inputs)
    for _ in range(size):
        out = BUILDERS[rng.choice(sorted(BUILDERS))](rng.choice(pool), rng.choice(pool), rng)
        if abs(out.data) < 50:
            pool.append(out)
    root = pool[-1] if len(pool) > 3 else inputs[0] * inputs[1]
    for extra in pool[3:-1:3]:  # reuse values: fan-out everywhere
        root = root + extra.tanh()
    return root, inputs


def check(order: list[Value], result: dict) -> int:
    compared = 0
    for i, node in enumerate(order):
        assert agree(number(result['data'][i]), node.data), (i, node, result['data'][i])
        assert agree(number(result['grad'][i]), node.grad), (i, node, result['grad'][i], node.grad)
        for j, local in enumerate(node.local_grads):
            assert agree(number(result['local'][2 * i + j]), local), (i, j, node)
        compared += 2 + len(node.local_grads)
    return compared


def test_every_operation_is_exercised():
    assert set(BUILDERS) == set(OPS)


def test_every_helper_has_javascript():
    assert set(FUNCTIONS) - {'inf', 'nan', 'strong_zero'} == set(HELPERS_JS)


def test_every_row_is_translated_from_the_table():
    source = ops_javascript()
    for op in OPS.values():
        assert f'forward: (a, b, k) => {javascript_formula(op.forward)}' in source
        for local in op.local:
            assert javascript_formula(local) in source


def test_python_truth_and_conditions():
    # Python: `k if k else 0` takes k for NaN; JavaScript's own truth would not.
    assert javascript_formula('1.0 if a else 2.0') == '(truth(a) ? 1.0 : 2.0)'
    assert javascript_formula('1.0 if 0.0 < a <= b else 2.0') == '((0.0 < a && a <= b) ? 1.0 : 2.0)'
    with pytest.raises(ValueError, match='the ops table may only call'):
        javascript_formula('print(a)')


@pytest.mark.parametrize('seed', range(6))
def test_random_graphs_agree_with_the_engine(seed):
    rng = random.Random(seed)
    root, inputs = random_graph(rng, rng.randint(5, 40))
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    points = [{position[x]: rng.uniform(-2, 2) for x in inputs if x in position} for _ in range(5)]
    results = run_node(to_javascript(root), points)
    compared = 0
    for point, result in zip(points, results):
        for i, value in point.items():
            order[i].data = value
        # The engine builds the same graph again from the new inputs: the reference.
        fresh = rebuild(order)
        fresh[-1].zero_grad()
        fresh[-1].backward()
        compared += check(fresh, result)
    assert compared > 50


def rebuild(order: list[Value]) -> list[Value]:
    """The graph of ``order`` recomputed by the engine from its leaves' current data."""
    made: dict[Value, Value] = {}
    for node in order:
        if node.is_leaf:
            made[node] = Value(node.data, node.label)
            continue
        parents = [made[p] for p in node.parents]
        method = getattr(Value, node.op)
        made[node] = method(parents[0], node.constant) if OPS[node.op].constant else method(*parents)
    return [made[node] for node in order]


def test_two_node_network_at_random_weights():
    from microgradnode.twonode import build
    rng = random.Random(7)
    net = build()
    arrays, order = graph_arrays(net.loss)
    names = [node.label for node in order]
    settings = [{name: rng.uniform(-3, 3) for name in ('w0', 'w1', 'w2', 's0')} for _ in range(20)]
    results = run_node(to_javascript(net.loss), [{names.index(k): v for k, v in s.items()} for s in settings])
    for setting, result in zip(settings, results):
        again = build(**setting)
        again.loss.backward()
        assert check(topological_order(again.loss), result) > 0


def test_a_defined_operation_runs_in_javascript_and_one_without_javascript_is_named():
    import microgradnode
    from microgradnode import walkthrough
    microgradnode.define_operation('atan', 'atan(a)', ('1.0 / (1.0 + a * a)',), functions={'atan': math.atan})
    microgradnode.define_operation('leaky', '0.0 + a if a > 0.0 else k * a', ('1.0 if a > 0.0 else k',),
                                   constant=True)
    x = Value(0.7, 'x')
    root = (x.atan() * x).leaky(0.1) + x.leaky(0.1)
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    points = [{position[x]: value} for value in (0.7, -1.3, 2.5)]
    results = run_node(to_javascript(root), points)
    for point, result in zip(points, results):
        x.data = point[position[x]]
        fresh = rebuild(order)
        fresh[-1].zero_grad()
        fresh[-1].backward()
        check(fresh, result)
    # erf has no JavaScript: the page that uses it says so; other pages are not affected
    microgradnode.define_operation('erfx', 'erf(a)', ('1.1283791670955126 * exp(-(a * a))',),
                                   functions={'erf': math.erf})
    assert 'Math.atan' in walkthrough(x.atan()).html()
    assert 'backprop' in to_javascript(x.atan() * x)  # a graph without erfx is not stopped by it
    with pytest.raises(ValueError, match="cannot run the operation 'erfx': its formulas call 'erf'"):
        walkthrough(x.erfx()).html()


def test_a_dead_relu_stops_an_infinite_or_nan_gradient_in_javascript_as_in_python():
    # sqrt at 0 sends inf back, times 2·h = 0 gives nan: the dead ReLU passes 0 (PyTorch's mask)
    w = Value(0.5, 'w')
    h = (w * -1.0).relu()
    root = (h * h).sqrt()
    root.backward()
    assert w.grad == 0.0
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    (result,) = run_node(to_javascript(root), [{position[w]: 0.5}])
    check(order, result)
    assert number(result['grad'][position[w]]) == 0.0


@pytest.mark.parametrize('seed', range(3))
def test_values_alone_are_the_forward_passs_values(seed):
    """``values`` (the page's decision boundary) skips the local derivatives, not a digit of the values."""
    rng = random.Random(100 + seed)
    root, inputs = random_graph(rng, rng.randint(10, 40))
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    points = [{position[x]: rng.uniform(-2, 2) for x in inputs if x in position} for _ in range(4)]
    node = require_program('node')
    script = (to_javascript(root) + '\nconst calls = JSON.parse(require("fs").readFileSync(0, "utf8"));\n'
              'const engine = makeEngine(GRAPH);\n'
              'process.stdout.write(JSON.stringify(calls.map(leaves => {\n'
              '  const data = GRAPH.data.slice();\n'
              '  for (const [i, v] of Object.entries(leaves)) data[Number(i)] = v;\n'
              '  engine.forward(data); const full = Array.from(engine.V);\n'
              '  engine.V.fill(12345); engine.values(data);\n'
              '  return [full.map(String), Array.from(engine.V).map(String)]; })));')
    done = subprocess.run([node, '-e', script], input=json.dumps(points), capture_output=True, text=True,
                          timeout=60, check=True)
    for full, alone in json.loads(done.stdout):
        assert alone == full
    assert len(order) >= 10


@pytest.mark.parametrize('name, words', [
    ('GRAPH', 'the generated code defines it'), ('makeEngine', 'the generated code defines it'),
    ('OPS', 'the generated code defines it'), ('function', 'a word of JavaScript'),
    ('class', 'a word of JavaScript'), ('ünicode', 'must be a JavaScript identifier'),
    ('2x', 'must be a JavaScript identifier'),
])
def test_a_name_the_code_could_not_declare_is_refused(name, words):
    with pytest.raises(ValueError, match=words):
        to_javascript(Value(2.0, 'x') * 3, name=name)


def test_any_other_name_runs_in_node():
    node = require_program('node')
    source = to_javascript(Value(2.0, 'x') * 3, name='leaves')
    script = source + '\nprocess.stdout.write(JSON.stringify(leaves({0: 5}).data));'
    done = subprocess.run([node, '-e', script], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == [5, 3, 15]


@pytest.mark.parametrize('seed', range(4))
def test_tangents_are_forward_modes(seed):
    """``tangents`` (the page's forward mode): calculus.forward's tangents, 0 where the seed is not felt."""
    from microgradnode.calculus.forward import forward_tangents
    rng = random.Random(200 + seed)
    root, inputs = random_graph(rng, rng.randint(10, 40))
    order = topological_order(root)
    leaves = [i for i, node in enumerate(order) if node.is_leaf]
    node = require_program('node')
    script = (to_javascript(root) + '\nconst engine = makeEngine(GRAPH);\nengine.forward(GRAPH.data);\n'
              f'process.stdout.write(JSON.stringify({leaves}.map(seed => {{ engine.tangents(seed);'
              ' return Array.from(engine.T).map(String); })));')
    done = subprocess.run([node, '-e', script], capture_output=True, text=True, timeout=60, check=True)
    for seed_index, got in zip(leaves, json.loads(done.stdout)):
        want = forward_tangents(root, {order[seed_index]: 1.0})
        for text, value in zip(got, order):
            assert agree(number(text), want[value]), (seed_index, value, text, want[value])
