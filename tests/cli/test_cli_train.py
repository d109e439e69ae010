"""``microgradnode train``: the report, the files, and one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from microgradnode import twonode
from microgradnode.cli import main
from microgradnode.twonode import order_gap, read_csv, train

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *arguments):
    """Exit status, stdout and stderr of ``microgradnode train ARGUMENTS``."""
    try:
        status = main(['train', *map(str, arguments)])
    except SystemExit as exit:  # argparse errors exit directly
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_report_shows_settings_rows_final_loss_and_the_other_order(capsys):
    status, out, err = run(capsys)
    assert status == 0 and err == ''
    result, other = train(), train(order='notebook')
    lines = out.splitlines()
    assert 'input s0 = 2, target output = 0.7' in out
    assert 'initial weights w0 = 2, w1 = 1, w2 = 0.5' in out
    assert 'learning rate alpha = 0.1, 1000 steps, simultaneous updates' in out
    header = lines.index(next(line for line in lines if line.split()[:1] == ['iteration']))
    assert lines[header].split() == ['iteration', 'w2', 'w1', 'w0', 'out']
    first = lines[header + 1].split()
    assert first[0] == '0' and float(first[4]) == round(result.rows[0].out, 6) == 0.363754
    assert [float(v) for v in first[1:4]] == [round(v, 6) for v in result.rows[0][1:4]]
    assert lines[header + 4].split() == ['...']
    last = lines[header + 5].split()
    assert last[0] == '999' and float(last[1]) == round(result.rows[-1].w2, 6)
    assert f'loss 0.5*(out - target)**2 = {result.final_loss:.3g}' in out
    w0, w1, w2 = other.final_weights
    assert f'With notebook updates instead: w0 = {w0:.6f}, w1 = {w1:.6f}, w2 = {w2:.6f}' in out
    assert f'difference: up to {order_gap(other, result).largest_weight_gap:.3g} in a weight' in out
    assert 'Wrote' not in out


def test_options_reach_the_training(capsys, tmp_path):
    path = tmp_path / 'rows.csv'
    status, out, err = run(capsys, '--steps', 40, '--alpha', 0.3, '--target', 0.2, '--input', -1,
                           '--weights', 0.5, -2, 1.5, '--order', 'notebook', '--csv', path)
    assert status == 0, err
    expected = train(steps=40, alpha=0.3, target=0.2, s0=-1, weights=(0.5, -2, 1.5), order='notebook')
    assert read_csv(path) == list(expected.rows)
    assert 'notebook updates' in out and 'With simultaneous updates instead' in out
    assert f'Wrote {path} (40 rows).' in out


def test_csv_has_the_exact_header_and_reads_back_exactly(capsys, tmp_path):
    path = tmp_path / 'results.csv'
    status, _, err = run(capsys, '--csv', path)
    assert status == 0, err
    text = path.read_text()
    assert text.splitlines()[0] == 'iteration,w2,w1,w0,out'
    assert len(text.splitlines()) == 1001
    assert read_csv(path) == list(train().rows)


@pytest.mark.parametrize('suffix', ['.png', '.svg', '.pdf'])
def test_plot_is_written_by_suffix(capsys, tmp_path, suffix):
    path = tmp_path / f'figure{suffix}'
    status, out, err = run(capsys, '--steps', 30, '--plot', path)
    assert status == 0, err
    start = path.read_bytes()[:8]
    assert {'.png': start.startswith(b'\x89PNG'), '.svg': b'<?xml' in start,
            '.pdf': start.startswith(b'%PDF')}[suffix]
    assert str(path) in out


def test_graph_is_drawn_after_the_first_backward_pass(capsys, tmp_path):
    path = tmp_path / 'graph.dot'
    status, out, err = run(capsys, '--steps', 3, '--graph', path)
    assert status == 0, err
    dot = path.read_text()
    for label in ('w0', 'w1', 'w2', 's0', 'x1', 's1', 'x2', 's2', 'out', 'target', 'loss'):
        assert label in dot
    # the gradients of the first backward pass are on the picture
    net = twonode.build()
    net.loss.backward()
    assert f'{net.w0.grad:.4g}'.replace('-', '−') in dot or f'{net.w0.grad:.4g}' in dot
    assert str(path) in out


def test_graph_renders_svg_without_system_graphviz(capsys, tmp_path):
    path = tmp_path / 'graph.svg'
    status, out, err = run(capsys, '--steps', 2, '--graph', path)
    assert status == 0, err
    svg = path.read_text()
    assert svg.lstrip().startswith('<?xml') and '<svg' in svg and 'w0' in svg


def test_graph_without_the_diagram_package_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'microgradnode.diagram', None)  # import now fails
    status, out, err = run(capsys, '--graph', tmp_path / 'graph.svg')
    assert status == 2 and out == ''
    assert err.startswith('microgradnode train: error: diagrams are not available: ')
    assert err.count('\n') == 1


@pytest.mark.parametrize('arguments, words', [
    (['--steps', '-5'], "argument --steps: must be a whole number from 0 to 1000000, not '-5'"),
    (['--steps', '2.5'], "must be a whole number from 0 to 1000000, not '2.5'"),
    (['--steps', 'many'], "must be a whole number from 0 to 1000000, not 'many'"),
    (['--steps', '99999999999999999999'], "from 0 to 1000000, not '99999999999999999999'"),
    (['--alpha', 'fast'], "argument --alpha: must be a number of 0 or more, not 'fast'"),
    (['--alpha', 'nan'], "argument --alpha: must be a number of 0 or more, not 'nan'"),
    (['--alpha', 'inf'], "argument --alpha: must be a number of 0 or more, not 'inf'"),
    (['--alpha', '-0.1'], "argument --alpha: must be a number of 0 or more, not '-0.1'"),
    (['--target', 'nan'], "argument --target: must be a number from -1000000 to 1000000, not 'nan'"),
    (['--target', '1e308'], "argument --target: must be a number from -1000000 to 1000000, not '1e308'"),
    (['--input', 'two'], "argument --input: must be a number from -1000000 to 1000000, not 'two'"),
    (['--weights', '1', '2'], '--weights needs three numbers (w0 w1 w2), got 2'),
    (['--weights', '1', '2', '3', '4'], '--weights needs three numbers (w0 w1 w2), got 4'),
    (['--weights', '1', 'x', '3'], "argument --weights: must be a number from -1000000 to 1000000, not 'x'"),
    (['--order', 'random'], "argument --order: invalid choice: 'random'"),
    (['--alpha', '1e300'], 'training diverged at iteration '),
    (['--plot', 'figure.gif'], "--plot 'figure.gif': cannot tell the file type from the suffix"),
    (['--graph', 'graph.txt'], "--graph 'graph.txt': cannot tell the file type from the suffix"),
    (['--csv', 'no/such/folder/results.csv'],
     "--csv 'no/such/folder/results.csv': the folder 'no/such/folder' does not exist"),
    (['--plot', '/proc/figure.png'], "--plot: could not write '/proc/figure.png'"),
    (['--csv', '/proc/results.csv'], "--csv: could not write '/proc/results.csv'"),
])
def test_bad_values_are_one_line_and_status_2(capsys, arguments, words):
    status, out, err = run(capsys, *arguments)
    assert status == 2
    assert out == ''
    assert err.count('\n') == 1 and 'Traceback' not in err
    assert err.startswith('microgradnode train: error: ')
    assert words in err, err


def test_a_directory_is_not_an_output_file(capsys, tmp_path):
    folder = tmp_path / 'figure.png'
    folder.mkdir()
    status, _, err = run(capsys, '--plot', folder)
    assert status == 2 and ': is a folder; give a file name' in err and err.count('\n') == 1


def test_zero_steps_still_reports(capsys):
    status, out, err = run(capsys, '--steps', 0)
    assert status == 0, err
    assert 'Final weights w0 = 2.000000, w1 = 1.000000, w2 = 0.500000' in out
    assert 'iteration' not in out


def test_the_console_command_runs_without_a_traceback(tmp_path):
    env = {'PYTHONPATH': str(ROOT), 'PATH': '/usr/bin:/bin'}
    good = subprocess.run([sys.executable, '-m', 'microgradnode', 'train', '--steps', '5'],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert good.returncode == 0, good.stderr
    assert 'Final output' in good.stdout and good.stderr == ''
    bad = subprocess.run([sys.executable, '-m', 'microgradnode', 'train', '--alpha', 'nan'],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.count('\n') == 1 and 'Traceback' not in bad.stderr


def test_show_code_prints_the_generated_backprop_before_the_report(capsys):
    status, out, err = run(capsys, '--steps', 2, '--show-code')
    assert status == 0, err
    code, report = out.split('Training the seed', 1)
    for line in ('x1 = w0 * s0', 's1 = sigmoid(x1)', 'out = w2 * s2',
                 'g_w2 += g_out * s2', 'g_x2 = g_s2 * (s2 * (1.0 - s2))', 'g_w0 += g_x1 * s0'):
        assert line in code
    assert 'iteration' in report
    # the printed code is real: it runs and gives the engine's gradients
    from microgradnode.compiler import compile as compile_graph
    net = twonode.build()
    compiled = compile_graph(net.loss)
    assert compiled.source in code
    compiled()
    fresh = twonode.build()
    fresh.loss.backward()
    assert (net.w0.grad, net.w1.grad, net.w2.grad) == (fresh.w0.grad, fresh.w1.grad, fresh.w2.grad)
