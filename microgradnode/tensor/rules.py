"""Each edge's vector-Jacobian rule, as text: what diagrams and explanations print.

For an elementwise row the rule is the upstream gradient times the row's local
derivative (the table's formula string, with ``a``, ``b`` and ``out`` the operation's
inputs and result), summed over the broadcast axes when the input was broadcast; for a
structural operation it is the row's ``rule``. The tensors' labels are put in place of
the rule's letters.

>>> from microgradnode.tensor import Tensor
>>> X = Tensor([[1.0, 2.0]], 'X'); W = Tensor([[3.0], [4.0]], 'W'); b = Tensor([0.5], 'b')
>>> Y = X @ W; Y.label = 'Y'
>>> edge_rule(Y, 1)
'dL/dW = Xᵀ · dL/dY'
>>> Z = (Y + b).tanh()
>>> edge_rule(Z, 0)
'dL/da = dL/dy ⊙ (1.0 - out * out)'
>>> edge_rule(Z.parents[0], 1)
'dL/db = dL/dy ⊙ 1.0, summed over the broadcast axes (1, 1) → (1,)'
"""

from __future__ import annotations

from ..ops.table import OPS
from .core import Tensor
from .structural import STRUCTURAL

__all__ = ['edge_rule', 'symbol']


def symbol(node: Tensor) -> str:
    """How diagrams draw the operation of ``node`` (the table's symbol for a row).

    >>> symbol(Tensor([1.0]).exp())
    'exp'
    """
    if node.op in OPS:
        return OPS[node.op].symbol
    return STRUCTURAL[node.op].symbol if node.op in STRUCTURAL else node.op


def _names(node: Tensor, parent: int) -> dict[str, str]:
    parents = node.parents
    first = parents[0].label or 'A'
    second = parents[1].label or 'B' if len(parents) > 1 else 'B'
    own = parents[parent].label or ('X' if len(parents) == 1 else f'X{parent + 1}')
    return {'A': first, 'B': second, 'X': own, 'Y': node.label or 'Y'}


def edge_rule(node: Tensor, parent: int) -> str:
    """The rule that turns the gradient of ``node`` into that of its parent number ``parent``."""
    if node.op in STRUCTURAL:
        return STRUCTURAL[node.op].rule_for(parent).format(**_names(node, parent))
    source = node.parents[parent]
    local = OPS[node.op].local[parent]
    local_text = local if all(c.isalnum() or c in '._' for c in local) else f'({local})'
    name = source.label or 'ab'[parent]
    text = f'dL/d{name} = dL/d{node.label or "y"} ⊙ {local_text}'
    if source.shape != node.shape:
        text += f', summed over the broadcast axes {node.shape} → {source.shape}'
    return text
