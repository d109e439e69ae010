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


# -- standard output that cannot be written ----------------------------------------------------

PRINTING_COMMANDS = [
    ['--help'],
    ['train', '--steps', '3'],
    ['draw', 'x*2', '--set', 'x=1', '-o', 'g.dot'],
    ['fit', '--dataset', 'xor', '--steps', '1', '--layers', '2', '--no-progress'],
    ['explain'],
    ['walkthrough'],
]


def run_with_stdout(arguments, stdout, cwd):
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    return subprocess.run([sys.executable, '-m', 'microgradnode', *arguments], cwd=cwd, env=env,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120)


@pytest.mark.parametrize('arguments', PRINTING_COMMANDS, ids=lambda a: a[0])
def test_a_full_standard_output_is_one_line_and_status_1(tmp_path, arguments):
    with open('/dev/full', 'w') as full:
        result = run_with_stdout(arguments, full, tmp_path)
    assert result.returncode == 1
    command = '' if arguments[0] == '--help' else f' {arguments[0]}'
    assert result.stderr == (f'microgradnode{command}: error: cannot write to standard output: '
                             'No space left on device\n')


@pytest.mark.parametrize('arguments', PRINTING_COMMANDS, ids=lambda a: a[0])
def test_a_closed_pipe_ends_quietly_with_status_141(tmp_path, arguments):
    # `microgradnode COMMAND | head -1`, with the reader already gone when the output comes.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = run_with_stdout(arguments, writer, tmp_path)
    finally:
        os.close(writer)
    assert (result.returncode, result.stderr) == (141, '')


def test_the_exit_statuses_are_documented(capsys):
    status, out, _ = cli(capsys, '--help')
    assert status == 0
    assert '1 standard output could not be written' in out and '141 the reader' in out


# -- argparse's own messages --------------------------------------------------------------------

def test_an_unknown_option_names_the_command_a_guess_and_its_usage(capsys):
    status, out, err = cli(capsys, 'train', '--stesp', '3')
    assert status == 2 and out == ''
    first, *usage = err.splitlines()
    assert first == 'microgradnode train: error: unrecognized arguments: --stesp 3 (did you mean --steps?)'
    assert usage[0].startswith('usage: microgradnode train [-h] [--steps N]')
