"""The two-node examples run top to bottom and show the notebook's figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from microgradnode.twonode import train

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / 'examples'


def with_package_on_path() -> dict[str, str]:
    # The examples import microgradnode: from this checkout, installed or not.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')]))
    return {**os.environ, 'PYTHONPATH': path}


def test_walkthrough_script_shows_the_four_steps(tmp_path):
    figure = tmp_path / 'figure.png'
    run = subprocess.run([sys.executable, str(EXAMPLES / 'two_node_walkthrough.py'), str(figure)],
                         capture_output=True, text=True, env=with_package_on_path(), cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for step in ('Step 1.', 'Step 2.', 'Step 3.', 'Step 4.'):
        assert step in out
    assert 'sigmoid(0.5) = 0.6224593312018546' in out
    assert 'out = 0.36375380675182073' in out
    assert 'w0 = w0 - alpha · (out - target) · w2 · s2·(1 - s2) · w1 · s1·(1 - s1) · s0' in out
    last = train(order='notebook').rows[-1]
    assert f'{last.iteration:>9}  {last.w2:.6f}  {last.w1:.6f}  {last.w0:.6f}  {last.out:.6f}' in out
    assert figure.read_bytes().startswith(b'\x89PNG')


def test_notebook_runs_top_to_bottom_and_its_saved_outputs_are_current(monkeypatch):
    monkeypatch.setenv('PYTHONPATH', with_package_on_path()['PYTHONPATH'])  # the kernel inherits it
    saved = nbformat.read(EXAMPLES / 'two_node.ipynb', as_version=4)
    fresh = nbformat.read(EXAMPLES / 'two_node.ipynb', as_version=4)
    # 'python3' is the kernel ipykernel provides for the Python running the tests.
    NotebookClient(fresh, kernel_name='python3', timeout=120,
                   resources={'metadata': {'path': str(EXAMPLES)}}).execute()  # raises on any error

    def texts(notebook):
        # A cell's printed text may arrive in one stream message or several, depending on
        # timing: compare each cell's stdout as one string, then its results.
        cells = []
        for cell in notebook.cells:
            if cell.cell_type != 'code':
                continue
            stdout = ''.join(o.get('text', '') for o in cell.outputs if o.get('output_type') == 'stream')
            results = [o.get('data', {}).get('text/plain') for o in cell.outputs
                       if o.get('output_type') != 'stream']
            cells.append([stdout, *results])
        return cells

    assert texts(fresh) == texts(saved), 'examples/two_node.ipynb is stale: re-execute it'
    flat = '\n'.join(text for cell in texts(fresh) for text in cell if text)
    assert '0.6224593312018546' in flat
    assert 'out = 0.36375380675182073' in flat
    images = [output for cell in fresh.cells if cell.cell_type == 'code'
              for output in cell.outputs if 'image/png' in output.get('data', {})]
    assert len(images) == 1  # the notebook's figure, inline
