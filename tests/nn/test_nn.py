"""Neuron, Layer and MLP: construction, errors, gradients (finite differences, PyTorch)
and the seed's two-node network as a special case."""

from __future__ import annotations

import math
import random

import pytest

from microgradnode import Value, gradcheck, twonode
from microgradnode.nn import ACTIVATIONS, MLP, Layer, Neuron
from microgradnode.nn.losses import binary_cross_entropy, hinge, mse

from ..conftest import require_module

# -- helpers --------------------------------------------------------------------------------


def neurons_of(module) -> list[Neuron]:
    if isinstance(module, Neuron):
        return [module]
    if isinstance(module, Layer):
        return module.neurons
    return [n for layer in module.layers for n in layer.neurons]


def bind(module, values) -> None:
    """Make ``values`` (Values from gradcheck) the module's parameter objects, in order."""
    values = list(values)
    i = 0
    for neuron in neurons_of(module):
        neuron.weights = values[i:i + neuron.nin]
        i += neuron.nin
        if neuron.bias is not None:
            neuron.bias = values[i]
            i += 1
    assert i == len(values)


# -- construction ---------------------------------------------------------------------------

def test_same_seed_same_network_and_different_seed_different_network():
    first = [p.data for p in MLP(2, [16, 16, 1], seed=7).parameters()]
    again = [p.data for p in MLP(2, [16, 16, 1], seed=7).parameters()]
    other = [p.data for p in MLP(2, [16, 16, 1], seed=8).parameters()]
    assert first == again
    assert first != other
    assert len(first) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1


def test_initial_weights_are_uniform_in_minus_one_one_and_biases_zero():
    model = MLP(3, [5, 2], seed=1)
    rng = random.Random(1)
    expected = [rng.uniform(-1, 1) for _ in range(3)]
    first = model.layers[0].neurons[0]
    assert [w.data for w in first.weights] == expected
    assert all(n.bias.data == 0.0 for n in neurons_of(model))
    assert all(-1 <= w.data <= 1 for n in neurons_of(model) for w in n.weights)


def test_neuron_accepts_rng_or_seed_but_not_both():
    a = Neuron(3, rng=random.Random(5))
    b = Neuron(3, seed=5)
    assert [w.data for w in a.weights] == [w.data for w in b.weights]
    with pytest.raises(ValueError, match='either rng or seed'):
        Neuron(3, rng=random.Random(5), seed=5)
    with pytest.raises(TypeError, match='random.Random'):
        Neuron(3, rng=5)


def test_parameters_are_labelled_by_layer_neuron_and_input():
    labels = [p.label for p in MLP(2, [2, 1], seed=0).parameters()]
    assert labels[:3] == ['L1.n0.w0', 'L1.n0.w1', 'L1.n0.b']
    assert labels[-1] == 'L2.n0.b'


def test_reprs_say_shape_activation_and_parameter_count():
    assert repr(Neuron(2, activation='tanh')) == 'Neuron(2 -> 1, tanh, 3 parameters)'
    assert repr(Neuron(1, bias=False)) == 'Neuron(1 -> 1, relu, no bias, 1 parameter)'
    assert repr(Layer(16, 16)) == 'Layer(16 -> 16, relu, 272 parameters)'
    assert repr(MLP(2, [16, 16, 1], activation='tanh')).splitlines() == [
        'MLP(2 -> [16, 16, 1], 337 parameters)',
        '  (0): Layer(2 -> 16, tanh, 48 parameters)',
        '  (1): Layer(16 -> 16, tanh, 272 parameters)',
        '  (2): Layer(16 -> 1, linear, 17 parameters)',
    ]


def test_single_output_is_a_value_several_outputs_a_list():
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    outputs = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 2


@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_each_activation_is_the_engine_operation_of_that_name(activation):
    neuron = Neuron(2, activation=activation, seed=3)
    neuron.load_parameters([0.5, -2.0, 0.25])
    out = neuron([1.0, 0.5])
    pre = 0.25 + 0.5 * 1.0 + -2.0 * 0.5
    expected = {'relu': max(pre, 0.0), 'tanh': math.tanh(pre), 'sigmoid': 1 / (1 + math.exp(-pre)),
                'linear': pre}[activation]
    assert out.data == pytest.approx(expected, rel=1e-15)
    assert out.op == ('add' if activation == 'linear' else activation)


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [4, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# -- bad arguments --------------------------------------------------------------------------

def test_unknown_activation_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown activation 'softmax'; choose one of: relu, tanh, "
                                         'sigmoid, linear'):
        Neuron(2, activation='softmax')
    with pytest.raises(ValueError, match="unknown output_activation 'gelu'"):
        MLP(2, [1], output_activation='gelu')
    with pytest.raises(ValueError, match='unknown activation'):
        MLP(2, [1], activation='ReLU')


