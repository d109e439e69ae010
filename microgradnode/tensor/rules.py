"""Each edge's vector-Jacobian rule, as text: what diagrams and explanations print.

For an elementwise row the rule is the upstream gradient times the row's local
derivative (the table's formula string, with ``a``, ``b`` and ``out`` the operation's
inputs and result), summed over the broadcast axes when the input was broadcast; for a
structural operation it is the row's ``rule``. The tensors' names are put in place of
the rule's letters: a label, else the short expression that made the tensor.

>>> from microgradnode.tensor import Tensor
>>> X = Tensor([[1.0, 2.0]], 'X'); W = Tensor([[3.0], [4.0]], 'W'); b = Tensor([0.5], 'b')
>>> Y = X @ W; Y.label = 'Y'
>>> edge_rule(Y, 1)
'dL/dW = Xᵀ · dL/dY'
>>> Z = (Y + b).tanh()
>>> edge_rule(Z, 0)
'dL/d(Y + b) = dL/dtanh(Y + b) ⊙ (1.0 - out * out)'
>>> edge_rule(Z.parents[0], 1)
'dL/db = dL/d(Y + b) ⊙ 1.0, summed over the broadcast axes (1, 1) → (1,)'
"""

from __future__ import annotations

from ..ops.table import OPS
from .core import Tensor
from .structural import STRUCTURAL

__all__ = ['edge_rule', 'symbol', 'name']


def symbol(node: Tensor) -> str:
    """How diagrams draw the operation of ``node`` (the table's symbol for a row).

    >>> symbol(Tensor([1.0]).exp())
    'exp'
    """
    if node.op in OPS:
        return OPS[node.op].symbol
    return STRUCTURAL[node.op].symbol if node.op in STRUCTURAL else node.op


def name(tensor: Tensor, depth: int = 2) -> str:
    """What a rule calls ``tensor``: its label, else the expression that made it (short).

    >>> X = Tensor([[1.0]], 'X'); W = Tensor([[2.0]], 'W')
    >>> name(X @ W), name((X @ W).tanh()), name((X @ W).tanh().sum())
    ('(X@W)', 'tanh(X@W)', 'Σ(tanh(…))')
    """
    if tensor.label:
        return tensor.label
    if not tensor.op:
        return format(float(tensor.data), '.4g') if tensor.size == 1 else 'c'
    if depth == 0:
        return '…'
    parts = [name(parent, depth - 1) for parent in tensor.parents]
    if tensor.op == 'matmul':
        return f'({parts[0]}@{parts[1]})'
    if tensor.op in OPS and len(parts) == 2:
        return f'({parts[0]} {OPS[tensor.op].symbol} {parts[1]})'
    if tensor.op == 'pow':
        return f'{parts[0]}^{tensor.params:g}'
    if len(parts) == 1 and parts[0].startswith('(') and parts[0].endswith(')'):
        parts = [parts[0][1:-1]]  # tanh(Y + b), not tanh((Y + b))
    return f'{symbol(tensor)}({", ".join(parts)})'


def _names(node: Tensor, parent: int) -> dict[str, str]:
    parents = node.parents
    return {'A': name(parents[0]), 'B': name(parents[1]) if len(parents) > 1 else 'B',
            'X': name(parents[parent]), 'Y': name(node)}


def edge_rule(node: Tensor, parent: int) -> str:
    """The rule that turns the gradient of ``node`` into that of its parent number ``parent``."""
    if node.op in STRUCTURAL:
        return STRUCTURAL[node.op].rule_for(parent).format(**_names(node, parent))
    source = node.parents[parent]
    local = OPS[node.op].local[parent]
    local_text = local if all(c.isalnum() or c in '._' for c in local) else f'({local})'
    text = f'dL/d{name(source)} = dL/d{name(node)} ⊙ {local_text}'
    if source.shape != node.shape:
        text += f', summed over the broadcast axes {node.shape} → {source.shape}'
    return text
