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
from collections.abc import Iterable
from types import ModuleType

__all__ = ['EXTRAS', 'EXTRA_PACKAGES', 'MissingExtraError', 'require', 'check_installed', 'check_needs',
           'extra_for']

EXTRAS: dict[str, str] = {
    'graphviz': 'draw',
    'pygraphviz': 'draw',
    'matplotlib': 'plot',
    'PIL': 'gif',  # Pillow: walkthrough --gif
    'numpy': 'tensor',  # microgradnode.tensor
}
"""Top-level package name -> the smallest extra of setup.cfg that installs it."""

EXTRA_PACKAGES: dict[str, tuple[str, ...]] = {
    'draw': ('graphviz', 'pygraphviz'),
    'plot': ('matplotlib',),
    'gif': ('graphviz', 'pygraphviz', 'PIL'),
    'tensor': ('numpy',),
    'all': ('graphviz', 'pygraphviz', 'matplotlib', 'PIL', 'numpy'),
}
"""Each extra of setup.cfg and the top-level packages it installs, smallest extra first:
a message names the first one that covers everything missing, so that one command fixes it."""


class MissingExtraError(ImportError):
    """A feature needs a package of an optional extra that is not installed.

    An ``ImportError``, so code that already falls back on a missing import keeps working.
    """


def extra_for(*packages: str) -> str:
    """The smallest extra that installs every one of ``packages`` (``'all'`` if none names them).

    >>> extra_for('matplotlib.figure'), extra_for('graphviz', 'PIL'), extra_for('graphviz', 'matplotlib')
    ('plot', 'gif', 'all')
    """
    wanted = {package.partition('.')[0] for package in packages}
    return next((extra for extra, names in EXTRA_PACKAGES.items() if wanted <= set(names)), 'all')


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
    check_needs([(package, feature)], install=install)


def check_needs(needs: Iterable[tuple[str, str]], *, install: str = '') -> None:
    """Fail now if any package of ``needs`` (pairs of package and feature) is absent.

    Everything missing is named at once, with the one extra that covers all of it: a
    GIF needs graphviz and Pillow, so without both the message asks for ``[gif]``, not for
    ``[draw]`` and then, once that is installed, for ``[gif]``.

    >>> check_needs([('json', 'examples'), ('surely_absent_a', 'figures'), ('surely_absent_b', 'diagrams')])
    Traceback (most recent call last):
    ...
    microgradnode._support.extras.MissingExtraError: figures and diagrams need the packages \
'surely_absent_a' and 'surely_absent_b', which are not installed: pip install 'microgradnode[all]'
    """
    missing = [(package, feature) for package, feature in needs if not _found(package)]
    if missing:
        raise _missing([package for package, _ in missing],
                       ' and '.join(dict.fromkeys(feature for _, feature in missing)), install)


def _found(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except ModuleNotFoundError:  # a finder that refuses the name outright
        return False


def _missing(packages: str | list[str], feature: str, install: str) -> MissingExtraError:
    names = [packages] if isinstance(packages, str) else list(dict.fromkeys(packages))
    command = install or f"pip install 'microgradnode[{extra_for(*names)}]'"
    if len(names) == 1:
        what = f'the package {names[0]!r}, which is not installed'
    else:
        what = (f'the packages {", ".join(map(repr, names[:-1]))} and {names[-1]!r}, '
                'which are not installed')
    return MissingExtraError(f'{feature} need {what}: {command}', name=names[0])
