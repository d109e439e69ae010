"""Issue 11, the command line: lost output, odd names, stale graphs and messages for bad values."""

from __future__ import annotations

import math
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnode.cli import main

ROOT = Path(__file__).resolve().parents[2]


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
    ['pitfalls'],
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


# -- names and expressions ----------------------------------------------------------------------

def test_any_names_work_even_those_the_output_would_be_called(capsys):
    status, out, err = cli(capsys, 'explain', 'f*output*result', '--set', 'f=2', '--set', 'output=3',
                           '--set', 'result=4', '--wrt', 'result')
    assert (status, err) == (0, '')
    assert out.splitlines()[0] == 'd f2 / d result, where f2 = (f·output)·result: 1 path'
    assert out.splitlines()[-1] == 'backward() gives d f2 / d result = 6'
    status, out, err = cli(capsys, 'walkthrough', 'f*output*result', '--set', 'f=2', '--set', 'output=3',
                           '--set', 'result=4')
    assert (status, err) == (0, '') and 'f2' in out


@pytest.mark.parametrize('arguments, expected', [
    (['draw', '-x', '--set', 'x=1.5', '-o', 'g.dot'], 'wrote g.dot: -x = -1.5 '),
    (['draw', '-o', 'g.dot', '--set', 'x=1.5', '-x'], 'wrote g.dot: -x = -1.5 '),
    (['explain', '-x', '--set', 'x=1.5'], 'd f / d x, where f = -x: 1 path'),
    (['walkthrough', '--set', 'x=1.5', '-x'], 'x = 1.5\n'),
    # -h takes no argument, so -hx*x cannot be -h: it is EXPR.
    (['explain', '-hx*x', '--set', 'hx=1.5', '--set', 'x=1'], 'd f / d hx, where f = (-hx)·x: 1 path'),
    (['explain', '--x*3', '--set', 'x=1.5'], 'd f / d x, where f = (-(-x))·3: 1 path'),
], ids=lambda a: ' '.join(a) if isinstance(a, list) else '')
def test_an_expression_starting_with_minus_is_the_expression(capsys, tmp_path, monkeypatch, arguments,
                                                             expected):
    monkeypatch.chdir(tmp_path)
    status, out, err = cli(capsys, *arguments)
    assert (status, err) == (0, '')
    assert expected in out


