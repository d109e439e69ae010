"""Neural networks built from Values: ``Neuron``, ``Layer`` and ``MLP``.

Nothing here knows a derivative. A neuron is a weighted sum of its inputs, plus a
bias, passed through an activation; each of those is an operation of the engine, so
``loss.backward()`` trains any network made of them, from the seed's two-node chain
to a classifier with hundreds of weights.

Weights start uniform in [-1, 1] and biases at 0. With ``seed=...`` they are drawn from
``random.Random(seed)``: the same seed always gives the same network. Without a seed
they come from Python's global ``random``, in the order micrograd's ``nn`` draws them,
so that micrograd's demo run with ``random.seed(1337)`` gets micrograd's very weights
(and prints micrograd's losses step for step).

>>> from microgradnode.nn import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> model
MLP(2 -> [4, 1], 17 parameters)
  (0): Layer(2 -> 4, relu, 12 parameters)
  (1): Layer(4 -> 1, linear, 5 parameters)
>>> score = model([0.5, -1.0])
>>> score.backward()
>>> round(score.data, 6), len(model.parameters())
(0.237903, 17)
"""

from __future__ import annotations

import functools
import numbers
import random
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .._support.extras import require
from .._support.flags import check_flag
from ..engine import Value

if TYPE_CHECKING:
    import torch

__all__ = ['ACTIVATIONS', 'Module', 'module_names', 'Neuron', 'Layer', 'MLP']

ACTIVATIONS = ('relu', 'tanh', 'sigmoid', 'linear')
"""Activation names a neuron accepts; 'linear' means none (the weighted sum itself)."""

# Our activation names and the torch.nn modules that compute the same functions.
_TORCH_ACTIVATIONS = {'relu': 'ReLU', 'tanh': 'Tanh', 'sigmoid': 'Sigmoid'}

Input = Value | float


def _check_activation(activation: object, option: str = 'activation') -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f'unknown {option} {activation!r}; choose one of: {", ".join(ACTIVATIONS)}')
    return activation


def _check_size(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f'{what} must be a positive integer, not {n!r}')
    return int(n)


class _Uniform(Protocol):
    """What a neuron needs of a random source: a ``random.Random``, or the ``random`` module."""

    def uniform(self, a: float, b: float) -> float: ...


def _make_rng(rng: _Uniform | None, seed: int | None) -> _Uniform:
    if rng is not None and seed is not None:
        raise ValueError('give either rng or seed, not both')
    if rng is not None:
        if not (isinstance(rng, random.Random) or rng is random):
            raise TypeError(f'rng must be a random.Random, not {type(rng).__name__}')
        return rng
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f'seed must be an integer, not {type(seed).__name__}')
    if seed is None:
        return random  # the global generator, as micrograd does: random.seed() governs it
    return random.Random(seed)


def _plural(n: int, word: str) -> str:
    return f'{n} {word}' if n == 1 else f'{n} {word}s'


def module_names(root: Value) -> dict[Value, str]:
    """Which module made each Value of ``root``'s graph: ``{value: 'L1.n3', ...}``.

    A :class:`Module` subclass's ``__call__`` records, when it returns, only its name and
    its inputs on the Values it returns (so the engine's operations and the forward pass
    pay almost nothing); this walk, run when a diagram needs it, gives every Value made
    between a call's inputs and its outputs the name of that call's module. Parameters
    and constants belong to the first module that used them; Values made outside any
    module (a loss, a penalty) and the network's inputs are not in the mapping.

    >>> model = MLP(2, [3, 1], seed=0)
    >>> score = model([1.0, 2.0])
    >>> names = module_names(score)
    >>> names[score], names[score.parents[0]], names[model.parameters()[0]]
    ('L2.n0', 'L2.n0', 'L1.n0')
    """
    from ..engine import topological_order

    order = topological_order(root)
    called = _call_names(order)
    names: dict[Value, str] = {}
    for output in order:
        record = getattr(output, '_module', None)
        if record is None or output in names:
            continue
        name, inputs = record
        name = called.get((name, id(inputs)), name)
        stop = {id(v) for v in _values_in(inputs)}
        if id(output) in stop:  # a module that returns its input unchanged made nothing
            continue
        names[output] = name
        seen = {id(output)}
        stack = list(output.parents)
        while stack:
            node = stack.pop()
            if id(node) in stop or id(node) in seen:
                continue
            seen.add(id(node))
            inner = getattr(node, '_module', None)
            if inner is not None:
                # Made by an earlier call (an inner module): skip its inside, look for
                # this call's own operations beyond the inner call's inputs.
                stack.extend(_values_in(inner[1]))
                continue
            if node not in names:
                names[node] = name
            stack.extend(node.parents)
    return names


