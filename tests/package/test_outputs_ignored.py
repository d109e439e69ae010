"""The files the README's and docs' commands write are ignored by git, and no command
writes over a tracked file of the repository by default."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ..conftest import require_module, require_program

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_OPTION = re.compile(r'(?:--csv|--plot|--plot-boundary|--plot-loss|--graph|-o|--html)\s+'
                           r'([\w./-]+\.\w+)')


def written_by_the_docs() -> set[str]:
    names = set()
    for path in [ROOT / 'README.md', *(ROOT / 'docs').glob('*.md')]:
        text = path.read_text(encoding='utf-8')
        commands = [block for language, block in re.findall(r'```(\w*)\n(.*?)```', text, re.S)
                    if language in ('bash', '')]
        commands += re.findall(r'`(microgradnode [^`]*)`', text)  # commands quoted in the prose
        for command in commands:
            names.update(n for n in OUTPUT_OPTION.findall(command) if not n.startswith('FILE'))
    return names


def test_every_file_the_docs_commands_write_is_ignored_by_git():
    git = require_program('git')
    names = written_by_the_docs()
    assert {'results.csv', 'results.png', 'graph.svg', 'walk.html', 'moons_boundary.png'} <= names
    names |= {'two_node_graph.svg', 'two_node_graph.png', 'results.md', 'results.json'}  # examples, benchmark
    done = subprocess.run([git, 'check-ignore', '--no-index', *sorted(names)], cwd=ROOT,
                          capture_output=True, text=True)
    assert sorted(done.stdout.split()) == sorted(names), done.stderr


def test_the_drawing_example_writes_into_the_current_folder(tmp_path):
    require_module('graphviz')
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    env = {**os.environ, 'PYTHONPATH': path}
    done = subprocess.run([sys.executable, str(ROOT / 'examples' / 'draw_two_node.py')], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['two_node_graph.png', 'two_node_graph.svg']
