"""`microgradnode draw`: writes the diagram; every bad input is one line on stderr and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from microgradnode.cli import main
from microgradnode.cli.expression import parse_assignments

MAGIC = {'svg': b'<?xml', 'png': b'\x89PNG', 'pdf': b'%PDF-', 'dot': b'// microgradnode'}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(['draw', *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize('suffix', ['svg', 'png', 'pdf', 'dot'])
def test_writes_each_format_and_confirms_in_one_line(capsys, tmp_path, suffix):
    path = tmp_path / f'graph.{suffix}'
    status, out, err = run(capsys, 'sigmoid(w*x + b)', '--set', 'w=0.5', '--set', 'x=2', '--set', 'b=-1',
                           '-o', str(path))
    assert (status, err) == (0, '')
    assert path.read_bytes().startswith(MAGIC[suffix])
    assert out == f'wrote {path}: sigmoid(w*x + b) = 0.5 (6 values, 3 operations)\n'


def test_the_diagram_holds_the_gradients_of_the_backward_pass(capsys, tmp_path):
    path = tmp_path / 'g.dot'
    status, _, _ = run(capsys, 'x * x', '--set', 'x=3', '-o', str(path), '--number-format', '.3f')
    source = path.read_text(encoding='utf-8')
    assert status == 0
    assert 'grad</FONT> 6.000' in source and 'grad</FONT> 1.000' in source  # dy/dx = 2x, dy/dy = 1
    assert source.count('v0 -> o1') == 2


def test_options_reach_the_drawing(capsys, tmp_path):
    path = tmp_path / 'g.svg'
    status, _, _ = run(capsys, 'x * y', '--set', 'x=3', '--set', 'y=-2', '-o', str(path), '--format', 'dot',
                       '--rankdir', 'TB', '--no-local', '--no-grad', '--color-grad', '--legend')
    source = path.read_text(encoding='utf-8')
    assert status == 0
    assert 'rankdir=TB' in source and 'key' in source
    assert 'grad</FONT>' not in source and '->' in source and 'label=<<FONT' not in source


@pytest.mark.parametrize('argv, message', [
    (['x*', '--set', 'x=1'], "in EXPR at column 1: 'x*': invalid syntax"),
    (['x*q', '--set', 'x=1'], "in EXPR at column 3: unknown name 'q'; give it a value with --set q=VALUE "
                              '(names set: x)'),
    (['x*q'], "unknown name 'x'; give it a value with --set x=VALUE"),
    (['foo(x)', '--set', 'x=1'], "in EXPR at column 1: 'foo': unknown function 'foo' (allowed: exp"),
    (["__import__('os').system('true')"], '"__import__(\'os\').system": attribute access is not allowed'),
    (['x.__class__', '--set', 'x=1'], 'attribute access is not allowed'),
    (['lambda: 1'], 'lambda is not allowed'),
    (['import os'], 'an import is not an expression'),
    (['1e999'], 'the number is too large'),
    (['x' + '+x' * 3000, '--set', 'x=1'], 'the expression is too long'),
    (['log(x)', '--set', 'x=-1'], "in EXPR at column 1: 'log(x)': log(x=-1.0): log needs a positive input"),
    (['x', '--set', 'x'], "argument --set: expected NAME=VALUE, e.g. --set x=2, not 'x'"),
    (['x', '--set', '=1'], "--set '=1': expected NAME=VALUE"),
    (['x', '--set', 'x=two'], "--set 'x=two': 'two' is not a number"),
    (['x', '--set', 'x=nan'], 'the value must be a finite number'),
    (['x', '--set', 'x=1', '--set', 'x=2'], "--set 'x=2': 'x' is set twice"),
    (['x', '--set', '2x=1'], "'2x' is not a valid name"),
    (['x', '--set', 'lambda=1'], "'lambda' is not a valid name"),
    (['exp', '--set', 'exp=1'], "'exp' is a function name"),
    (['x', '--set', 'x=1', '--number-format', '%d'], "--number-format '%d' is not a valid format"),
    (['x', '--set', 'x=1', '--max-nodes', '0'], '--max-nodes 0: must be at least 1'),
    (['x*x*x', '--set', 'x=1', '--max-nodes', '2'], 'the graph has 3 values, more than max_nodes=2'),
    (['x*x*x', '--set', 'x=1', '--max-nodes', '2'], '--max-nodes 3 on the command line'),
    (['x', '--set', 'x=1', '--rankdir', 'XY'], "argument --rankdir: invalid choice: 'XY'"),
    (['x', '--set', 'x=1', '--max-nodes', 'many'], "argument --max-nodes: invalid int value: 'many'"),
])
def test_bad_input_is_one_line_and_status_2(capsys, tmp_path, argv, message):
    path = tmp_path / 'g.svg'
    try:
        status, out, err = run(capsys, *argv, '-o', str(path))
    except SystemExit as exit:  # argparse's own errors exit from parse_args
        status, (out, err) = exit.code, capsys.readouterr()
    assert status == 2
    assert out == ''
    assert err.count('\n') == 1 and message in err, err
    assert 'Traceback' not in err
    assert not path.exists()


@pytest.mark.parametrize('output, message', [
    ('g.jpg', "-o 'g.jpg': cannot tell the format from the suffix; use .svg, .png, .pdf or .dot"),
    ('missing/g.svg', "the folder 'missing' does not exist"),
    ('.', 'is a folder'),
])
def test_bad_output_paths(capsys, tmp_path, monkeypatch, output, message):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, 'x', '--set', 'x=1', '-o', output)
    assert (status, out) == (2, '')
    assert err.count('\n') == 1 and message in err, err


def test_unwritable_output_is_a_usage_error(capsys, tmp_path):
    too_long = tmp_path / ('g' * 300 + '.svg')  # refused by the file system, even for root
    status, out, err = run(capsys, 'x', '--set', 'x=1', '-o', str(too_long))
    assert (status, out) == (2, '')
    assert err.count('\n') == 1 and 'cannot write: File name too long' in err, err


def test_no_renderer_is_a_usage_error_but_dot_output_still_works(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'pygraphviz', None)
    monkeypatch.setenv('PATH', '')
    status, _, err = run(capsys, 'x', '--set', 'x=1', '-o', str(tmp_path / 'g.png'))
    assert status == 2 and 'cannot write PNG: no Graphviz renderer is available: install pygraphviz' in err
    status, out, _ = run(capsys, 'x', '--set', 'x=1', '-o', str(tmp_path / 'g.dot'))
    assert status == 0 and out.startswith('wrote')


def test_missing_output_option_and_help(capsys):
    with pytest.raises(SystemExit) as exit:
        main(['draw', 'x', '--set', 'x=1'])
    assert exit.value.code == 2
    assert 'the following arguments are required: -o/--output' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(['draw', '--help'])
    help_text = capsys.readouterr().out
    assert '--set NAME=VALUE' in help_text
    from microgradnode.diagram import DEFAULT_MAX_NODES
    assert f'(default: {DEFAULT_MAX_NODES})' in help_text


def test_as_a_real_command_with_no_dot_on_path(tmp_path):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable), PYTHONPATH=os.getcwd())
    result = subprocess.run([sys.executable, '-m', 'microgradnode', 'draw', '0.5 * (w*s - t) ** 2',
                             '--set', 'w=2', '--set', 's=2', '--set', 't=0.7', '-o', str(tmp_path / 'g.png')],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''  # no native library noise either
    assert (tmp_path / 'g.png').read_bytes().startswith(MAGIC['png'])


def test_parse_assignments_accepts_spaces_and_signs():
    assert parse_assignments(['x = -1.5', 'y=+2e3']) == {'x': -1.5, 'y': 2000.0}


@pytest.mark.parametrize('command', [['draw', 'x*2', '-o', 'unused.svg'], ['walkthrough', 'x*2'],
                                     ['explain', 'x*2']])
def test_set_without_equals_names_the_missing_equals(command, capsys):
    from microgradnode.cli import main
    with pytest.raises(SystemExit) as exit_info:  # argparse reports it and exits
        main([*command, '--set', 'x', '2'])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count('\n') == 1
    assert "argument --set: expected NAME=VALUE, e.g. --set x=2, not 'x'" in err
