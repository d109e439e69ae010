"""One model at two levels: nn.MLP and its tensor form give the same losses and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from microgradnode.datasets import moons
from microgradnode.losses import hinge

from microgradnode.nn import MLP as ScalarMLP  # noqa: N811 - the scalar MLP beside the tensor one
from microgradnode.tensor import Tensor
from microgradnode.tensor.models import MLP


def test_an_mlp_converts_to_its_tensor_form_and_back():
    scalar = ScalarMLP(2, [16, 16, 1], seed=0)
    tensor = MLP.from_mlp(scalar)
    assert repr(tensor) == 'MLP(2 -> [16, 16, 1], relu, 337 parameters)'
    assert [w.shape for w in tensor.weights] == [(16, 2), (16, 16), (1, 16)]
    other = ScalarMLP(2, [16, 16, 1], seed=1)
    tensor.load_into(other)
    assert [p.data for p in other.parameters()] == [p.data for p in scalar.parameters()]
    with pytest.raises(ValueError, match='other sizes'):
        tensor.load_into(ScalarMLP(2, [8, 1], seed=0))
    with pytest.raises(TypeError, match='needs a microgradnode.nn.MLP'):
        MLP.from_mlp(object())


def test_the_moons_loss_and_gradients_agree_at_both_levels():
    points, labels = moons(100, noise=0.1, seed=0)
    scalar = ScalarMLP(2, [16, 16, 1], seed=0)
    tensor = MLP.from_mlp(scalar)
    scores = [scalar(point) for point in points]
    loss = hinge(scores, labels, l2=1e-4, parameters=scalar.parameters())
    loss.backward()

    batch = tensor(Tensor(points)).reshape(len(points))
    squares = sum((p * p).sum() for p in tensor.parameters())
    tensor_loss = (1.0 - Tensor(labels) * batch).relu().mean() + 1e-4 * squares
    tensor_loss.backward()
    assert tensor_loss.item() == pytest.approx(loss.data, abs=1e-9)
    ours = np.concatenate([np.column_stack([w.grad, b.grad]).ravel()
                           for w, b in zip(tensor.weights, tensor.biases or [])])
    np.testing.assert_allclose(ours, [p.grad for p in scalar.parameters()], rtol=1e-9, atol=1e-12)


def test_activations_and_layers_are_checked():
    with pytest.raises(ValueError, match='activation must be one of'):
        MLP([np.ones((2, 2))], activation='gelu')
    with pytest.raises(ValueError, match='W2 takes 3 inputs but W1 gives 2'):
        MLP([np.ones((2, 2)), np.ones((1, 3))])