def _call_names(order: list[Value]) -> dict[tuple[str, int], str]:
    """A name for each call of a module applied to what it made: ``body``, then ``body#2``.

    A call is told by its module's name and its inputs (one list per call). Calls on
    separate inputs (one network applied to each point of a batch) keep one name: folded,
    they are one box (and ``fold='sample'`` relies on it). But ``self.body(self.body(x))``
    folded into one box would be a cycle: when a call's inputs come from an earlier call
    of the same name, each call is named apart. A module holding others (an MLP applied
    twice) leaves no record of its own: its neurons do, all called as many times; then
    ``#2`` goes on the outer name (``body#2.L1.n0``), the shortest prefix whose every
    recorded name was called that many times.
    """
    calls: dict[str, list[int]] = {}
    last: dict[str, list[Value]] = {}  # the inputs of each name's last call
    for node in order:
        record = getattr(node, '_module', None)
        if record is not None:
            seen = calls.setdefault(record[0], [])
            if id(record[1]) not in seen:
                seen.append(id(record[1]))
                last[record[0]] = _values_in(record[1])
    chained = {name for name, keys in calls.items() if len(keys) > 1 and _made_by(last[name], name)}
    renamed: dict[tuple[str, int], str] = {}
    for name, keys in calls.items():
        if name not in chained:
            continue
        parts = name.split('.')
        for length in range(1, len(parts) + 1):
            prefix = '.'.join(parts[:length])
            if all(len(other) == len(keys) and full in chained for full, other in calls.items()
                   if full == prefix or full.startswith(prefix + '.')):
                break
        rest = name[len(prefix):]
        for number, key in enumerate(keys[1:], 2):
            renamed[name, key] = f'{prefix}#{number}{rest}'
    return renamed


def _made_by(inputs: list[Value], name: str) -> bool:
    """Whether a call of module ``name`` made one of ``inputs`` or anything they were computed from."""
    stack, seen = list(inputs), set()
    while stack:
        node = stack.pop()
        if id(node) in seen or node.is_leaf:
            continue
        seen.add(id(node))
        record = getattr(node, '_module', None)
        if record is not None and record[0] == name:
            return True
        stack.extend(node.parents)
    return False


def _values_in(obj: object) -> list[Value]:
    """The Values of a call's argument or result: a Value, or any collection of them (a list, an array).

    Only collections are looked into (sized containers, which can be read again): a
    generator, a ``map`` or any other iterator is the caller's to consume, and reading it
    here would hand the caller nothing. Its Values are not recorded.
    """
    if isinstance(obj, Value):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [v for v in obj if isinstance(v, Value)]
    if isinstance(obj, (str, bytes, dict)) or not isinstance(obj, Collection):
        return []
    try:
        return [v for v in obj if isinstance(v, Value)]
    except TypeError:  # not iterable
        return []


def _children(module: Module) -> list[tuple[str, Module]]:
    """A module's sub-modules held in attributes (or lists of them), with the attribute's name."""
    found: list[tuple[str, Module]] = []
    for attribute, child in vars(module).items():
        if isinstance(child, Module):
            found.append((attribute, child))
        elif isinstance(child, (list, tuple)):
            found += [(f'{attribute}{i}', c) for i, c in enumerate(child) if isinstance(c, Module)]
        elif isinstance(child, dict):  # named by their keys: heads.mean, heads.spread
            found += [(f'{attribute}.{key}', c) for key, c in child.items() if isinstance(c, Module)]
    return found


def _name_children(module: Module) -> None:
    """Name a module's unnamed sub-modules after its attributes (``fc``, ``heads0``, ``fc.n1``)."""
    prefix = f'{module.name}.' if module.name else ''
    for attribute, child in _children(module):
        if not child.name:
            child.name = prefix + attribute
            _prefix_below(child, f'{child.name}.')


def _prefix_below(module: Module, prefix: str) -> None:
    """Put ``prefix`` before the names below a module just named (an MLP's ``L1.n0`` in
    ``self.body`` becomes ``body.L1.n0``); unnamed ones get their attribute's name."""
    for attribute, child in _children(module):
        child.name = prefix + child.name if child.name else f'{module.name}.{attribute}'
        child._children_named = True
        _prefix_below(child, prefix)


