"""Random tensor programs over every operation, replayable on another engine.

A program is built by running microgradnode's Tensors while writing down each
instruction; :func:`replay` runs the same instructions on PyTorch. Domains are kept
safe by construction (log and sqrt see a softplus plus a margin, a division a
denominator of 1 + x², a fractional power a positive base), so every program runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from microgradnode.ops.table import OPS
from microgradnode.tensor import Tensor, concatenate, cross_entropy, log_softmax, softmax, stack

UNARY = [name for name, op in OPS.items() if op.arity == 1 and not op.constant]
BINARY = [name for name, op in OPS.items() if op.arity == 2]
STRUCTURAL = ['sum', 'mean', 'reshape', 'transpose', 'broadcast_to', 'matmul', 'getitem', 'gather',
              'concatenate', 'stack', 'max', 'softmax', 'log_softmax', 'cross_entropy']
# Inputs a row needs kept inside its domain (or away from a kink): name -> how.
POSITIVE = {'log', 'sqrt'}


@dataclass
class Program:
    leaves: list[np.ndarray] = field(default_factory=list)
    steps: list[tuple[str, tuple[int, ...], dict]] = field(default_factory=list)
    output: int = -1
    ops: set[str] = field(default_factory=set)


class Builder:
    """Builds a program while running it on Tensors; ``nodes[i]`` is instruction i's result."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.program = Program()
        self.nodes: list[Tensor] = []
        self.leaf_tensors: list[Tensor] = []

    def leaf(self, shape: tuple[int, ...], fill: float | None = None) -> int:
        data = np.array([self.rng.gauss(0.0, 1.0) if fill is None else fill
                         for _ in range(int(np.prod(shape)))]).reshape(shape)
        tensor = Tensor(data, f'x{len(self.leaf_tensors)}')
        self.program.leaves.append(data)
        self.leaf_tensors.append(tensor)
        self.program.steps.append(('leaf', (len(self.program.leaves) - 1,), {}))
        self.nodes.append(tensor)
        return len(self.nodes) - 1

    def op(self, name: str, inputs: tuple[int, ...], **params: Any) -> int:
        self.program.steps.append((name, inputs, params))
        self.program.ops.add(name)
        self.nodes.append(run_ours(name, [self.nodes[i] for i in inputs], params))
        return len(self.nodes) - 1

    def shape(self, i: int) -> tuple[int, ...]:
        return self.nodes[i].shape


def run_ours(name: str, args: list[Tensor], params: dict) -> Tensor:
    if name in OPS:
        if OPS[name].constant:
            return args[0].pow(params['k'])
        return getattr(args[0], name)(*args[1:])
    if name in ('sum', 'mean'):
        return getattr(args[0], name)(params['axis'], params['keepdims'])
    if name == 'max':
        return args[0].max(params['axis'], params['keepdims'])
    if name == 'reshape':
        return args[0].reshape(params['shape'])
    if name == 'transpose':
        return args[0].transpose(params['axes'])
    if name == 'broadcast_to':
        return args[0].broadcast_to(params['shape'])
    if name == 'matmul':
        return args[0] @ args[1]
    if name == 'getitem':
        return args[0][params['index']]
    if name == 'gather':
        return args[0].gather(params['indices'], params['axis'])
    if name == 'concatenate':
        return concatenate(args, params['axis'])
    if name == 'stack':
        return stack(args, params['axis'])
    if name == 'softmax':
        return softmax(args[0], params['axis'])
    if name == 'log_softmax':
        return log_softmax(args[0], params['axis'])
    if name == 'cross_entropy':
        return cross_entropy(args[0], params['targets'])
    if name == 'scale':
        return args[0] * params['c'] + params['shift']
    raise ValueError(name)


