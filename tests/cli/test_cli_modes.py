"""``microgradnode modes``: the counts it prints are the passes' own, the plot, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from microgradnode.calculus.jacobian import jacobian_of
from microgradnode.cli import main
from microgradnode.cli.modes import mlp_loss_case, trajectory_case

from ..conftest import require_module

ROOT = Path(__file__).resolve().parents[2]
SMALL = ['--points', '2', '--steps', '30', '--repeat', '1']


def run(capsys, *arguments):
    try:
        status = main(['modes', *map(str, arguments)])
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _rows(out: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(function, mode) -> (passes, multiply-adds), read back from the table."""
    rows, function = {}, None
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('---'))
    for line in lines[start + 1:lines.index('', start)]:
        words = line.split()
        for mode in ('forward', 'reverse'):
            if mode in words:
                at = words.index(mode)
                if at > 2:
                    function = ' '.join(words[:at - 2])
                rows[function, mode] = (int(words[at + 1]), int(words[at + 2].replace(',', '')))
    return rows


def test_the_table_shows_the_passes_and_counts_of_both_modes(capsys):
    status, out, err = run(capsys, *SMALL)
    assert status == 0 and err == ''
    rows = _rows(out)
    for case in (mlp_loss_case(2), trajectory_case(30)):
        for mode in ('forward', 'reverse'):
            _, costs = jacobian_of(case.outputs, case.inputs, mode=mode)
            assert rows[case.name, mode] == (len(costs), sum(costs))
    loss = 'moons MLP loss, 2-16-16-1, 2 points'
    assert rows[loss, 'forward'][0] == 337 and rows[loss, 'reverse'][0] == 1
    assert rows[loss, 'reverse'][1] * 10 < rows[loss, 'forward'][1]
    trajectory = 'Euler trajectory, 30 steps'
    assert rows[trajectory, 'forward'] == (1, 30 * 4)   # sin, × 0.1 and + per step, 4 products
    assert rows[trajectory, 'reverse'] == (30, sum(5 * k for k in range(1, 31)))
    assert f'{loss}: reverse mode does' in out and f'{trajectory}: forward mode does' in out
    assert 'why training uses\nreverse mode' in out


def test_plot_writes_a_picture(capsys, tmp_path):
    require_module('matplotlib')
    for name, magic in (('cost.png', b'\x89PNG'), ('cost.svg', b'<?xml'), ('cost.pdf', b'%PDF')):
        status, out, err = run(capsys, *SMALL, '--plot', tmp_path / name)
        assert status == 0 and err == '', err
        assert (tmp_path / name).read_bytes().startswith(magic)
        assert f'wrote {tmp_path / name}' in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ['cost.pdf', 'cost.png', 'cost.svg']


@pytest.mark.parametrize('arguments, message', [
    (['--points', '0'], "--points: 0 is not between 1 and 200"),
    (['--points', 'many'], "--points: 'many' is not a whole number"),
    (['--steps', '5000'], '--steps: 5000 is not between 1 and 1000'),
    (['--repeat', '-1'], '--repeat: -1 is not between 1 and 20'),
    (['--plot', 'cost.txt'], '--plot cost.txt: give a file name ending in .png, .svg, .pdf'),
    (['--plot', 'no/such/folder/cost.png'], "the folder 'no/such/folder' does not exist"),
    (['--plot', '.png'], '--plot .png: give a file name ending in'),
])
def test_bad_options_are_one_line_and_status_2(capsys, arguments, message):
    status, out, err = run(capsys, *arguments)
    assert status == 2 and out == ''
    assert err.count('\n') == 1 and message in err, err


def test_plot_to_a_directory_is_one_line(capsys, tmp_path):
    (tmp_path / 'd.png').mkdir()
    status, _, err = run(capsys, '--plot', tmp_path / 'd.png')
    assert status == 2 and 'is a folder; give a file name' in err and err.count('\n') == 1


def test_without_matplotlib_plot_names_the_extra(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    monkeypatch.setitem(sys.modules, 'matplotlib.figure', None)
    status, out, err = run(capsys, *SMALL, '--plot', tmp_path / 'cost.png')
    assert status == 2 and out == ''  # refused before the measurements, not after
    assert err == "microgradnode modes: error: --plot needs matplotlib: pip install 'microgradnode[plot]'\n"


def test_a_failed_write_keeps_the_previous_picture_and_leaves_no_temporary_file(tmp_path):
    require_module('matplotlib')
    target = tmp_path / 'cost.png'
    target.write_bytes(b'previous')
    # 4 KB file size limit: the figure does not fit; Python ignores SIGXFSZ and gets EFBIG.
    result = subprocess.run(['bash', '-c', 'ulimit -f 4; exec "$0" -m microgradnode modes "$@"',
                             sys.executable, *SMALL, '--plot', str(target)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith('microgradnode modes: error: --plot: cannot write')
    assert result.stderr.count('\n') == 1
    assert target.read_bytes() == b'previous'
    assert [p.name for p in tmp_path.iterdir()] == ['cost.png']