def _recording(call: Any) -> Any:
    """``call`` that, when it returns, records this module and the call's inputs on its outputs."""
    @functools.wraps(call)
    def recording_call(self: Module, *args: Any, **kwargs: Any) -> Any:
        if not self._children_named:
            _name_children(self)
            self._children_named = True
        result = call(self, *args, **kwargs)
        inputs = None
        # Only a record of the call, no walk: module_names() works out the rest when a
        # diagram asks. The innermost call records first (a layer returns its neurons'
        # outputs as they are): a Value's record is never overwritten.
        for output in (result,) if type(result) is Value else _values_in(result):
            try:
                output._module  # noqa: B018 (raises when not recorded yet)
            except AttributeError:
                if inputs is None:
                    inputs = [v for arg in (*args, *kwargs.values()) for v in _values_in(arg)]
                output._module = (self.name or _unnamed(self), inputs)
        return result
    recording_call._records_module = True  # type: ignore[attr-defined]
    return recording_call


_UNNAMED: dict[str, int] = {}  # class name -> how many of its unnamed modules were called


def _unnamed(module: Module) -> str:
    """A name for a module nobody named, unique in this process: ``Neuron``, ``Neuron_2``, ...

    Given at its first call, so that two unnamed neurons never share a box in a diagram.
    """
    if not module._unnamed_name:
        kind = type(module).__name__
        count = _UNNAMED[kind] = _UNNAMED.get(kind, 0) + 1
        module._unnamed_name = kind if count == 1 else f'{kind}_{count}'
    return module._unnamed_name


def _records_itself(call: Any) -> Any:
    """Mark a ``__call__`` that records its module itself (or makes no Value of its own), so
    that it is not wrapped: a network's forward pass calls Neuron, Layer and MLP thousands of
    times, and the generic wrapper would cost several percent of a training step."""
    call._records_module = True
    return call


class Module:
    """Anything with trainable parameters (Values whose ``data`` an optimizer changes).

    Subclasses' ``__call__`` record on the Values they return which module made them
    (read back by :func:`module_names`): the module's ``name`` (``'L1.n3'`` for neuron 3 of layer 1), or for
    a user's module without one its attribute name in the module that holds it, else
    its class name.
    """

    name = ''
    _children_named = False
    _unnamed_name = ''

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        call = cls.__dict__.get('__call__')
        if call is not None and not getattr(call, '_records_module', False):
            cls.__call__ = _recording(call)  # type: ignore[method-assign]

    def __call__(self, x: Sequence[Input]) -> Any:
        """The module's output for inputs ``x``: a Value, or a list of Values (each subclass says)."""
        raise NotImplementedError(f'{type(self).__name__} does not define __call__')

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order (the order ``load_parameters`` uses).

        >>> [p.label for p in Neuron(2).parameters()]
        ['w0', 'w1', 'b']
        """
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0, before the next ``backward()``.

        >>> n = Neuron(2, seed=1); n([1.0, 2.0]).backward(); n.zero_grad()
        >>> [p.grad for p in n.parameters()]
        [0.0, 0.0, 0.0]
        """
        for p in self.parameters():
            p.grad = 0.0

    def load_parameters(self, values: Iterable[float]) -> None:
        """Overwrite the parameters' data, in ``parameters()`` order (for chosen weights).

        >>> n = Neuron(2, activation='linear'); n.load_parameters([2.0, 3.0, 1.0])
        >>> n([1.0, 1.0]).data
        6.0
        """
        params = self.parameters()
        numbers_ = [v.data if isinstance(v, Value) else Value(v).data for v in values]
        if len(numbers_) != len(params):
            raise ValueError(f'{type(self).__name__} has {len(params)} parameters, '
                             f'got {len(numbers_)} values')
        for p, x in zip(params, numbers_):
            p.data = x


