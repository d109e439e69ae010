"""Issue 22, item 23: folded diagrams give each unnamed module and each chained call its own box."""

from __future__ import annotations

import re

from microgradnode import Value, draw
from microgradnode.nn import MLP, Module, Neuron, module_names

from ..conftest import require_module


def test_unnamed_modules_and_each_call_of_a_module_get_their_own_box():
    require_module('graphviz')
    # Two unnamed Neurons in a dict were one box "Neuron: 10 operations";
    # a module applied to its own output folded into a cycle of arrows.
    class Heads(Module):
        def __init__(self):
            self.heads = {'mean': Neuron(2, seed=1), 'spread': Neuron(2, seed=2)}

        def __call__(self, x):
            return self.heads['mean'](x) * self.heads['spread'](x)

    out = Heads()([Value(0.5, 'x0'), Value(1.0, 'x1')])
    assert {'heads.mean', 'heads.spread'} <= set(module_names(out).values())
    loose = [Neuron(2, seed=1), Neuron(2, seed=2)]   # held by no module: unique names all the same
    x = [0.5, 1.0]
    product = loose[0](x) * loose[1](x)
    product.backward()
    assert len({name for name in module_names(product).values()}) == 2
    assert draw(product, fold='neuron').source.count('relu(Σ w·x + b)') == 2

    class Twice(Module):
        def __init__(self):
            self.body = Neuron(1, activation='tanh', seed=0)

        def __call__(self, x):
            return self.body([self.body(x)])

    twice = Twice()([Value(0.5, 'x')])
    twice.backward()
    assert set(module_names(twice).values()) == {'body', 'body#2'}
    source = draw(twice, fold='neuron').source
    assert 'body: tanh' in source and 'body#2: tanh' in source
    assert len(re.findall(r' -> ', source)) == 2   # x -> body -> body#2: no cycle

    class Deep(Module):
        def __init__(self):
            self.body = MLP(1, [2, 1], seed=0)

        def __call__(self, x):
            return self.body([self.body(x)])

    names = set(module_names(Deep()([Value(0.5, 'x')])).values())
    assert {'body.L1.n0', 'body#2.L1.n0', 'body#2.L2.n0'} <= names
    # One network applied to several points keeps one name per neuron (fold='sample' needs it).
    model = MLP(2, [2, 1], seed=0)
    both = model([1.0, 2.0]) + model([3.0, 1.0])
    assert set(module_names(both).values()) == {'L1.n0', 'L1.n1', 'L2.n0'}
