"""microgradnode: a tiny scalar reverse-mode autodiff engine for learning backprop.

>>> from microgradnode import Value
>>> w = Value(0.5, 'w'); s = Value(2.0, 's')
>>> out = (w * s).sigmoid()
>>> out.backward()
>>> round(w.grad, 6)
0.393224
"""

from .autodiff import grad, hessian, hvp
from .check import GradcheckError, gradcheck
from .engine import Value, backward_steps, enable_grad, is_grad_enabled, no_grad, topological_order

# Imported here, not lazily: the modules share the functions' names, and a lazy lookup
# would hand out the module once someone imported it directly. Both are small and import
# nothing heavy (diagrams are drawn only when a page or frame picture is asked for).
from .explain import explain
from .forward import jacobian, jvp
from .walkthrough import walkthrough

__all__ = ['Value', 'no_grad', 'enable_grad', 'is_grad_enabled', 'gradcheck', 'GradcheckError',
           'topological_order', 'backward_steps', 'explain', 'walkthrough', 'grad', 'hessian', 'hvp',
           'jvp', 'jacobian']
__version__ = '0.1.0'


# Public names whose modules import something heavy (graphviz, ...): name -> submodule,
# imported on first use so that `import microgradnode` stays light.
# `compile` is not in __all__: a star import must not hide the builtin compile().
_LAZY = {'draw': 'diagram', 'Diagram': 'diagram', 'compile': 'compiler', 'Compiled': 'compiler',
         'CompileCache': 'compiler'}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        if _LAZY[name] == 'diagram':  # without the [draw] extra: say so now, in one line
            from .extras import check_installed
            check_installed('graphviz', 'diagrams')
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
