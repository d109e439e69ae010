"""A multilayer perceptron on tensors: ``nn.MLP``'s network, one matrix product per layer.

A scalar :class:`microgradnode.nn.MLP` computes each neuron as a chain of Value
products and sums; :class:`MLP` here holds each layer's weights as one matrix and
computes a whole batch with ``X @ Wᵀ + b``. :meth:`MLP.from_mlp` reads the weights of
a scalar MLP (any object shaped like one: ``layers``, each with ``neurons``, each with
``weights`` and ``bias``), and :meth:`MLP.load_into` writes them back, so that the same
network runs at both levels with the same numbers.

>>> import numpy as np
>>> from microgradnode.nn import MLP as ScalarMLP
>>> scalar = ScalarMLP(2, [3, 1], activation='tanh', seed=0)
>>> tensor = MLP.from_mlp(scalar)
>>> tensor
MLP(2 -> [3, 1], tanh, 13 parameters)
>>> out = tensor(Tensor([[0.5, -1.0]]))
>>> abs(out.item() - scalar([0.5, -1.0]).data) < 1e-12
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .core import Tensor, as_tensor

__all__ = ['MLP', 'ACTIVATIONS']

ACTIVATIONS = ('relu', 'tanh', 'sigmoid', 'linear')


class MLP:
    """Layers ``y = activation(x @ Wᵀ + b)``; the last layer uses ``output_activation``.

    ``weights[i]`` has shape (outputs, inputs), as a scalar layer's neurons are its rows.
    """

    def __init__(self, weights: Sequence[Any], biases: Sequence[Any] | None = None, *,
                 activation: str = 'relu', output_activation: str = 'linear') -> None:
        for name, value in (('activation', activation), ('output_activation', output_activation)):
            if value not in ACTIVATIONS:
                raise ValueError(f'MLP {name} must be one of {", ".join(ACTIVATIONS)}, not {value!r}')
        self.weights = [w if isinstance(w, Tensor) else Tensor(w, f'W{i + 1}') for i, w in enumerate(weights)]
        if not self.weights:
            raise ValueError('MLP needs at least one layer of weights')
        for i, w in enumerate(self.weights):
            if w.ndim != 2:
                raise ValueError(f'MLP: W{i + 1} must be a matrix (outputs, inputs), not shape {w.shape}')
            if i and w.shape[1] != self.weights[i - 1].shape[0]:
                raise ValueError(f'MLP: W{i + 1} takes {w.shape[1]} inputs but W{i} gives '
                                 f'{self.weights[i - 1].shape[0]}')
        self.biases: list[Tensor] | None = None
        if biases is not None:
            self.biases = [b if isinstance(b, Tensor) else Tensor(b, f'b{i + 1}')
                           for i, b in enumerate(biases)]
            if len(self.biases) != len(self.weights) or any(
                    b.shape != (w.shape[0],) for b, w in zip(self.biases, self.weights)):
                raise ValueError('MLP: one bias vector per layer, as long as the layer has outputs')
        self.activation = activation
        self.output_activation = output_activation

    @classmethod
    def from_mlp(cls, mlp: Any) -> MLP:
        """The tensor form of a scalar ``nn.MLP``: its weights copied into matrices."""
        try:
            layers = list(mlp.layers)
            weights = [[[w.data for w in neuron.weights] for neuron in layer.neurons] for layer in layers]
            has_bias = layers[0].neurons[0].bias is not None
            biases = ([[neuron.bias.data for neuron in layer.neurons] for layer in layers]
                      if has_bias else None)
            activations = [layer.activation for layer in layers]
        except (AttributeError, TypeError, IndexError):
            raise TypeError(f'MLP.from_mlp needs a microgradnode.nn.MLP, not {type(mlp).__name__}') from None
        hidden = activations[0] if len(activations) > 1 else 'relu'
        model = cls([np.array(w) for w in weights], None if biases is None else [np.array(b) for b in biases],
                    activation=hidden, output_activation=activations[-1])
        for i, w in enumerate(model.weights):
            w.label = f'W{i + 1}'
        return model

    def load_into(self, mlp: Any) -> Any:
        """Write these weights into a scalar ``nn.MLP`` of the same sizes; returns it.

        >>> from microgradnode.nn import MLP as ScalarMLP
        >>> a = ScalarMLP(2, [2, 1], seed=0); b = ScalarMLP(2, [2, 1], seed=1)
        >>> _ = MLP.from_mlp(a).load_into(b)
        >>> [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
        True
        """
        sizes = [w.shape[0] for w in self.weights]
        scalar_sizes = [len(layer.neurons) for layer in mlp.layers]
        if scalar_sizes != sizes or mlp.layers[0].nin != self.weights[0].shape[1]:
            raise ValueError(f'load_into: the scalar MLP has other sizes than {self!r}')
        numbers: list[float] = []
        for i, w in enumerate(self.weights):
            for j, row in enumerate(w.data.tolist()):
                numbers += row
                if self.biases is not None:
                    numbers.append(float(self.biases[i].data[j]))
        mlp.load_parameters(numbers)
        return mlp

    def __call__(self, x: Any) -> Tensor:
        """The outputs for a batch ``x`` of shape (rows, inputs): shape (rows, outputs)."""
        x = as_tensor(x)
        last = len(self.weights) - 1
        for i, w in enumerate(self.weights):
            x = x @ w.T
            if self.biases is not None:
                x = x + self.biases[i]
            activation = self.output_activation if i == last else self.activation
            if activation != 'linear':
                x = getattr(x, activation)()
        return x

    def parameters(self) -> list[Tensor]:
        if self.biases is None:
            return list(self.weights)
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = np.zeros(p.shape)

    def __repr__(self) -> str:
        sizes = [w.shape[0] for w in self.weights]
        count = sum(p.size for p in self.parameters())
        return f'MLP({self.weights[0].shape[1]} -> {sizes}, {self.activation}, {count} parameters)'
