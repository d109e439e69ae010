"""Diagrams of networks: module names, group='module', fold='neuron'/'layer'/'sample', fold_sums."""

import re
import subprocess
import sys
import time

import pytest

from microgradnode import Value
from microgradnode.nn import MLP, Layer, Module, Neuron, module_names
from tests.conftest import require_module

require_module('graphviz')

from microgradnode.diagram import GraphTooLargeError, draw  # noqa: E402


def _trained_point(sizes=(3, 1)):
    model = MLP(2, list(sizes), seed=0)
    score = model([0.5, -1.0])
    score.backward()
    return model, score


def test_module_names_cover_each_neuron_and_nothing_outside():
    model, score = _trained_point()
    loss = (score - 1.0) ** 2
    names = module_names(loss)
    counts = {name: list(names.values()).count(name) for name in set(names.values())}
    # Layer 1's neuron: bias, 2 weights, 2 constants (the point), 2 products, 2 sums, relu.
    # Layer 2's: bias, 3 weights, 3 products, 3 sums (its inputs belong to layer 1).
    assert counts == {'L1.n0': 10, 'L1.n1': 10, 'L1.n2': 10, 'L2.n0': 10}
    assert loss not in names and names[score] == 'L2.n0'
    assert all(names[p] == p.label.rsplit('.', 1)[0] for p in model.parameters())


def test_user_modules_are_named_after_their_attributes():
    class Block(Module):
        def __init__(self):
            self.fc = Layer(2, 2, seed=0)
            self.head = Neuron(2, seed=1)

        def __call__(self, x):
            h = self.fc(x)
            return self.head([h[0] * h[1], h[1]]) * 2.0

    out = Block()([1.0, 2.0])
    names = set(module_names(out).values())
    assert names == {'fc.n0', 'fc.n1', 'head', 'Block'}

    class Wrapper(Module):
        def __init__(self):
            self.body = MLP(2, [2, 1], seed=0)

        def __call__(self, x):
            return self.body(x).tanh()

    names = set(module_names(Wrapper()([1.0, 2.0])).values())
    assert names == {'body.L1.n0', 'body.L1.n1', 'body.L2.n0', 'Wrapper'}


def _boxes(source: str) -> list[str]:
    """The folded boxes: standalone (m3) or a row of a layer's column node (PORT="m3")."""
    return re.findall(r'^\s*(m\d+) \[', source, re.M) + re.findall(r'PORT="(m\d+)"', source)


_ARROW = r'(?:c\d+:)?m\d+ -> (?:c\d+:)?m\d+'  # between boxes, or rows of layer columns


def test_fold_neuron_boxes_edges_and_exact_numbers():
    model, score = _trained_point()
    source = draw(score, fold='neuron').source
    assert len(_boxes(source)) == 4
    assert source.count('relu(Σ w·x + b)') == 3 and 'L2.n0: Σ w·x + b' in source
    # Each hidden neuron's output feeds only L2.n0: the arrow carries that output's whole grad.
    outputs = [v for v, name in module_names(score).items() if v.op == 'relu']
    assert len(outputs) == 3
    for out in outputs:
        assert f'grad {format(out.grad, ".4g").replace("-", "−")}' in source
        assert f'data {format(out.data, ".4g").replace("-", "−")}' in source
    assert len(re.findall(_ARROW, source)) == 3
    assert f'data {format(score.data, ".4g").replace("-", "−")}   grad 1' in source


def test_fold_layer_and_group_module_counts():
    model, score = _trained_point((4, 4, 1))
    layered = draw(score, fold='layer').source
    assert len(re.findall(r'^\s*m\d+ \[', layered, re.M)) == 3
    assert len(re.findall(r'm\d+ -> m\d+', layered)) == 2
    assert 'L1: 4 × relu(Σ w·x + b)' in layered and '4 values, ‖grad‖' in layered
    grouped = draw(score, group='module').source
    assert grouped.count('subgraph cluster_') == 3 + 9   # three layers, nine neurons
    # Folded by neuron, each layer is one node, a column of its neurons' boxes (no cluster).
    by_neuron = draw(score, fold='neuron', group='module').source
    assert len(re.findall(r'^\s*c\d+ \[', by_neuron, re.M)) == 3 and 'subgraph cluster_' not in by_neuron


