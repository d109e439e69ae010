"""Tensors: the same backprop on arrays, and the way back to scalars (the ``[tensor]`` extra: NumPy).

- :class:`Tensor`: a float64 array that records its operations; ``backward()`` fills ``grad``.
  Elementwise operations are the operation table's rows on arrays; the others (sum, mean,
  max, reshape, transpose, broadcast_to, matmul, indexing, concatenate, stack) are the
  small table of :mod:`.structural`, each with its vector-Jacobian product.
- :func:`softmax`, :func:`log_softmax`, :func:`cross_entropy`: built from those.
- :func:`grad`, :func:`gradcheck`: as for Values.
- :func:`expand`: the program re-run element by element on Values; :func:`explain`: one
  element of a tensor gradient as the sum of its scalar paths, beside the tensor rule.
- :class:`MLP`: ``nn.MLP``'s network with one matrix per layer.

>>> from microgradnode.tensor import Tensor
>>> W = Tensor([[1.0, 2.0], [3.0, 4.0]], 'W')
>>> x = Tensor([1.0, -1.0], 'x')
>>> loss = (W @ x).sum()
>>> loss.backward()
>>> W.grad.tolist()
[[1.0, -1.0], [1.0, -1.0]]
"""

from .._support.extras import require

require('numpy', 'tensors')

# After the check above: without NumPy, the import stops there with the extra's name.
from .check import TensorGradcheckReport, gradcheck  # noqa: E402
from .core import Tensor, as_tensor, concatenate, cross_entropy, grad, log_softmax, softmax, stack  # noqa: E402
from .expansion import Expansion, expand  # noqa: E402
from .explanation import TensorExplanation, explain  # noqa: E402
from .models import MLP  # noqa: E402

__all__ = ['Tensor', 'as_tensor', 'concatenate', 'stack', 'softmax', 'log_softmax', 'cross_entropy', 'grad',
           'gradcheck', 'TensorGradcheckReport', 'expand', 'Expansion', 'explain', 'TensorExplanation', 'MLP']
