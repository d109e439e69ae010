"""The walkthrough page's network mode, without a browser: the per-point graph, the picture, the errors.

The page trains a classifier by running one point's graph once per point; these tests
check that graph against the model itself, and the picture against the graph.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from microgradnode import Value, network_walkthrough
from microgradnode.lesson.network import MAX_PARAMETERS, MAX_POINTS, build
from microgradnode.nn import MLP
from microgradnode.nn.datasets import moons


def page_json(walk) -> dict:
    page = walk.html()
    data = re.search(r'const WALK = (.*?);\n', page).group(1)
    return json.loads(data.replace('\\u003c', '<').replace('\\u003e', '>'))


def test_the_points_graph_computes_what_the_model_and_the_hinge_loss_compute():
    model = MLP(2, [3, 2, 1], activation='tanh', seed=4)
    for point, label in (([0.5, -1.25], 1), ([2.0, 0.1], -1)):
        inputs, layers, loss = build(model, point, label)
        score = model(point)
        assert layers[-1][0].data == score.data
        assert loss.data == max(0.0, 1.0 - label * score.data)
        assert [len(layer) for layer in layers] == [2, 3, 2, 1]
        assert [node.data for node in inputs] == [*point, float(label)]


def test_default_page_shows_the_moons_and_a_2_6_6_1_network():
    walk = network_walkthrough()
    net = walk.network
    assert net.describe() == 'an MLP 2-6-6-1 (tanh, 67 parameters) on 60 points, hinge loss'
    assert (net.points, net.labels) == moons(60, noise=0.1, seed=0)
    live = page_json(walk)['live']
    assert page_json(walk)['modes'] == ['explore', 'train']
    names = live['names']
    assert [names[i] for i in live['inputs']] == ['x0', 'x1']
    network = live['network']
    assert [names[p] for p in network['parameters']] == [p.label for p in net.model.parameters()]
    assert len(network['points']) == 60 and network['rate'] == 1.0
    # every weight's arrow says which neuron it feeds and which weight it is
    assert len(network['via']) == 2 * 6 + 6 * 6 + 6 * 1
    assert sorted(v[1] for v in network['via'].values()) == sorted(
        w.label for layer in net.model.layers for neuron in layer.neurons for w in neuron.weights)


def test_picture_has_a_box_per_input_and_neuron_and_an_arrow_per_weight():
    walk = network_walkthrough()
    page = walk.html()
    for layout in ('LR', 'TB'):
        found = re.search(rf'<svg class="graph network" data-layout="{layout}".*?</svg>', page, re.S)
        picture = found.group(0)
        boxes = re.findall(r'<g class="value (\w+)" data-i="(\d+)"', picture)
        labels = [walk.order[int(i)].label for _, i in boxes]
        assert labels == ['x0', 'x1', *(f'L1.n{k}' for k in range(6)), *(f'L2.n{k}' for k in range(6)),
                          'score', 'y', 'loss']
        weights = re.findall(r'<path class="edge weight" data-e="(\d+)" data-w="(\d+)"', picture)
        assert len(weights) == 54
        for e, w in weights:  # the arrow stands for the product weight·input its weight is in
            product = walk.order[int(e) // 2]
            assert product.op == 'mul' and walk.order[int(w)] in product.parents


def test_table_lists_the_point_the_neurons_the_loss_and_the_parameters():
    walk = network_walkthrough(MLP(2, [2, 1], seed=0))
    rows = re.findall(r'<tr data-node="([^"]+)"', walk.html())
    assert rows == ['x0', 'x1', 'y', 'L1.n0', 'L1.n1', 'score', 'loss', 'L1.n0.w0', 'L1.n0.w1', 'L1.n0.b',
                    'L1.n1.w0', 'L1.n1.w1', 'L1.n1.b', 'L2.n0.w0', 'L2.n0.w1', 'L2.n0.b']


def test_the_model_is_not_changed_and_the_chosen_point_is_shown_first():
    model = MLP(2, [4, 1], seed=1)
    before = [p.data for p in model.parameters()]
    walk = network_walkthrough(model, point=7)
    x0, x1, y = walk.network.inputs
    assert [x0.data, x1.data, y.data] == [*walk.network.points[7], walk.network.labels[7]]
    assert page_json(walk)['live']['network']['chosen'] == 7
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize('kwargs, error, words', [
    ({'model': Value(1.0)}, TypeError, 'needs an MLP'),
    ({'model': MLP(3, [2, 1])}, ValueError, 'needs 2 inputs and 1 output'),
    ({'model': MLP(2, [2, 2])}, ValueError, 'needs 2 inputs and 1 output'),
    ({'model': MLP(2, [30, 30, 1])}, ValueError, f'reads at most {MAX_PARAMETERS}'),
    ({'points': [[0.0, 1.0]]}, ValueError, 'give both points and labels'),
    ({'points': [[0.0, 1.0]], 'labels': [1, -1]}, ValueError, '1 points, 2 labels'),
    ({'points': [[0.0, float('nan')]], 'labels': [1]}, ValueError, 'points[0] must be two finite numbers'),
    ({'points': [[0.0]], 'labels': [1]}, ValueError, 'points[0] must be two finite numbers'),
    ({'points': 'ab', 'labels': [1]}, ValueError, 'points must be a non-empty list'),
    ({'points': [[0.0, 1.0]], 'labels': [2]}, ValueError, 'labels[0] must be +1'),
    ({'points': [[0.0, 1.0]], 'labels': [True]}, ValueError, 'labels[0] must be +1'),
    ({'points': [[0.0, 1.0]] * (MAX_POINTS + 1), 'labels': [1] * (MAX_POINTS + 1)}, ValueError,
     f'at most {MAX_POINTS} points'),
    ({'points': [[1e308, 0.0], [-1e308, 0.0]], 'labels': [1, -1]}, ValueError,
     'x0 goes from -1e+308 to 1e+308'),
    ({'point': 60}, ValueError, 'point must be the index of a point, 0 to 59'),
    ({'point': -1}, ValueError, 'point must be the index of a point'),
    ({'point': True}, ValueError, 'point must be the index of a point'),
    ({'learning_rate': 0}, ValueError, 'learning_rate must be a positive number'),
    ({'learning_rate': math.inf}, ValueError, 'learning_rate must be a positive number'),
])
def test_bad_arguments_are_refused_with_what_is_wrong(kwargs, error, words):
    with pytest.raises(error) as raised:
        network_walkthrough(**kwargs)
    assert words in str(raised.value)


def test_labels_zero_count_as_the_negative_class():
    walk = network_walkthrough(MLP(2, [2, 1], seed=0), [[0.0, 0.0], [1.0, 1.0]], [0, 1])
    assert walk.network.labels == [-1, 1]


def test_a_network_walkthrough_says_what_it_is_and_has_no_gif(tmp_path):
    walk = network_walkthrough()
    assert str(walk).startswith('The page of an MLP 2-6-6-1 (tanh, 67 parameters) on 60 points, hinge loss: '
                                "one point's graph of 194 values, trained live")
    with pytest.raises(ValueError, match='no steps to animate'):
        walk.save(tmp_path / 'network.gif')
    assert list(tmp_path.iterdir()) == []


def test_a_graph_too_large_to_step_through_says_so_in_words_and_has_no_gif(tmp_path):
    from microgradnode import walkthrough
    x = Value(1.0, 'x')
    y = x
    for _ in range(40):
        y = y * 1.01 + x
    walk = walkthrough(y, max_nodes=1000)
    assert walk.frames == []
    assert 'has 121 values, more than 60: too many to step through' in walk.text()
    with pytest.raises(ValueError, match='no steps to animate'):
        walk.gif()


def test_walkthrough_given_a_model_points_to_the_network_page():
    from microgradnode import walkthrough
    with pytest.raises(TypeError, match=r'walkthrough needs a Value, not MLP; a network trained on points '
                                        r'has its own page: network_walkthrough\(model, points, labels\)'):
        walkthrough(MLP(2, [1]))