def test_options_that_look_like_options_stay_options(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = cli(capsys, 'draw', 'x', '--set', 'x=1', '--stesp', '-o', 'g.dot')
    assert status == 2 and err.startswith('microgradnode draw: error: unrecognized arguments: --stesp')


@pytest.mark.parametrize('arguments, message', [
    (['--set', 'x=1', '--set', 'ｘ=2'],
     "--set 'ｘ=2': 'x' is set twice ('x' and 'ｘ' are the same name to Python, which folds look-alike "
     "letters)"),
    (['--set', 'x=1', '--set', 'z=2'], "--set z: EXPR does not use 'z' (the names it uses are x)"),
])
@pytest.mark.parametrize('command', ['draw', 'explain', 'walkthrough'])
def test_a_set_name_is_never_silently_ignored(capsys, tmp_path, monkeypatch, command, arguments, message):
    monkeypatch.chdir(tmp_path)  # before the fix, draw wrote g.dot
    output = ['-o', 'g.dot'] if command == 'draw' else []
    status, out, err = cli(capsys, command, 'x+ｘ', *arguments, *output)
    assert (status, out, err) == (2, '', f'microgradnode {command}: error: {message}\n')


def test_a_look_alike_name_is_read_as_python_reads_it(capsys):
    status, out, err = cli(capsys, 'explain', 'x*2', '--set', 'ｘ=3', '--wrt', 'ｘ')
    assert (status, err) == (0, '') and out.splitlines()[-1] == 'backward() gives d f / d x = 2'
    status, out, err = cli(capsys, 'explain', 'ｉｆ*2', '--set', 'ｉｆ=3')
    assert status == 2 and "'ｉｆ' (which Python reads as 'if') is a Python keyword" in err


def test_a_constant_expression_has_nothing_to_differentiate(capsys):
    status, out, err = cli(capsys, 'explain', '2*3')
    assert (status, out) == (2, '')
    assert err == ("microgradnode explain: error: EXPR '2*3' has no named input: there is nothing to "
                   "differentiate (give it a name, e.g. '2*x' --set x=3)\n")


def test_the_api_reads_value_names_as_python_reads_the_text():
    from microgradnode.formulas.expression import parse_expression
    assert parse_expression('x * 2', {'ｘ': 3.0}).data == 6.0
    with pytest.raises(ValueError, match=r"'x' and 'ｘ' are the same name in an expression \(Python reads "
                                         r"both as 'x'\)"):
        parse_expression('x', {'x': 1.0, 'ｘ': 2.0})
    with pytest.raises(ValueError, match="Python reads it as the keyword 'if'"):
        parse_expression('x', {'x': 1.0, 'ｉｆ': 2.0})


# -- explanations show one state of the graph ---------------------------------------------------

def test_explain_refuses_a_graph_whose_data_changed_after_the_forward_pass():
    from microgradnode import Value
    from microgradnode.formulas.explain import StaleGraphError, explain
    w, x = Value(2.0, 'w'), Value(0.25, 'x')
    y = w * x
    y.label = 'y'
    z = y * w
    z.label = 'z'
    assert explain(z, w).path_sum == 1.0  # d z / d w = x·w + y = 0.5 + 0.5
    w.data = 3.0  # e.g. an optimizer step, without a new forward pass
    with pytest.raises(StaleGraphError) as info:
        explain(z, w)
    assert str(info.value) == ('the graph changed after its forward pass: y = w·x holds 0.5, but with '
                               'w = 3, x = 0.25 it now gives 0.75; run the forward pass again (recompute '
                               'z from its inputs) before explaining it')
    assert info.value.node is y and isinstance(info.value, ValueError)


def test_a_divisor_set_to_zero_afterwards_is_a_stale_graph_not_a_zero_division():
    from microgradnode import Value
    from microgradnode.formulas.explain import StaleGraphError, explain
    x, d = Value(0.25, 'x'), Value(2.0, 'd')
    q = x / d
    d.data = 0.0
    with pytest.raises(StaleGraphError, match=r'\(x / d\) holds 0.125, but with x = 0.25, d = 0 it now '
                                              r'fails \(float division by zero\)'):
        explain(q, d)


def test_a_consistent_graph_passes_the_check_even_with_nan_inf_and_every_operation():
    from microgradnode import Value
    from microgradnode.engine import topological_order
    from microgradnode.formulas.explain import check_recorded_state, explain
    from microgradnode.ops import OPS
    x = Value(0.7, 'x')
    big = Value(float('inf'), 'big')
    out = ((x + 1) - x * 2 / (x + 3) - (-x) + x ** 2 + x ** x + x.exp() + x.log() + x.sqrt() + x.sigmoid()
           + x.tanh() + x.softplus() + x.relu() + abs(x) + x.sin() + x.cos() + x.step() + x.sign()
           + (big - big))
    used = {node.op for node in topological_order(out)} - {''}
    assert used == set(OPS)  # every row of the table is checked
    check_recorded_state(out)
    assert explain(out, x).path_count > 10
    out.parents[0].data += 1e-12  # even a tiny change to a computed value is seen
    with pytest.raises(ValueError, match='changed after its forward pass'):
        check_recorded_state(out)


def test_a_long_expression_is_not_echoed_whole_in_a_message(capsys):
    text = '(' + '+'.join(['x'] * 300) + ').real'
    status, out, err = cli(capsys, 'explain', text, '--set', 'x=1')
    assert (status, out) == (2, '')
    assert err == ("microgradnode explain: error: in EXPR at column 1: '" + text[:57] + "...': attribute "
                   "access is not allowed\n")


@pytest.mark.parametrize('arguments, message', [
    (['train', '--steps', '1', '--plot', 'a.png', '--graph', 'a.png'],
     "--graph 'a.png': the same file as --plot 'a.png'; give each output its own file"),
    (['fit', '--steps', '1', '--plot-boundary', 'a.png', '--plot-loss', 'a.png'],
     "--plot-loss 'a.png': the same file as --plot-boundary 'a.png'; give each output its own file"),
])
def test_two_outputs_in_one_file_are_refused_before_any_work(capsys, tmp_path, monkeypatch, arguments,
                                                              message):
    monkeypatch.chdir(tmp_path)
    status, out, err = cli(capsys, *arguments)
    assert (status, out, err) == (2, '', f'microgradnode {arguments[0]}: error: {message}\n')
    assert list(tmp_path.iterdir()) == []


def test_a_negative_number_in_any_float_syntax_is_a_value_not_an_option(capsys):
    # argparse knew -2 and -0.5 as numbers but took -1e-3 for an unknown option.
    status, out, err = cli(capsys, 'train', '--steps', '2', '--target', '-1e-3')
    assert (status, err) == (0, '') and 'target output = -0.001' in out
    status, _, err = cli(capsys, 'fit', '--noise', '-1e-3')
    assert (status, err) == (2, "microgradnode fit: error: argument --noise: must be a number from 0 to 10, "
                                "not '-1e-3'\n")
    status, out, err = cli(capsys, 'draw', '-1e-3*x', '--set', 'x=2', '-o', 'unused/g.dot')
    assert (status, err) == (2, "microgradnode draw: error: -o 'unused/g.dot': the folder 'unused' does "
                                "not exist\n")  # -1e-3*x was read as EXPR


def test_one_row_is_one_row(capsys, tmp_path):
    status, out, _ = cli(capsys, 'train', '--steps', '1', '--csv', tmp_path / 'one.csv')
    assert status == 0 and out.endswith(f'Wrote {tmp_path / "one.csv"} (1 row).\n')


def test_paths_of_inf_and_minus_inf_add_up_to_nan_as_backward_does(capsys):
    # Found by the fuzz test: sqrt(x - x) at x = 0 has the paths inf and -inf.
    from microgradnode import Value
    from microgradnode.formulas.explain import explain
    x = Value(0.0, 'x')
    e = explain((x - x).sqrt(), x)
    assert sorted(path.value for path in e.paths) == [-math.inf, math.inf]
    assert math.isnan(e.path_sum) and math.isnan(e.gradient)
    status, out, err = cli(capsys, 'explain', 'sqrt(x - x)', '--set', 'x=0')
    assert (status, err) == (0, '')
    assert out.splitlines()[-2:] == ['sum of the 2 paths:          nan', 'backward() gives d f / d x = nan']


@pytest.mark.parametrize('command', ['explain', 'walkthrough'])
def test_two_node_settings_that_overflow_are_one_line(capsys, command):
    # Found by the fuzz test: the loss 0.5 * (out - target) ** 2 overflowed with a traceback.
    network = ['--network', 'two-node'] if command == 'walkthrough' else []
    status, out, err = cli(capsys, command, *network, '--set', 'w2=1e308')
    assert (status, out) == (2, '')
    assert err == (f'microgradnode {command}: error: --set: the two-node network cannot be computed with '
                   'these values: pow(7.275076135036415e+307, k=2.0): the result is too large for a float; '
                   'use smaller numbers\n')


def test_ctrl_c_while_writing_keeps_the_previous_file_and_names_the_command(capsys, tmp_path, monkeypatch):
    from microgradnode import twonode
    path = tmp_path / 'rows.csv'
    path.write_text('previous\n')

    def interrupted_write(file, rows):
        file.write('half a row')
        raise KeyboardInterrupt
    monkeypatch.setattr(twonode.csv, 'writer', lambda file: type('W', (), {
        'writerow': lambda self, row: interrupted_write(file, row)})())
    status, out, err = cli(capsys, 'train', '--steps', '3', '--csv', path)
    assert (status, out, err) == (130, '', 'microgradnode train: interrupted\n')
    assert path.read_text() == 'previous\n' and [p.name for p in tmp_path.iterdir()] == ['rows.csv']


@pytest.mark.parametrize('arguments, status, message', [
    (['explain'], 1, 'microgradnode explain: error: cannot write to standard output: it is closed\n'),
    (['--help'], 1, 'microgradnode: error: cannot write to standard output: it is closed\n'),
    (['explain', '2*'], 2, "microgradnode explain: error: in EXPR at column 1: '2*': invalid syntax\n"),
])
def test_a_closed_standard_output_is_reported_not_ignored(tmp_path, arguments, status, message):
    # `microgradnode explain >&-`: Python sets sys.stdout to None and print() drops the text.
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    result = subprocess.run([sys.executable, '-m', 'microgradnode', *arguments], cwd=tmp_path, env=env,
                            preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (status, message)


def test_a_symlink_stays_a_link_and_a_named_pipe_is_written_to_not_replaced(capsys, tmp_path):
    # The atomic replace put a plain file in place of a symlink, and in place of a named
    # pipe or a device (such as /dev/null, as root) rather than write to it.
    import stat
    import threading
    real = tmp_path / 'real.csv'
    real.write_text('old\n')
    (tmp_path / 'link.csv').symlink_to(real)
    status, _, err = cli(capsys, 'train', '--steps', '2', '--csv', tmp_path / 'link.csv')
    assert (status, err) == (0, '')
    assert (tmp_path / 'link.csv').is_symlink() and real.read_text().startswith('iteration,w2,w1,w0,out\n')
    pipe = tmp_path / 'pipe.csv'
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()), daemon=True)
    reader.start()
    status, _, err = cli(capsys, 'train', '--steps', '2', '--csv', pipe)
    reader.join(timeout=30)
    assert (status, err) == (0, '') and stat.S_ISFIFO(pipe.lstat().st_mode)
    assert received and received[0].startswith('iteration,w2,w1,w0,out\n0,')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['link.csv', 'pipe.csv', 'real.csv']


