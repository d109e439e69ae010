"""examples/draw_tensors.py draws the four pictures of docs/tensors.md."""

from __future__ import annotations

import subprocess
import sys

from ..conftest import require_module
from .test_examples import EXAMPLES, with_package_on_path


def test_tensor_pictures_are_drawn(tmp_path):
    require_module('numpy')
    run = subprocess.run([sys.executable, str(EXAMPLES / 'draw_tensors.py'), str(tmp_path)],
                         capture_output=True, text=True, env=with_package_on_path(), cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    pictures = ('tensor_graph', 'tensor_matmul_expanded', 'tensor_broadcast_expanded',
                'tensor_expanded_folded')
    for name in pictures:
        assert (tmp_path / f'{name}.png').read_bytes().startswith(b'\x89PNG')
        assert '<svg' in (tmp_path / f'{name}.svg').read_text(encoding='utf-8')
    assert 'dL/dW = Xᵀ · dL/d(X@W)' in (tmp_path / 'tensor_graph.svg').read_text(encoding='utf-8')
    assert 'W[1,0]' in (tmp_path / 'tensor_matmul_expanded.svg').read_text(encoding='utf-8')
