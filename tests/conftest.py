"""Shared test helpers.

Optional references (PyTorch, Chromium, a system `dot`) make their tests skip on a
developer's machine that lacks them, but CI sets MICROGRADNODE_REQUIRE_ALL_TESTS=1,
and there a missing reference is a failure, never a silent skip.
"""

from __future__ import annotations

import importlib
import os
import shutil

import pytest

REQUIRE_ALL = os.environ.get('MICROGRADNODE_REQUIRE_ALL_TESTS') == '1'


def _missing(what: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f'{what} is required in CI (MICROGRADNODE_REQUIRE_ALL_TESTS=1) but missing')
    pytest.skip(f'{what} is not installed')


def require_module(name: str):
    """Import and return ``name``, or skip (fail in CI) when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f'the Python package {name!r}')


def require_program(name: str) -> str:
    """Path of the executable ``name``, or skip (fail in CI) when it is absent."""
    path = shutil.which(name)
    if path is None:
        _missing(f'the program {name!r}')
    return path


@pytest.fixture(autouse=True)
def _forget_defined_operations():
    """Operations a test or a docs snippet defines are removed after it: the table is global."""
    yield
    from microgradnode.engine import remove_operation
    from microgradnode.ops.user import user_defined

    for name in reversed(user_defined()):
        remove_operation(name)
