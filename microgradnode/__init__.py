"""microgradnode: a tiny scalar reverse-mode autodiff engine for learning backprop.

>>> from microgradnode import Value
>>> w = Value(0.5, 'w'); s = Value(2.0, 's')
>>> out = (w * s).sigmoid()
>>> out.backward()
>>> round(w.grad, 6)
0.393224
"""

from .check import GradcheckError, gradcheck
from .engine import Value, backward_steps, is_grad_enabled, no_grad, topological_order

__all__ = ['Value', 'no_grad', 'is_grad_enabled', 'gradcheck', 'GradcheckError',
           'topological_order', 'backward_steps']
__version__ = '0.1.0'


def __getattr__(name: str):
    # Optional parts load on first use, so that `import microgradnode` stays light.
    # `compile` is not in __all__: a star import must not hide the builtin compile().
    if name in ('compile', 'Compiled'):
        from . import compiler
        return getattr(compiler, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
