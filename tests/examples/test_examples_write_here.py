"""Examples write into the current folder (or --out), never into docs/ (issue 22, item 2).

Run from the root, draw_gradient_graph.py and draw_network.py replaced six tracked pictures
of docs/images; run from anywhere else they crashed, their default folder 'docs/images' not
being there. The pictures of docs/ are made by one named command, tools/docs_images.py.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import docs_images

from ..conftest import require_module

ROOT = Path(__file__).resolve().parents[2]
# Every example that writes files, and what it writes.
WRITERS = {
    'draw_two_node.py': {'two_node_graph.svg', 'two_node_graph.png'},
    'draw_gradient_graph.py': {'two_node_gradient_graph.svg', 'two_node_gradient_graph.png'},
    'draw_network.py': {'moons_grouped.png', 'moons_neurons.png', 'moons_neurons_16.png', 'moons_layers.png',
                        'moons_step.svg'},
    'draw_tensors.py': set(docs_images.TENSOR_PICTURES),
}


def _environment() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    return {**os.environ, 'PYTHONPATH': path}


def _docs_pictures() -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((ROOT / 'docs' / 'images').iterdir())}


@pytest.mark.parametrize('example', sorted(WRITERS))
def test_an_example_writes_into_the_folder_it_runs_in_and_leaves_docs_alone(example, tmp_path):
    require_module('graphviz')
    before = _docs_pictures()
    done = subprocess.run([sys.executable, str(ROOT / 'examples' / example)], cwd=tmp_path,
                          env=_environment(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert {path.name for path in tmp_path.iterdir()} == WRITERS[example]
    assert _docs_pictures() == before


def test_out_names_the_folder_and_is_created_if_missing(tmp_path):
    require_module('graphviz')
    out = tmp_path / 'pictures' / 'new'
    done = subprocess.run([sys.executable, str(ROOT / 'examples' / 'draw_two_node.py'), '--out', str(out)],
                          cwd=tmp_path, env=_environment(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert {path.name for path in out.iterdir()} == WRITERS['draw_two_node.py']


def test_every_example_that_saves_files_is_known_here():
    # A new example that writes pictures must be added above (and to tools/docs_images.py).
    saving = {path.name for path in (ROOT / 'examples').glob('*.py')
              if '.save(' in path.read_text(encoding='utf-8')}
    assert saving == set(WRITERS)


def test_every_picture_of_the_docs_is_made_by_the_named_command_or_said_how():
    made = [name for recipe in docs_images.RECIPES for name in recipe.outputs]
    assert len(made) == len(set(made))
    assert sorted(_docs_pictures()) == sorted([*made, *docs_images.BY_HAND])
    for example, outputs in WRITERS.items():
        assert any(f'examples/{example}' in recipe.command and set(recipe.outputs) == outputs
                   for recipe in docs_images.RECIPES), example


def test_the_named_command_writes_where_it_is_told(tmp_path, capsys):
    require_module('graphviz')
    assert docs_images.main(['--only', 'two_node_graph.svg', '--out', str(tmp_path)]) == 0
    assert {path.name for path in tmp_path.iterdir()} == {'two_node_graph.svg', 'two_node_graph.png'}
    assert docs_images.main(['--list']) == 0
    assert 'walkthrough_gif_frame.png: by hand' in capsys.readouterr().out
