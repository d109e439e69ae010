"""The import paths from before the package had layers, kept working.

Until version 0.1.0 every module sat at the top of the package (``microgradnode.autodiff``,
``microgradnode.losses``, ...). Scripts and notebooks import those paths, so each one
still resolves to the module that now holds its code: ``import microgradnode.losses``
gives ``microgradnode.nn.losses`` itself (the same module object, so setting an attribute
through either name is seen through both). ``microgradnode.forward`` is the one old module
whose functions were split in two (the Jacobian moved beside both modes), so it is a small
module of its own that re-exports both halves.

The finder is installed by the package's ``__init__`` and consulted only for the names in
``OLD_PATHS``: it imports nothing until such a name is imported.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ['OLD_PATHS', 'install']

# old module (under microgradnode.) -> its new home
OLD_PATHS = {
    'formula_syntax': 'ops.syntax',
    'autodiff': 'calculus.reverse',
    'check': 'calculus.gradcheck',
    'formulas': 'formulas',
    'explain': 'formulas.explain',
    'expr': 'formulas.expression',
    'compiler': 'compiler',
    'losses': 'nn.losses',
    'optim': 'nn.optim',
    'datasets': 'nn.datasets',
    'training': 'nn.training',
    'walkthrough': 'lesson.walkthrough',
    'files': '_support.files',
    'extras': '_support.extras',
    'progress': '_support.progress',
}
# old modules whose names now live in several modules: a module of its own re-exports them
SPLIT_PATHS = {
    'forward': ('calculus.forward', 'calculus.jacobian'),
}


# Plain classes with the finder and loader protocols' methods: importing importlib.abc for
# its base classes would cost `import microgradnode` a millisecond for nothing.
class _OldPathLoader:
    def __init__(self, targets: tuple[str, ...]) -> None:
        self.targets = targets
        self.own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        if len(self.targets) == 1:
            # The very module. The import system then sets its __spec__ to the old name's:
            # exec_module puts the module's own back, so that it still knows where it lives.
            module = importlib.import_module(self.targets[0])
            self.own_spec = module.__spec__
            return module
        return None  # a fresh module, filled by exec_module

    def exec_module(self, module: types.ModuleType) -> None:
        if len(self.targets) == 1:
            module.__spec__ = self.own_spec
            return
        names: list[str] = []
        for target in self.targets:
            source = importlib.import_module(target)
            public = getattr(source, '__all__', [])
            names += public
            module.__dict__.update({name: value for name, value in vars(source).items()
                                    if not name.startswith('__')})
        module.__dict__['__all__'] = names
        module.__doc__ = f"Old path of {', '.join(self.targets)}: re-exports their names."


class _OldPathFinder:
    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition('.')
        if package != self.package:
            return None
        if name in OLD_PATHS:
            targets: tuple[str, ...] = (f'{package}.{OLD_PATHS[name]}',)
        elif name in SPLIT_PATHS:
            targets = tuple(f'{package}.{target}' for target in SPLIT_PATHS[name])
        else:
            return None
        return importlib.machinery.ModuleSpec(fullname, cast('Loader', _OldPathLoader(targets)))


def install(package: str, *, already_imported: tuple[str, ...] = ()) -> None:
    """Make ``package``'s old module paths importable (once, however often it is called).

    >>> import microgradnode.losses, microgradnode.nn.losses  # installed by microgradnode/__init__.py
    >>> microgradnode.losses is microgradnode.nn.losses
    True
    """
    # Old names whose new module is imported anyway and whose name is also a function of the
    # package (``explain``, ``walkthrough``) are registered at once: imported through the
    # finder, the import system would set the package's attribute to the module, hiding the
    # function.
    for old in already_imported:
        sys.modules.setdefault(f'{package}.{old}', sys.modules[f'{package}.{OLD_PATHS[old]}'])
    if not any(isinstance(finder, _OldPathFinder) and finder.package == package for finder in sys.meta_path):
        sys.meta_path.append(_OldPathFinder(package))
