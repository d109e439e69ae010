"""The ``explain`` and ``walkthrough`` commands: output a newcomer can read, one-line errors."""

from __future__ import annotations

import math

import pytest

from microgradnode import Value
from microgradnode.cli import main


def run_cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_explain_defaults_to_w0_of_the_two_node_network(capsys):
    from microgradnode.twonode import build
    status, out, err = run_cli(capsys, 'explain')
    assert status == 0 and not err
    assert "The notebook's two-node network:" in out and 'x1 = w0·s0' in out
    assert 'd loss / d w0' in out
    assert '= 0.5 · 2·(out - target) · 1 · w2 · s2·(1 - s2) · w1 · s1·(1 - s1) · s0' in out
    net = build()
    net.loss.backward()
    assert f'backward() gives d loss / d w0 = {net.w0.grad:.6g}' in out
    assert ("The notebook's update (Step 3): w0 = w0 - alpha * "
            '(out - target) · w2 · s2·(1 - s2) · w1 · s1·(1 - s1) · s0') in out


def test_explain_other_weights_and_settings(capsys):
    from microgradnode.twonode import build
    status, out, _ = run_cli(capsys, 'explain', '--wrt', 'w2', '--wrt', 'w1', '--set', 'w0=1')
    assert status == 0
    assert 'w2 = w2 - alpha * (out - target) · s2' in out
    assert 'w1 = w1 - alpha * (out - target) · w2 · s2·(1 - s2) · s1' in out
    net = build(w0=1.0)
    net.loss.backward()
    assert f'backward() gives d loss / d w1 = {net.w1.grad:.6g}' in out


def test_explain_an_expression(capsys):
    status, out, _ = run_cli(capsys, 'explain', 'sigmoid(w*x + b)*x', '--set', 'w=0.5', '--set', 'x=2',
                             '--set', 'b=-1', '--wrt', 'x')
    assert status == 0
    w, x, b = Value(0.5), Value(2.0), Value(-1.0)
    f = (w * x + b).sigmoid() * x
    f.backward()
    assert 'd f / d x, where f = ' in out and ': 2 paths' in out
    assert f'backward() gives d f / d x = {x.grad:.6g}' in out
    assert math.isclose(x.grad, 0.75)


def test_walkthrough_writes_the_page(capsys, tmp_path):
    target = tmp_path / 'walk.html'
    status, out, err = run_cli(capsys, 'walkthrough', '--network', 'two-node', '--html', str(target))
    assert status == 0 and not err
    # 8 operations: the inputs and 8 computed; the start and 8 passing back (leaves pass nothing on)
    assert out.startswith(f'wrote {target}: 18 steps (9 forward, 9 backward)')
    page = target.read_text(encoding='utf-8')
    assert page.startswith('<!DOCTYPE html>') and 'data-node="w0"' in page
    assert '"rate": 0.1' in page  # Train mode starts at the notebook's learning rate


def test_walkthrough_without_expr_teaches_fan_out(capsys, tmp_path):
    # a is used twice: its gradient is a sum, the idea the default graph is there to show
    status, out, err = run_cli(capsys, 'walkthrough')
    assert status == 0 and not err
    assert 'a.grad = 1 + (-3) = -2' in out
    status, out, err = run_cli(capsys, 'walkthrough', '--set', 'a=1')
    assert 'a.grad = 1 + (-3) = -2' in out and 'a = 1' in out
    status, out, err = run_cli(capsys, 'walkthrough', 'x*2', '--network', 'two-node')
    assert status == 2 and 'give EXPR or --network, not both' in err


def test_walkthrough_of_an_expression_as_text_and_page(capsys, tmp_path):
    status, out, _ = run_cli(capsys, 'walkthrough', 'x*x + x', '--set', 'x=3')
    assert status == 0
    assert 'Forward 1/3: the inputs' in out
    assert 'so x.grad = 1 + 3 = 4' in out and 'so x.grad = 4 + 3 = 7' in out
    status, out, _ = run_cli(capsys, 'walkthrough', 'tanh(a*b)', '--set', 'a=1', '--set', 'b=0.5',
                             '--html', str(tmp_path / 'e.html'), '--rankdir', 'TB')
    assert status == 0 and (tmp_path / 'e.html').exists()


@pytest.mark.parametrize('argv, message', [
    (['explain', '--wrt', 'w9'], "no value is named 'w9'"),
    (['explain', '--max-paths', '0'], "argument --max-paths: must be a whole number from 1 to 1000000"),
    (['explain', '--set', 'alpha=1'], "no setting 'alpha'"),
    (['explain', 'x *', '--set', 'x=1'], 'in EXPR'),
    (['explain', 'x * y', '--set', 'x=1'], "unknown name 'y'"),
    (['walkthrough', 'x', '--set', 'x=1'], 'computes nothing'),
    (['walkthrough', '--html', '/nonexistent-dir/walk.html'],
     "--html '/nonexistent-dir/walk.html': the folder '/nonexistent-dir' does not exist"),
    (['walkthrough', '--rankdir', 'up'], 'invalid choice'),
])
def test_bad_input_is_one_line_and_status_2(capsys, argv, message):
    from_argparse = 'invalid choice' in message or 'argument --' in message
    with pytest.raises(SystemExit) if from_argparse else _no_exit():
        status, _, err = run_cli(capsys, *argv)
        assert status == 2
        assert message in err and err.count('\n') == 1 and 'Traceback' not in err
    if from_argparse:
        err = capsys.readouterr().err
        assert message in err and err.count('\n') == 1


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def test_output_piped_into_a_closed_reader_ends_quietly():
    # `microgradnode walkthrough | head -1`: no BrokenPipe traceback.
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    command = f'"{sys.executable}" -m microgradnode walkthrough | head -n 1'
    result = subprocess.run(['bash', '-c', command], capture_output=True, text=True, cwd=root,
                            env={**os.environ, 'PYTHONPATH': str(root)}, timeout=120)
    assert result.stdout.count('\n') == 1
    assert 'Traceback' not in result.stderr and 'BrokenPipe' not in result.stderr


@pytest.mark.parametrize('command', [['explain'], ['walkthrough'], ['walkthrough', '--mode', 'forward']])
def test_an_expression_of_numbers_only_is_refused_by_explain_and_walkthrough_alike(capsys, command):
    status, out, err = run_cli(capsys, *command, '2*3')
    assert (status, out) == (2, '')
    assert err == (f'microgradnode {command[0]}: error: EXPR \'2*3\' has no named input: there is nothing '
                   "to differentiate (give it a name, e.g. '2*x' --set x=3)\n")
