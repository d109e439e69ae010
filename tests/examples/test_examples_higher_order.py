"""The higher-order examples run and print what the docs say."""

from __future__ import annotations

import subprocess
import sys

from ..conftest import require_module
from .test_examples import EXAMPLES, with_package_on_path


def _run(script: str, *arguments: str, cwd) -> str:
    run = subprocess.run([sys.executable, str(EXAMPLES / script), *arguments], capture_output=True,
                         text=True, env=with_package_on_path(), cwd=cwd, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_newton_logistic_regression_needs_far_fewer_steps(tmp_path):
    require_module('numpy')
    out = _run('newton_logistic_regression.py', cwd=tmp_path)
    assert 'Minimum loss 0.243595311621' in out
    assert '  Newton:           6\n' in out
    assert '  gradient descent: 174 (alpha = 1.65' in out


def test_gradient_graph_picture_is_drawn(tmp_path):
    out = _run('draw_gradient_graph.py', '--out', str(tmp_path), cwd=tmp_path)
    assert 'dloss/dw0 = -0.00117735, d2loss/dw0^2 = 0.00230119' in out
    svg = (tmp_path / 'two_node_gradient_graph.svg').read_text()
    assert 'dloss/dw0' in svg and '<svg' in svg
    assert (tmp_path / 'two_node_gradient_graph.png').read_bytes().startswith(b'\x89PNG')