class Neuron(Module):
    """``activation(w · x + b)``: one weight per input, an optional bias.

    >>> n = Neuron(1, activation='sigmoid', bias=False)
    >>> n.load_parameters([2.0])
    >>> n
    Neuron(1 -> 1, sigmoid, no bias, 1 parameter)
    >>> round(n([2.0]).data, 6)
    0.982014
    """

    def __init__(self, nin: int, *, activation: str = 'relu', bias: bool = True,
                 rng: _Uniform | None = None, seed: int | None = None, name: str = '') -> None:
        self.nin = _check_size(nin, 'nin (number of inputs)')
        self.activation = _check_activation(activation)
        check_flag(bias, 'bias')
        rng = _make_rng(rng, seed)
        # Labels name each weight in diagrams: 'L1.n0.w1' is layer 1, neuron 0, input 1.
        self.name = name
        prefix = f'{name}.' if name else ''
        self.weights = [Value(rng.uniform(-1.0, 1.0), f'{prefix}w{i}') for i in range(self.nin)]
        self.bias = Value(0.0, f'{prefix}b') if bias else None

    @_records_itself
    def __call__(self, x: Sequence[Input]) -> Value:
        if len(x) != self.nin:
            raise ValueError(f'{type(self).__name__} expected {self.nin} inputs, got {len(x)}')
        # Start from the bias (or the first product) rather than sum()'s 0, so the graph
        # holds only the operations of the formula.
        pairs = zip(self.weights, x)
        if self.bias is None:
            w, xi = next(pairs)
            act = w * xi
        else:
            act = self.bias
        for w, xi in pairs:
            act = act + w * xi
        if self.activation != 'linear':
            act = getattr(act, self.activation)()
        # One tuple per call (name, inputs), nothing else: each container allocated brings the
        # garbage collector's next pass closer, and a training step makes thousands of these.
        act._module = (self.name or _unnamed(self), x)  # a new Value
        return act

    def parameters(self) -> list[Value]:
        return self.weights if self.bias is None else [*self.weights, self.bias]

    def __repr__(self) -> str:
        bias = '' if self.bias is not None else ', no bias'
        return (f'Neuron({self.nin} -> 1, {self.activation}{bias}, '
                f'{_plural(len(self.parameters()), "parameter")})')


class Layer(Module):
    """``nout`` neurons that all read the same inputs; returns a list of ``nout`` Values.

    >>> layer = Layer(3, 2, activation='tanh', seed=0)
    >>> layer
    Layer(3 -> 2, tanh, 8 parameters)
    >>> len(layer([1.0, 0.0, -1.0]))
    2
    """

    def __init__(self, nin: int, nout: int, *, activation: str = 'relu', bias: bool = True,
                 rng: _Uniform | None = None, seed: int | None = None, name: str = '') -> None:
        self.nin = _check_size(nin, 'nin (number of inputs)')
        self.nout = _check_size(nout, 'nout (number of neurons)')
        self.activation = _check_activation(activation)
        rng = _make_rng(rng, seed)
        self.name = name
        prefix = f'{name}.' if name else ''
        self.neurons = [Neuron(nin, activation=activation, bias=bias, rng=rng, name=f'{prefix}n{j}')
                        for j in range(self.nout)]

    @_records_itself  # its Values are its neurons'
    def __call__(self, x: Sequence[Input]) -> list[Value]:
        if len(x) != self.nin:
            raise ValueError(f'Layer expected {self.nin} inputs, got {len(x)}')
        return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self) -> str:
        bias = '' if self.neurons[0].bias is not None else ', no bias'
        return (f'Layer({self.nin} -> {self.nout}, {self.activation}{bias}, '
                f'{_plural(len(self.parameters()), "parameter")})')