def test_a_replaced_file_keeps_its_permissions(capsys, tmp_path):
    private = tmp_path / 'private.csv'
    private.write_text('old\n')
    private.chmod(0o600)
    status, _, _ = cli(capsys, 'train', '--steps', '2', '--csv', private)
    assert status == 0 and private.read_text().startswith('iteration,')
    assert private.stat().st_mode & 0o777 == 0o600


def test_ctrl_c_while_the_package_is_still_being_imported_is_one_line_and_130():
    # The console script starts in _microgradnode_cli, outside the package; an interrupt
    # raised while microgradnode's engine is imported stands in for a Ctrl-C at startup.
    script = '''
import sys
class InterruptWhileImporting:
    def find_spec(self, name, path=None, target=None):
        if name == 'microgradnode.engine':
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, InterruptWhileImporting())
import _microgradnode_cli
sys.exit(_microgradnode_cli.main())
'''
    done = subprocess.run([sys.executable, '-c', script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert (done.returncode, done.stdout, done.stderr) == (130, '', 'microgradnode: interrupted\n')


def test_ctrl_c_while_the_parser_is_built_is_one_line_and_130(capsys, monkeypatch):
    import importlib

    import microgradnode.cli as cli_package
    real_import = importlib.import_module

    def interrupted(name: str, *args: object):
        if name.endswith('.walkthrough'):
            raise KeyboardInterrupt
        return real_import(name, *args)
    monkeypatch.setattr(cli_package.importlib, 'import_module', interrupted)
    status, out, err = cli(capsys, 'train', '--steps', '3')
    assert (status, out, err) == (130, '', 'microgradnode: interrupted\n')


def test_the_console_script_starts_outside_the_package():
    import configparser
    config = configparser.ConfigParser()
    config.read(ROOT / 'setup.cfg')
    assert config['options.entry_points']['console_scripts'].split() == [
        'microgradnode', '=', '_microgradnode_cli:main']
    assert config['options']['py_modules'].strip() == '_microgradnode_cli'