def run_torch(torch: Any, name: str, args: list, params: dict) -> Any:
    functional = torch.nn.functional
    if name in OPS:
        if name == 'pow':
            return args[0] ** params['k']
        if name == 'powv':
            return torch.pow(args[0], args[1])
        if name == 'softplus':
            return functional.softplus(args[0])
        if name == 'step':  # 1 where positive, slope 0 (kept in the graph: 0·x carries it)
            return args[0] * 0.0 + (args[0] > 0).to(args[0].dtype)
        if name in ('add', 'sub', 'mul', 'div'):
            return getattr(torch, name)(args[0], args[1])
        return getattr(torch, name)(args[0])
    if name in ('sum', 'mean'):
        axis = params['axis']
        if axis is None:
            result = getattr(args[0], name)()
            return result.reshape((1,) * args[0].dim()) if params['keepdims'] else result
        return getattr(args[0], name)(axis, keepdim=params['keepdims'])
    if name == 'max':
        if params['axis'] is None:
            result = args[0].max()
            return result.reshape((1,) * args[0].dim()) if params['keepdims'] else result
        return args[0].max(params['axis'], keepdim=params['keepdims']).values
    if name == 'reshape':
        return args[0].reshape(params['shape'])
    if name == 'transpose':
        return args[0].permute(params['axes'])
    if name == 'broadcast_to':
        return args[0].expand(params['shape'])
    if name == 'matmul':
        return args[0] @ args[1]
    if name == 'getitem':
        index = params['index']
        def convert(part: Any) -> Any:
            return torch.as_tensor(part) if isinstance(part, np.ndarray) else part
        index = tuple(convert(p) for p in index) if isinstance(index, tuple) else convert(index)
        return args[0][index]
    if name == 'gather':
        return torch.index_select(args[0], params['axis'], torch.as_tensor(params['indices']))
    if name == 'concatenate':
        return torch.cat(args, params['axis'])
    if name == 'stack':
        return torch.stack(args, params['axis'])
    if name == 'softmax':
        return torch.softmax(args[0], params['axis'])
    if name == 'log_softmax':
        return torch.log_softmax(args[0], params['axis'])
    if name == 'cross_entropy':
        return functional.cross_entropy(args[0], torch.as_tensor(params['targets']))
    if name == 'scale':
        return args[0] * params['c'] + params['shift']
    raise ValueError(name)


def replay(program: Program, torch: Any) -> tuple[Any, list]:
    """The program on PyTorch float64 tensors: (output, leaves that require grad)."""
    leaves = [torch.tensor(data, dtype=torch.float64, requires_grad=True) for data in program.leaves]
    nodes: list = []
    for name, inputs, params in program.steps:
        if name == 'leaf':
            nodes.append(leaves[inputs[0]])
        else:
            nodes.append(run_torch(torch, name, [nodes[i] for i in inputs], params))
    return nodes[program.output], leaves


def _broadcast_partner(rng: random.Random, shape: tuple[int, ...]) -> tuple[int, ...]:
    kind = rng.randrange(4)
    if kind == 0 or not shape:
        return shape
    if kind == 1:  # fewer axes: the partner is broadcast along the leading ones
        return shape[rng.randrange(len(shape) + 1):]
    if kind == 2:  # some axes of size 1
        return tuple(1 if rng.random() < 0.5 else n for n in shape)
    return (2, *shape) if len(shape) < 3 else shape  # a new leading axis on the partner's side


def _positive(builder: Builder, i: int) -> int:
    # softplus(x) + 0.3: a positive input for log, sqrt and fractional powers.
    return builder.op('add', (builder.op('softplus', (i,)), builder.leaf((), 0.3)))


def random_program(seed: int, *, steps: int = 10, ops: list[str] | None = None) -> tuple[Builder, Program]:
    """A random program of about ``steps`` operations; ``ops`` limits which ones."""
    rng = random.Random(seed)
    builder = Builder(rng)
    choices = ops or [*UNARY, *BINARY, 'pow', *STRUCTURAL]
    first = tuple(rng.randint(1, 4) for _ in range(rng.randint(1, 3)))
    current = builder.leaf(first)
    outputs = []
    for _ in range(steps):
        name = rng.choice(choices)
        shape = builder.shape(current)
        current = _step(builder, rng, name, current, shape)
        if rng.random() < 0.3:
            outputs.append(current)
    outputs.append(current)
    # The loss: each kept result, weighted by fixed random numbers, summed to one number.
    total = None
    for i in outputs:
        weights = builder.leaf(builder.shape(i))
        term = builder.op('sum', (builder.op('mul', (i, weights)),), axis=None, keepdims=False)
        total = term if total is None else builder.op('add', (total, term))
    assert total is not None
    builder.program.output = total
    return builder, builder.program