def test_wrong_input_length_names_expected_and_actual():
    with pytest.raises(ValueError, match='MLP expected 2 inputs, got 3'):
        MLP(2, [4, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match='Layer expected 3 inputs, got 1'):
        Layer(3, 2)([1.0])
    with pytest.raises(ValueError, match='Neuron expected 2 inputs, got 0'):
        Neuron(2)([])


@pytest.mark.parametrize('nin', [0, -1, 2.5, True, '2'])
def test_bad_sizes_are_rejected(nin):
    with pytest.raises(ValueError, match='nin'):
        Neuron(nin)
    with pytest.raises(ValueError, match='nin'):
        MLP(nin, [2])


@pytest.mark.parametrize('nouts', [[], [2, 0], 3, '16', [2, 1.5]])
def test_bad_layer_sizes_are_rejected(nouts):
    with pytest.raises(ValueError, match='nouts|layer size'):
        MLP(2, nouts)


def test_load_parameters_needs_exactly_one_value_per_parameter():
    with pytest.raises(ValueError, match='Neuron has 3 parameters, got 2 values'):
        Neuron(2).load_parameters([1.0, 2.0])
    with pytest.raises(TypeError, match='real number'):
        Neuron(1).load_parameters(['a', 'b'])


# -- gradients against finite differences -----------------------------------------------------

@pytest.mark.parametrize('activation', ACTIVATIONS)
def test_neuron_gradients_match_finite_differences(activation):
    neuron = Neuron(3, activation=activation, seed=2)

    def f(w0, w1, w2, b, x0, x1, x2):
        bind(neuron, [w0, w1, w2, b])
        return neuron([x0, x1, x2])
    # Inputs away from the relu kink, so that the finite difference is meaningful.
    gradcheck(f, [0.3, -0.7, 0.9, 0.1, 1.5, -0.4, 0.8])


def test_layer_gradients_match_finite_differences():
    layer = Layer(2, 3, activation='tanh', seed=4)
    start = [p.data for p in layer.parameters()]

    def f(*params):
        bind(layer, params)
        outs = layer([0.6, -1.2])
        return outs[0] * 0.5 + outs[1] * outs[2]
    gradcheck(f, start)


@pytest.mark.parametrize('activation', ['tanh', 'sigmoid', 'relu'])
def test_mlp_with_each_loss_matches_finite_differences(activation):
    model = MLP(2, [4, 3, 1], activation=activation, seed=5)
    # Non-zero biases: with zero biases a relu unit whose inputs are all 0 sits exactly on
    # its kink, where a finite difference and any derivative rule must disagree.
    rng = random.Random(5)
    start = [rng.uniform(-1, 1) for _ in model.parameters()]
    points = [[0.3, -0.8], [1.1, 0.4], [-0.5, 0.9]]
    labels = [1, -1, 1]

    def loss(*params):
        bind(model, params)
        scores = [model(p) for p in points]
        return (hinge(scores, labels, l2=0.01, parameters=params)
                + binary_cross_entropy(scores, labels) + mse(scores, labels))
    gradcheck(loss, start)


# -- the seed's two-node network ------------------------------------------------------------

def two_node_from_nn(*, s0=2.0, w0=2.0, w1=1.0, w2=0.5, target=0.7):
    model = MLP(1, [1, 1, 1], activation='sigmoid', output_activation='linear', bias=False)
    model.load_parameters([w0, w1, w2])
    out = model([s0])
    loss = 0.5 * (out - target) ** 2
    loss.backward()
    return out, loss, model.parameters()


@pytest.mark.parametrize('setting', [
    {},  # the seed notebook's numbers
    {'s0': -1.5, 'w0': 0.3, 'w1': -2.0, 'w2': 1.25, 'target': 0.1},
])
def test_two_node_network_is_an_mlp_of_bias_free_sigmoid_neurons(setting):
    """Same forward value, loss and gradients as the main job's two-node network."""
    model = MLP(1, [1, 1, 1], activation='sigmoid', bias=False)
    assert [len(layer.parameters()) for layer in model.layers] == [1, 1, 1]
    assert [layer.activation for layer in model.layers] == ['sigmoid', 'sigmoid', 'linear']

    out, loss, params = two_node_from_nn(**setting)
    reference = twonode.build(**setting)
    reference.loss.backward()
    assert out.data == reference.out.data
    assert loss.data == reference.loss.data
    assert [p.grad for p in params] == [w.grad for w in reference.weights]
    assert all(p.grad != 0 for p in params)
    if not setting:
        assert out.data == 0.36375380675182073  # the value the seed notebook prints


def test_two_node_network_trained_by_sgd_follows_the_main_jobs_training():
    """nn + optim.SGD reproduce twonode.train's gradient descent, step for step."""
    from microgradnode.nn.optim import SGD
    model = MLP(1, [1, 1, 1], activation='sigmoid', bias=False)
    model.load_parameters([2.0, 1.0, 0.5])
    opt = SGD(model.parameters(), lr=0.1)
    rows = []
    for _ in range(300):
        loss = 0.5 * (model([2.0]) - 0.7) ** 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        w0, w1, w2 = (p.data for p in model.parameters())
        rows.append((w2, w1, w0))
    reference = twonode.train(steps=300, alpha=0.1, order='simultaneous')
    assert rows == [(r.w2, r.w1, r.w0) for r in reference.rows]


# -- PyTorch: the same network with the same weights -----------------------------------------

def torch_twin(model: MLP):
    """The same MLP as float64 PyTorch tensors: one weight matrix and bias vector per layer."""
    torch = require_module('torch')
    tensors = []
    for layer in model.layers:
        weight = torch.tensor([[w.data for w in n.weights] for n in layer.neurons],
                              dtype=torch.float64, requires_grad=True)
        bias = torch.tensor([n.bias.data for n in layer.neurons], dtype=torch.float64,
                            requires_grad=True)
        tensors.append((weight, bias, layer.activation))
    return tensors


def torch_forward(torch, tensors, points):
    h = torch.tensor(points, dtype=torch.float64)
    for weight, bias, activation in tensors:
        h = h @ weight.T + bias
        if activation != 'linear':
            h = getattr(torch, activation)(h)
    return h[:, 0]


def torch_grads(tensors) -> list[float]:
    """Gradients in the order of MLP.parameters(): per neuron, its weights then its bias."""
    grads = []
    for weight, bias, _ in tensors:
        for j in range(weight.shape[0]):
            grads += weight.grad[j].tolist() + [bias.grad[j].item()]
    return grads


@pytest.mark.parametrize('activation', ['relu', 'tanh', 'sigmoid'])
@pytest.mark.parametrize('loss_name', ['hinge', 'bce', 'mse'])
def test_mlp_loss_and_gradients_match_pytorch_float64(activation, loss_name):
    torch = require_module('torch')
    from microgradnode.nn.datasets import moons
    points, labels = moons(20, seed=3)
    model = MLP(2, [16, 16, 1], activation=activation, seed=11)
    tensors = torch_twin(model)
    l2 = 1e-3

    scores = [model(p) for p in points]
    ours = {'hinge': hinge, 'bce': binary_cross_entropy, 'mse': mse}[loss_name](
        scores, labels, l2=l2, parameters=model.parameters())
    ours.backward()

    s = torch_forward(torch, tensors, points)
    y = torch.tensor(labels, dtype=torch.float64)
    if loss_name == 'hinge':
        data_loss = torch.relu(1 - y * s).mean()
    elif loss_name == 'bce':
        data_loss = torch.nn.functional.binary_cross_entropy_with_logits(s, (y + 1) / 2)
    else:
        data_loss = ((s - y) ** 2).mean()
    theirs = data_loss + l2 * sum((w ** 2).sum() + (b ** 2).sum() for w, b, _ in tensors)
    theirs.backward()

    assert ours.data == pytest.approx(theirs.item(), rel=1e-12, abs=1e-15)
    expected = torch_grads(tensors)
    got = [p.grad for p in model.parameters()]
    assert len(got) == len(expected) == 337
    for g, e in zip(got, expected):
        assert g == pytest.approx(e, rel=1e-12, abs=1e-14)
