"""The package passes mypy (configured in pyproject.toml), and what that relies on holds."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from microgradnode import Value
from microgradnode.engine import _OPERATORS
from microgradnode.nn.losses import binary_cross_entropy, hinge, mse
from microgradnode.ops import OPS

from ..conftest import require_module

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_passes_on_the_package():
    require_module('mypy')
    done = subprocess.run([sys.executable, '-m', 'mypy'], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith('Success: no issues found')


def test_mypy_passes_without_the_optional_packages(tmp_path):
    # The README's test command runs in a venv holding only '.[test]' (no torch), and a user
    # may type-check against a core install: mypy must pass whichever optional package is
    # missing. --no-site-packages hides every installed one at once.
    require_module('mypy')
    done = subprocess.run([sys.executable, '-m', 'mypy', '--no-site-packages', '--cache-dir',
                           str(tmp_path / 'cache')], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith('Success: no issues found')


def test_the_typed_declarations_of_value_are_exactly_the_generated_methods():
    tree = ast.parse((ROOT / 'microgradnode' / 'engine.py').read_text(encoding='utf-8'))
    value_class = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == 'Value')
    declared = {function.name for block in value_class.body
                if isinstance(block, ast.If) and ast.unparse(block.test) == 'TYPE_CHECKING'
                for function in block.body if isinstance(function, ast.FunctionDef)}
    # __init__ is declared too: Value(data, label) is made by its metaclass, and type
    # checkers read the constructor's signature from this declaration.
    assert declared == set(OPS) | set(_OPERATORS) | {'__init__'}


def test_the_package_is_marked_typed():
    assert (ROOT / 'microgradnode' / 'py.typed').is_file()
    assert 'py.typed' in (ROOT / 'setup.cfg').read_text(encoding='utf-8')


def test_losses_accept_plain_numbers_as_scores_and_return_values():
    # mypy found these: hinge raised AttributeError on a float score, mse returned a float.
    for loss in (hinge, mse, binary_cross_entropy):
        mixed = loss([0.5, Value(-1.0)], [1, -1])
        plain = loss([0.5, -1.0], [1, -1])
        assert isinstance(plain, Value) and plain.data == mixed.data
    assert hinge([0.5, -1.0], [1, -1]).data == 0.25