def test_fold_sums_draws_one_sigma():
    xs = [Value(float(i), f'x{i}') for i in range(6)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    source = draw(total, fold_sums=True).source
    assert source.count('Σ') == 1 and '6 terms' in source
    assert len(re.findall(r'v\d+ -> o\d+', source)) == 6
    # Unfolded drawing unchanged: five additions.
    assert draw(total).source.count('<B>+</B>') == 5


def test_bad_options():
    x = Value(2.0, 'x')
    with pytest.raises(ValueError, match="group must be 'module'"):
        draw(x * x, group='x')
    with pytest.raises(ValueError, match="fold must be one of neuron, layer, sample"):
        draw(x * x, fold='neurons')
    with pytest.raises(ValueError, match="fold='neuron' needs Values made by microgradnode.nn modules"):
        draw(x * x, fold='neuron')
    with pytest.raises(TypeError, match='fold_sums'):
        draw(x * x, fold_sums='yes')
    _, score = _trained_point()
    with pytest.raises(ValueError, match='unfolded'):
        draw(score, fold='neuron', highlight=[score])


def test_whole_training_step_folds_by_sample_quickly():
    from microgradnode.engine import topological_order
    from microgradnode.nn.datasets import DATASETS
    from microgradnode.nn.training import batch_loss
    points, labels = DATASETS['moons'](100, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    loss, _ = batch_loss(model, points, labels)
    loss.backward()
    assert len(topological_order(loss)) > 60_000
    for unfolded in ({}, {'group': 'module'}, {'fold_sums': True}):
        with pytest.raises(GraphTooLargeError, match="fold='sample' for a batch loss"):
            draw(loss, **unfolded)
    start = time.perf_counter()
    diagram = draw(loss, fold='sample')
    svg = diagram.pipe('svg')
    assert time.perf_counter() - start < 60
    assert b'one sample of 100' in svg and '100 terms, 99 not drawn' in diagram.source
    assert len(_boxes(diagram.source)) == 16 + 16 + 1 + 1  # + the L2 penalty


def test_cli_fit_graph(tmp_path):
    path = tmp_path / 'model.dot'
    run = subprocess.run([sys.executable, '-m', 'microgradnode', 'fit', '--layers', '3', '--steps', '2',
                          '--no-progress', '--graph', str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert path.read_text().count('relu(Σ w·x + b)') == 3
    bad = subprocess.run([sys.executable, '-m', 'microgradnode', 'fit', '--graph', str(tmp_path / 'g.jpg')],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count('\n') == 1 and '--graph' in bad.stderr


def test_arrows_out_of_a_box_add_up_to_its_output_grad():
    # 2-2-2-1: every pair of layers has at most 8 arrows, so each is drawn with its number
    # (a 4-4 pair has 16: drawn as one thick arrow, test_dense_layers_are_bundled).
    model = MLP(2, [2, 2, 1], seed=3)
    x = [Value(0.7, 'x0'), Value(-0.2, 'x1')]
    score = model(x)
    score.backward()
    source = draw(score, fold='neuron', number_format='.17g').source
    # A neuron's box: a row of its layer's column (PORT="m3"), titled with its name.
    ids = dict(re.findall(r'PORT="(m\d+)"><TABLE[^>]*><TR><TD ALIGN="LEFT"><B>(L\d\.n\d+):', source))
    flows = {}
    for start, number in re.findall(r'(?:c\d+:)?(\w+) -> (?:c\d+:)?m\d+ \[.*?label=<<FONT COLOR="#a61e4d">'
                                     r'grad ([^<]+)</FONT>', source):
        flows.setdefault(start, []).append(float(number.replace('−', '-')))
    names = module_names(score)
    for value, name in names.items():
        if value.op == 'relu':
            box = next(b for b, n in ids.items() if n == name)
            assert sum(flows[box]) == pytest.approx(value.grad, abs=1e-12)
    inputs = dict(re.findall(r'PORT="(v\d+)"><TABLE.*?<B>(x\d)</B>', source))
    for start, name in inputs.items():
        assert sum(flows[start]) == pytest.approx(x[int(name[1])].grad, abs=1e-12)
    assert len(flows) == 2 + 2 + 2  # x0, x1 and the four hidden neurons send gradient


def test_odd_names_and_a_single_sample_render():
    neuron = Neuron(2, name='a<b>&"c\\l', seed=0)
    out = neuron([Value(float('nan'), 'x'), Value(float('inf'), 'y')])
    out.backward()
    diagram = draw(out, fold='neuron', group='module')
    assert 'a&lt;b&gt;&amp;' in diagram.source
    assert diagram.pipe('svg').startswith(b'<?xml')
    model = MLP(2, [2, 1], seed=0)
    single = model([1.0, 2.0]) ** 2
    assert b'the only sample' in draw(single, fold='sample').pipe('svg')


def test_partial_sums_used_elsewhere_are_not_folded():
    xs = [Value(float(i), f'x{i}') for i in range(3)]
    partial = xs[0] + xs[1]
    total = partial + xs[2]
    assert 'Σ' not in draw(partial * total, fold_sums=True).source


def test_a_sum_of_thousands_of_terms_folds_without_recursion():
    xs = [Value(float(i), f'x{i}') for i in range(3000)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    source = draw(total, fold_sums=True, max_nodes=10_000).source
    assert '3000 terms' in source and len(re.findall(r'v\d+ -> o\d+', source)) == 3000


def test_values_made_before_a_call_are_not_the_modules():
    a = Value(2.0, 'a')
    before = a * 3.0
    neuron = Neuron(2, seed=0, name='N')
    names = module_names(neuron([before, 1.0]))
    assert before not in names and a not in names
    assert sorted(set(names.values())) == ['N'] and len(names) == 9  # b, 2 w, 1 constant, 2 ×, 2 +, relu

