"""The repository is ruff clean with its own configuration (pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

from ..conftest import require_module

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing():
    require_module('ruff')
    result = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--no-cache', str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