class MLP(Module):
    """A multilayer perceptron: layers of sizes ``nouts``, each feeding the next.

    Hidden layers use ``activation``, the last one ``output_activation`` ('linear' by
    default: a raw score or logit, which the losses expect). With one output, calling
    the MLP returns a Value; otherwise a list of Values.

    The seed's two-node network is ``MLP(1, [1, 1, 1], activation='sigmoid',
    bias=False)`` with weights 2, 1 and 0.5:

    >>> two_node = MLP(1, [1, 1, 1], activation='sigmoid', bias=False)
    >>> two_node.load_parameters([2.0, 1.0, 0.5])
    >>> two_node([2.0]).data
    0.36375380675182073
    """

    def __init__(self, nin: int, nouts: Sequence[int], *, activation: str = 'relu',
                 output_activation: str = 'linear', bias: bool = True, seed: int | None = None) -> None:
        self.nin = _check_size(nin, 'nin (number of inputs)')
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f'nouts must be a non-empty list of layer sizes, not {nouts!r}')
        self.nouts = [_check_size(n, 'each layer size in nouts') for n in nouts]
        _check_activation(activation)
        _check_activation(output_activation, 'output_activation')
        rng = _make_rng(None, seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], bias=bias, rng=rng, name=f'L{i + 1}',
                             activation=output_activation if i == last else activation)
                       for i in range(len(self.nouts))]

    @_records_itself  # its Values are its layers'
    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        if len(x) != self.nin:
            raise ValueError(f'MLP expected {self.nin} inputs, got {len(x)}')
        outputs = self.layers[0](x)
        for layer in self.layers[1:]:
            outputs = layer(outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def to_torch(self) -> torch.nn.Sequential:
        """The same network in PyTorch: ``Linear`` layers (float64, these weights) and activations.

        Outputs and gradients agree with this MLP's to rounding. The weights are copied:
        training one does not change the other (:meth:`from_torch` reads them back).
        torch is imported only here.

        >>> model = MLP(2, [3, 1], activation='tanh', seed=0)
        >>> model.to_torch()  # doctest: +SKIP
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): Tanh()
          (2): Linear(in_features=3, out_features=1, bias=True)
        )
        """
        torch = require('torch', 'MLP.to_torch and MLP.from_torch', install='pip install torch')
        modules = []
        for layer in self.layers:
            has_bias = layer.neurons[0].bias is not None
            linear = torch.nn.Linear(layer.nin, layer.nout, bias=has_bias, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor([[w.data for w in n.weights] for n in layer.neurons],
                                                 dtype=torch.float64))
                if has_bias:
                    linear.bias.copy_(torch.tensor([n.bias.data for n in layer.neurons],  # type: ignore[union-attr]
                                                   dtype=torch.float64))
            modules.append(linear)
            if layer.activation != 'linear':
                modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[layer.activation])())
        return torch.nn.Sequential(*modules)

    @classmethod
    def from_torch(cls, module: torch.nn.Sequential) -> MLP:
        """An MLP with the weights of a ``torch.nn.Sequential`` of ``Linear`` layers and activations.

        Each ``Linear`` may be followed by one of ``ReLU``, ``Tanh``, ``Sigmoid`` or
        ``Identity``; the hidden layers share one activation, the last may differ (as
        :class:`MLP` itself allows), and either every layer has a bias or none has.

        For example (torch is not needed to import this module, so not run as a doctest)::

            net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
            MLP.from_torch(net)   # MLP(2 -> [4, 1], 17 parameters)
        """
        torch = require('torch', 'MLP.to_torch and MLP.from_torch', install='pip install torch')
        if not isinstance(module, torch.nn.Sequential):
            raise TypeError(f'from_torch needs a torch.nn.Sequential, not {type(module).__name__}')
        names = {module_name: ours for ours, module_name in _TORCH_ACTIVATIONS.items()}
        names['Identity'] = 'linear'
        linears: list[Any] = []
        activations: list[str] = []
        chosen: set[int] = set()  # the Linear layers (numbered from 1) already given an activation
        for index, part in enumerate(module):
            kind = type(part).__name__
            if isinstance(part, torch.nn.Linear):
                if linears and part.in_features != linears[-1].out_features:
                    raise ValueError(f'layer ({index}): Linear takes {part.in_features} inputs but the layer '
                                     f'before it gives {linears[-1].out_features}')
                linears.append(part)
                activations.append('linear')
            elif kind in names and linears and len(linears) not in chosen:
                activations[-1] = names[kind]
                chosen.add(len(linears))
            else:
                raise ValueError(f'layer ({index}): cannot convert {kind} here; an MLP is Linear layers, '
                                 'each followed by at most one of ReLU, Tanh, Sigmoid, Identity')
        if not linears:
            raise ValueError('from_torch needs at least one Linear layer')
        hidden = set(activations[:-1])
        if len(hidden) > 1:
            raise ValueError(f'the hidden layers use different activations ({", ".join(sorted(hidden))}); '
                             'an MLP has one activation for all hidden layers')
        with_bias = {linear.bias is not None for linear in linears}
        if len(with_bias) > 1:
            raise ValueError('some Linear layers have a bias and some do not; an MLP has all or none')
        model = cls(linears[0].in_features, [linear.out_features for linear in linears],
                    activation=hidden.pop() if hidden else 'relu', output_activation=activations[-1],
                    bias=with_bias.pop(), seed=0)
        numbers_: list[float] = []
        for linear in linears:
            weight = linear.weight.detach().to(torch.float64).tolist()
            bias = linear.bias.detach().to(torch.float64).tolist() if linear.bias is not None else None
            for j, row in enumerate(weight):
                numbers_ += row
                if bias is not None:
                    numbers_.append(bias[j])
        model.load_parameters(numbers_)
        return model

    def __repr__(self) -> str:
        lines = [f'MLP({self.nin} -> {self.nouts}, {_plural(len(self.parameters()), "parameter")})']
        lines += [f'  ({i}): {layer!r}' for i, layer in enumerate(self.layers)]
        return '\n'.join(lines)
