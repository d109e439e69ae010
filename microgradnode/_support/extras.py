"""Optional extras: which feature needs which third-party package, and the error when it is missing.

``pip install microgradnode`` installs no third-party package: the engine, ``nn``,
``explain``, ``compile`` and the walkthrough's text need only the standard library.
Diagrams need the ``[draw]`` extra and figures the ``[plot]`` extra. A feature used
without its extra fails at once with :class:`MissingExtraError`, whose message is one
line naming the command that installs it; the command line prints that line and
exits with status 2.

>>> require('math', 'arithmetic').sqrt(4.0)
2.0
>>> require('surely_not_installed_anywhere', 'diagrams')
Traceback (most recent call last):
...
microgradnode._support.extras.MissingExtraError: diagrams need the package 'surely_not_installed_anywhere', \
which is not installed: pip install 'microgradnode[all]'
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

__all__ = ['EXTRAS', 'MissingExtraError', 'require', 'check_installed', 'extra_for']

EXTRAS: dict[str, str] = {
    'graphviz': 'draw',
    'pygraphviz': 'draw',
    'matplotlib': 'plot',
    'PIL': 'gif',  # Pillow: walkthrough --gif
    'numpy': 'tensor',  # microgradnode.tensor
}
"""Top-level package name -> the extra of setup.cfg that installs it."""


class MissingExtraError(ImportError):
    """A feature needs a package of an optional extra that is not installed.

    An ``ImportError``, so code that already falls back on a missing import keeps working.
    """


def extra_for(package: str) -> str:
    """The extra that installs ``package`` (``'all'`` for a package no smaller extra names).

    >>> extra_for('matplotlib.figure')
    'plot'
    """
    return EXTRAS.get(package.partition('.')[0], 'all')


def require(module: str, feature: str, *, install: str = '') -> ModuleType:
    """Import ``module`` for ``feature`` (a plural noun: 'diagrams', 'figures'), or say how to get it.

    ``install`` is the command to show instead of the extra's (for a package no extra
    installs, such as torch, whose right build depends on the machine).

    Only the module itself being absent becomes a :class:`MissingExtraError`; an import
    error inside an installed package (a broken install) passes through unchanged, so
    that its real cause stays visible.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        package = module.partition('.')[0]
        if error.name != package:
            raise
        raise _missing(package, feature, install) from None


def check_installed(package: str, feature: str, *, install: str = '') -> None:
    """Fail now, as :func:`require` would, if ``package`` is absent, but without importing it.

    For a package that is slow to import and needed only later (graphviz, when a diagram
    is built): the user hears at once that the extra is missing, and pays for the import
    only when it is used.

    >>> check_installed('json', 'examples')
    >>> check_installed('surely_not_installed_anywhere', 'figures')
    Traceback (most recent call last):
    ...
    microgradnode._support.extras.MissingExtraError: figures need the package \
'surely_not_installed_anywhere', which is not installed: pip install 'microgradnode[all]'
    """
    try:
        found = importlib.util.find_spec(package) is not None
    except ModuleNotFoundError:  # a finder that refuses the name outright
        found = False
    if not found:
        raise _missing(package, feature, install)


def _missing(package: str, feature: str, install: str) -> MissingExtraError:
    command = install or f"pip install 'microgradnode[{extra_for(package)}]'"
    return MissingExtraError(f'{feature} need the package {package!r}, which is not installed: {command}',
                             name=package)
