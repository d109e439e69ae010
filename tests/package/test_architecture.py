"""The package's layers (docs/architecture.md): no import cycle, no upward import, and a
picture that shows today's imports."""

from __future__ import annotations

import html
import subprocess
import sys
from pathlib import Path

import pytest

from tools import architecture

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_has_no_cycle_and_no_upward_import():
    assert architecture.problems() == []


def test_every_entry_of_the_package_has_a_layer():
    entries = {architecture.entry_of(name) for name in architecture.modules()}
    assert all(architecture.layer_index(entry) is not None for entry in entries)
    # the top level reads as the architecture: about ten entries, not twenty modules
    top = [path.name for path in (ROOT / 'microgradnode').iterdir()
           if path.name not in ('__pycache__', 'py.typed', '__init__.py', '__main__.py')
           and not path.name.startswith('.')]
    assert len(top) <= 14, sorted(top)


def _edges_with(extra: dict[str, str]) -> set[tuple[str, str]]:
    found = architecture.modules()
    return architecture.import_edges(found) | {(source, target) for source, target in extra.items()}


def test_an_upward_import_is_reported():
    edges = _edges_with({'microgradnode.engine': 'microgradnode.nn.modules'})
    messages = architecture.problems(edges)
    assert any('microgradnode.engine imports microgradnode.nn.modules: upward' in m for m in messages)


def test_an_import_between_siblings_is_reported():
    edges = _edges_with({'microgradnode.formulas.explain': 'microgradnode.compiler.python'})
    assert any('between two entries' in m for m in architecture.problems(edges))


def test_a_cycle_is_reported_even_through_a_lazy_import(tmp_path):
    package = tmp_path / 'microgradnode'
    (package / 'calculus').mkdir(parents=True)
    (package / '__init__.py').write_text('')
    (package / 'calculus' / '__init__.py').write_text('')
    (package / 'calculus' / 'reverse.py').write_text('from .forward import push\n')
    (package / 'calculus' / 'forward.py').write_text('def push():\n    from .reverse import grad\n')
    found = architecture.modules(tmp_path)
    assert architecture.cycles(architecture.import_edges(found)) == [
        ['microgradnode.calculus.forward', 'microgradnode.calculus.reverse']]


def test_a_module_without_a_layer_is_reported(tmp_path):
    package = tmp_path / 'microgradnode'
    package.mkdir()
    (package / '__init__.py').write_text('')
    (package / 'gizmo.py').write_text('')
    messages = architecture.problems(found=architecture.modules(tmp_path))
    assert messages == ['microgradnode/gizmo has no layer: add it to LAYERS in tools/architecture.py']


def test_the_picture_shows_todays_imports():
    dot = architecture.dot_source()
    assert architecture.DOT_PATH.read_text(encoding='utf-8') == dot, \
        'docs/images/architecture.dot is stale: run `python -m tools.architecture`'
    svg = architecture.SVG_PATH.read_text(encoding='utf-8')
    assert architecture.svg_digest(svg) == architecture.digest(dot), \
        'docs/images/architecture.svg is stale: run `python -m tools.architecture`'
    for layer in architecture.LAYERS:
        assert layer.name in html.unescape(svg)


def test_the_architecture_doc_shows_the_picture_and_names_every_layer():
    text = (ROOT / 'docs' / 'architecture.md').read_text(encoding='utf-8')
    assert 'images/architecture.svg' in text
    for layer in architecture.LAYERS:
        for entry in layer.entries:
            assert f'`{entry}' in text, entry


def test_the_check_command_exits_zero():
    result = subprocess.run([sys.executable, '-m', 'tools.architecture', '--check'], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, '')


@pytest.mark.parametrize('name', ['engine', 'ops'])
def test_the_bottom_layers_import_nothing_above_them(name):
    found = architecture.modules()
    below = {architecture.entry_of(target) for source, target in architecture.import_edges(found)
             if architecture.entry_of(source) == name and architecture.entry_of(target) != name}
    assert below <= {'ops', '_support'}
