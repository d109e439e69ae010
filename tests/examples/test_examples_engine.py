"""The engine tour example runs and prints gradients that agree with finite differences."""

import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_tour_runs():
    result = subprocess.run([sys.executable, str(ROOT / 'examples' / 'engine_tour.py')],
                            capture_output=True, text=True, check=True, cwd=ROOT,
                            env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert f'y = {1 / (1 + math.exp(1.0)) + 4:.6f}' in result.stdout   # sigmoid(-1) + 2**2
    assert 'all gradients agree' in result.stdout
