"""One element of a tensor gradient, explained twice: by the tensor rules and by scalar paths.

``explain(loss, W, (0, 1))`` expands the program to scalars (:func:`.expand`), lists the
scalar chain-rule paths from ``W[0,1]`` to the loss with their products (the scalar
engine's :func:`~microgradnode.explain`), and sets beside them the vector-Jacobian
rules of the tensor operations those paths go through (``dL/dA = dL/dY · Bᵀ``,
``summed over the broadcast axes``), each with the number backward() gives.

>>> from microgradnode.tensor import Tensor
>>> X = Tensor([[1.0, 2.0], [3.0, 4.0]], 'X'); W = Tensor([[0.5], [-1.0]], 'W')
>>> loss = (X @ W).sum(); loss.label = 'L'
>>> e = explain(loss, W, (0, 0))
>>> e.gradient, e.path_sum, len(e.scalar.paths)
(4.0, 4.0, 2)
>>> print(e.text().splitlines()[0])
dL/dW[0,0] = 4 (backward on tensors) = 4 (sum of 2 scalar paths)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..formulas.explain import Explanation
from ..formulas.explain import explain as explain_scalar
from ..ops.table import OPS
from .core import Tensor, _backward_order, _propagate
from .expansion import expand
from .rules import edge_rule, name

__all__ = ['explain', 'TensorExplanation']


@dataclass(frozen=True)
class TensorExplanation:
    """d output / d input[index]: the tensor rules on the way, and the scalar paths."""

    output_name: str
    input_name: str
    index: tuple[int, ...]
    gradient: float                           # from backward on tensors
    rules: tuple[tuple[str, str, str], ...]   # (operation, shapes, its VJP rule), input first
    scalar: Explanation                       # the expanded graph's paths
    numbers: tuple[str, ...] = ()             # the input's own rules, worked out for this element

    @property
    def path_sum(self) -> float:
        return self.scalar.path_sum

    def text(self, *, number_format: str = '.4g') -> str:
        element = f'{self.input_name}[{",".join(map(str, self.index))}]' if self.index else self.input_name
        count = len(self.scalar.paths)
        lines = [f'd{self.output_name}/d{element} = {self.gradient:{number_format}} (backward on tensors) '
                 f'= {self.path_sum:{number_format}} (sum of {count} scalar path{"s" * (count != 1)})', '',
                 'The tensor view: each operation hands back a vector-Jacobian product, never a Jacobian:']
        lines += [f'  {op} {shapes}: {rule}' for op, shapes, rule in self.rules]
        if self.numbers:
            lines += ['', f'For {element}, the rule of the operation that reads it, with numbers:']
            lines += [f'  {line}' for line in self.numbers]
        lines += ['', 'The scalar view: the same number as a sum over paths of the expanded graph:', '']
        scalar_text = self.scalar.text(number_format=number_format)
        lines += ['  ' + line if line else '' for line in scalar_text.splitlines()]
        return '\n'.join(lines)

    def __str__(self) -> str:
        return self.text()


def _between(output: Tensor, input: Tensor) -> list[tuple[Tensor, int]]:  # noqa: A002
    """(node, parent position) of every edge on a path from ``input`` to ``output``, input first."""
    order = _backward_order(output)
    reaches = {input}
    for node in reversed(order):  # parents first
        if any(p in reaches for p in node.parents):
            reaches.add(node)
    edges = []
    for node in reversed(order):
        for position, parent in enumerate(node.parents):
            if parent in reaches and node in reaches:
                edges.append((node, position))
    return edges


def explain(output: Tensor, input: Tensor, index: tuple[int, ...] | int = (), *,  # noqa: A002
            max_paths: int = 10) -> TensorExplanation:
    """Explain element ``index`` of d output / d input (``output`` must hold one number)."""
    if not isinstance(output, Tensor) or not isinstance(input, Tensor):
        raise TypeError('explain() needs Tensors: the output and one of its inputs')
    if output.size != 1:
        raise ValueError(f'explain(): the output must hold one number (a loss), not shape {output.shape}')
    index = (index,) if isinstance(index, int) else tuple(index)
    if len(index) != input.ndim or any(not 0 <= i < n for i, n in zip(index, input.shape)):
        raise IndexError(f'explain(): index {index} does not name an element of shape {input.shape}')
    edges = _between(output, input)
    if not edges and output is not input:
        raise ValueError('explain(): the output does not depend on this input')
    gradients = _propagate(output, np.ones(output.shape))
    gradient = float(gradients[input][index]) if input in gradients else 0.0
    scalars = expand(output)
    out_value = scalars.output.reshape(()).item()
    in_value = scalars.inputs[input][index]
    output_name = output.label or 'L'
    out_value.label = out_value.label or output_name
    scalar = explain_scalar(out_value, in_value, max_paths=max_paths)
    rules = tuple((node.op, f'{node.parents[position].shape} → {node.shape}', edge_rule(node, position))
                  for node, position in edges)
    input_name = input.label or 'x'
    worked = tuple(_worked(node, position, index, gradients, input_name, number_format='.4g')
                   for node, position in edges if node.parents[position] is input)
    return TensorExplanation(output_name, input_name, index, gradient, rules, scalar, worked)


def _element(base: str, index: tuple[int, ...]) -> str:
    return f'{base}[{",".join(map(str, index))}]' if index else base


def _worked(node: Tensor, position: int, index: tuple[int, ...], gradients: dict[Tensor, np.ndarray],
            input_name: str, *, number_format: str) -> str:
    """One element of the input's gradient through ``node``, as the sum the rule stands for."""
    upstream = gradients.get(node, np.zeros(node.shape))
    parents = node.parents
    y = f'dL/d{name(node)}'
    fmt = f'{{:{number_format}}}'
    if node.op == 'matmul' and all(p.ndim == 2 for p in parents):
        a, b = (p.data for p in parents)
        other = name(parents[1 - position])
        if position == 0:  # dL/dA[i,j] = sum over k of dL/dY[i,k] · B[j,k]
            i, j = index
            terms = [(upstream[i, k], b[j, k]) for k in range(b.shape[1])]
            head = f'dL/d{_element(input_name, index)} = Σₖ {y}[{i},k] · {other}[{j},k]'
        else:  # dL/dB[j,k] = sum over i of A[i,j] · dL/dY[i,k]
            j, k = index
            terms = [(a[i, j], upstream[i, k]) for i in range(a.shape[0])]
            head = f'dL/d{_element(input_name, index)} = Σᵢ {other}[i,{j}] · {y}[i,{k}]'
        products = ' + '.join(f'{fmt.format(x)}·{fmt.format(y)}' for x, y in terms)
        return f'{head} = {products} = {fmt.format(sum(x * y for x, y in terms))}'
    if node.op in OPS:
        source = parents[position]
        if source.shape != node.shape:  # broadcast: every output element this one was copied to
            spread = np.broadcast_to(np.arange(source.size).reshape(source.shape), node.shape)
            flat = int(np.ravel_multi_index(index, source.shape)) if index else 0
            places = [tuple(int(i) for i in p) for p in np.argwhere(spread == flat)]
            with np.errstate(all='ignore'):
                total = float(gradients[source][index]) if source in gradients else 0.0
            shown = ', '.join(_element(name(node), p) for p in places[:6])
            shown += ', ...' if len(places) > 6 else ''
            return (f'dL/d{_element(input_name, index)} = sum over the {len(places)} places it was broadcast '
                    f'to, {shown}, of {y} ⊙ {OPS[node.op].local[position]} = {fmt.format(total)}')
    value = float(gradients[parents[position]][index]) if parents[position] in gradients else 0.0
    return f'{edge_rule(node, position)}: element {_element(input_name, index)} = {fmt.format(value)}'
