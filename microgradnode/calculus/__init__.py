"""Differentiation built on the engine's graph: reverse mode, forward mode and their checks.

- ``reverse``: ``grad`` (gradients as numbers or as graphs to differentiate again),
  ``hessian`` and ``hvp``;
- ``forward``: tangents pushed from the inputs (``jvp``, ``forward_tangents``);
- ``jacobian``: the matrix of derivatives by either mode, above both;
- ``gradcheck``: every gradient against finite differences.

Each reads the local derivatives from the operation table through the engine; none
knows a derivative of its own.

>>> from microgradnode import Value
>>> x = Value(3.0)
>>> grad(x * x, [x])[0].data
6.0
"""

from .forward import forward_tangents, jvp
from .gradcheck import GradcheckError, gradcheck
from .jacobian import jacobian, jacobian_of
from .reverse import grad, hessian, hvp

__all__ = ['grad', 'hessian', 'hvp', 'jvp', 'forward_tangents', 'jacobian', 'jacobian_of', 'gradcheck',
           'GradcheckError']
