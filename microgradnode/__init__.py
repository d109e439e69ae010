"""microgradnode: a tiny scalar reverse-mode autodiff engine for learning backprop.

>>> from microgradnode import Value
>>> w = Value(0.5, 'w'); s = Value(2.0, 's')
>>> out = (w * s).sigmoid()
>>> out.backward()
>>> round(w.grad, 6)
0.393224

The package is layered, each layer importing only from those below it
(docs/architecture.md): ``ops`` (the operation table) < ``engine`` (``Value``) <
``calculus`` (``grad``, ``jvp``, ``gradcheck``) < ``formulas`` and ``compiler`` <
``nn`` < ``diagram`` < ``lesson`` < ``twonode`` (the seed's network) < ``cli``; ``_support``
holds helpers that import nothing of it. This module is the facade over all of them.
"""

from ._support import old_paths as _old_paths
from .calculus.forward import jvp
from .calculus.gradcheck import GradcheckError, gradcheck
from .calculus.jacobian import jacobian
from .calculus.reverse import grad, hessian, hvp
from .engine import (
    Value,
    backward_steps,
    define_operation,
    enable_grad,
    is_grad_enabled,
    no_grad,
    remove_operation,
    topological_order,
)

# Imported here, not lazily: the modules share the functions' names, and a lazy lookup
# would hand out the module once someone imported it directly. They are small and import
# nothing heavy (diagrams are drawn only when a page or frame picture is asked for).
from .formulas.explain import explain
from .lesson.network import network_walkthrough
from .lesson.pitfalls import pitfalls
from .lesson.walkthrough import walkthrough

__all__ = ['Value', 'no_grad', 'enable_grad', 'is_grad_enabled', 'gradcheck', 'GradcheckError',
           'topological_order', 'backward_steps', 'explain', 'walkthrough', 'grad', 'hessian', 'hvp',
           'jvp', 'jacobian', 'define_operation', 'remove_operation', 'pitfalls',
           'network_walkthrough']
__version__ = '0.1.0'

_old_paths.install(__name__, already_imported=('explain', 'walkthrough'))


# Public names whose modules import something heavy (graphviz, ...): name -> submodule,
# imported on first use so that `import microgradnode` stays light.
# `compile` is not in __all__: a star import must not hide the builtin compile().
_LAZY = {'draw': 'diagram', 'Diagram': 'diagram', 'compile': 'compiler', 'Compiled': 'compiler',
         'CompileCache': 'compiler'}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        if _LAZY[name] == 'diagram':  # without the [draw] extra: say so now, in one line
            from ._support.extras import check_installed
            check_installed('graphviz', 'diagrams')
        return getattr(importlib.import_module(f'{__name__}.{_LAZY[name]}'), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
