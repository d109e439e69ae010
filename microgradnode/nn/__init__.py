"""The neural-network library, built from Values: it knows no derivative of its own.

- ``modules``: ``Neuron``, ``Layer``, ``MLP`` and the ``Module`` base class;
- ``losses``: ``mse``, ``hinge``, ``binary_cross_entropy``, ...;
- ``optim``: ``SGD``, ``Momentum``, ``Adam``;
- ``datasets``: ``moons``, ``circles``, ``xor``;
- ``training``: the training loop (``train``), ``accuracy`` and the figures.

>>> from microgradnode.nn import MLP
>>> MLP(2, [3, 1], seed=0)
MLP(2 -> [3, 1], 13 parameters)
  (0): Layer(2 -> 3, relu, 9 parameters)
  (1): Layer(3 -> 1, linear, 4 parameters)
"""

from .modules import ACTIVATIONS, MLP, Layer, Module, Neuron, module_names

__all__ = ['ACTIVATIONS', 'Module', 'module_names', 'Neuron', 'Layer', 'MLP']
