"""Issue 11, the command line: lost output, odd names, stale graphs and messages for bad values."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnode.cli import main

ROOT = Path(__file__).resolve().parent.parent


def cli(capsys, *arguments):
    """Exit status, stdout and stderr of ``microgradnode ARGUMENTS``, run in this process."""
    try:
        status = main([str(argument) for argument in arguments])
    except SystemExit as exit:  # argparse's own errors exit from parse_args
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_limited(arguments, cwd, file_size=4096, **options):
    """``microgradnode ARGUMENTS`` in a subprocess under ``ulimit -f`` (4 KiB by default)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'MPLBACKEND': 'Agg',
           'PYTHONDONTWRITEBYTECODE': '1'}  # a .pyc cut short by the limit would break later runs
    return subprocess.run([sys.executable, '-m', 'microgradnode', *arguments], cwd=cwd, env=env,
                          preexec_fn=limit, capture_output=True, text=True, timeout=120, **options)


# -- a write that fails part way keeps the previous file --------------------------------------

@pytest.mark.parametrize('arguments, name', [
    (['train', '--steps', '2000', '--csv', 'out.csv'], 'out.csv'),
    (['train', '--steps', '20', '--plot', 'out.png'], 'out.png'),
    (['train', '--steps', '20', '--plot', 'out.svg'], 'out.svg'),
    (['fit', '--dataset', 'xor', '--steps', '2', '--layers', '4', '--no-progress',
      '--plot-boundary', 'out.png'], 'out.png'),
    (['fit', '--dataset', 'xor', '--steps', '2', '--layers', '4', '--no-progress',
      '--plot-loss', 'out.png'], 'out.png'),
])
def test_a_full_disk_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, arguments, name):
    (tmp_path / name).write_bytes(b'the previous results')
    result = run_limited(arguments, tmp_path)
    assert result.returncode == 2, result.stderr
    assert 'Traceback' not in result.stderr
    assert 'File too large' in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert (tmp_path / name).read_bytes() == b'the previous results'
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