def _step(builder: Builder, rng: random.Random, name: str, current: int, shape: tuple[int, ...]) -> int:
    if name in UNARY:
        if name in POSITIVE:
            current = _positive(builder, current)
        elif name == 'exp':
            current = builder.op('tanh', (current,))
        return builder.op(name, (current,))
    if name == 'pow':
        k = rng.choice([2.0, 3.0, -1.0, 0.5, 1.5])
        if k < 0 or not k.is_integer():
            current = _positive(builder, current)
        return builder.op('pow', (current,), k=k)
    if name in BINARY:
        other = builder.leaf(_broadcast_partner(rng, shape))
        pair = (current, other) if rng.random() < 0.5 else (other, current)
        if name == 'div':  # a denominator of 1 + x², never near zero
            denominator = builder.op('add', (builder.op('mul', (pair[1], pair[1])), builder.leaf((), 1.0)))
            pair = (pair[0], denominator)
        if name == 'powv':
            pair = (_positive(builder, pair[0]), pair[1])
        return builder.op(name, pair)
    if name in ('sum', 'mean', 'max'):
        if not shape:
            return builder.op(name, (current,), axis=None, keepdims=False)
        axis = None if rng.random() < 0.3 else rng.randrange(-len(shape), len(shape))
        if name != 'max' and axis is not None and rng.random() < 0.3 and len(shape) > 1:
            axis = (0, len(shape) - 1)
        return builder.op(name, (current,), axis=axis, keepdims=rng.random() < 0.5)
    if name == 'reshape':
        size = int(np.prod(shape))
        target = rng.choice([(size,), (1, size), (size, 1), tuple(reversed(shape)) or ()])
        return builder.op('reshape', (current,), shape=target)
    if name == 'transpose':
        axes = list(range(len(shape)))
        rng.shuffle(axes)
        return builder.op('transpose', (current,), axes=tuple(axes))
    if name == 'broadcast_to':
        if len(shape) >= 3:
            return current
        target = (rng.randint(1, 3), *(n if n != 1 else rng.randint(1, 3) for n in shape))
        return builder.op('broadcast_to', (current,), shape=target)
    if name == 'matmul':
        if not shape:
            current = builder.op('reshape', (current,), shape=(1,))
            shape = (1,)
        inner = shape[-1]
        kind = rng.randrange(3)
        other_shape: tuple[int, ...] = (inner,) if kind == 0 else (inner, rng.randint(1, 3))
        if kind == 2 and len(shape) == 1:
            other_shape = (2, inner, 2)  # a batch on the right only
        pair_other = builder.leaf(other_shape)
        if len(shape) >= 2 and rng.random() < 0.3:  # on the right: (m, n) @ (..., n, k)
            left = builder.leaf((rng.randint(1, 3), shape[-2]))
            return builder.op('matmul', (left, current))
        return builder.op('matmul', (current, pair_other))
    if name in ('getitem', 'gather'):
        if not shape:
            return current
        indices = np.array([rng.randrange(shape[0]) for _ in range(rng.randint(1, 4))])
        if name == 'gather':
            axis = rng.randrange(len(shape))
            indices = np.array([rng.randrange(shape[axis]) for _ in range(rng.randint(1, 4))])
            return builder.op('gather', (current,), indices=indices, axis=axis)
        if rng.random() < 0.5 or len(shape) == 1:
            return builder.op('getitem', (current,), index=indices)  # repeats: scatter-add
        return builder.op('getitem', (current,), index=(slice(None), rng.randrange(shape[1])))
    if name in ('concatenate', 'stack'):
        if not shape:
            return current
        axis = rng.randrange(len(shape))
        other_shape = list(shape)
        if name == 'concatenate':
            other_shape[axis] = rng.randint(1, 3)
        other = builder.leaf(tuple(other_shape))
        return builder.op(name, (current, other), axis=axis)
    if name in ('softmax', 'log_softmax'):
        if not shape:
            return current
        return builder.op(name, (current,), axis=rng.randrange(len(shape)))
    if name == 'cross_entropy':
        if len(shape) != 2:
            flat = builder.op('reshape', (current,), shape=(1, int(np.prod(shape))))
            shape = (1, int(np.prod(shape)))
            current = flat
        targets = np.array([rng.randrange(shape[1]) for _ in range(shape[0])])
        return builder.op('cross_entropy', (current,), targets=targets)
    raise ValueError(name)
