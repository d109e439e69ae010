"""Fuzzing every command: random expressions, names, numbers as text and paths.

Whatever the input, a command ends with status 0 or 2, never a traceback, in bounded
time, and leaves no partial file: a file asked for exists after status 0 and is not
created after status 2, and no temporary file is ever left. Mostly in-process through
``main(argv)``; a few cases run the real program. Deterministic (derandomized, no
example database) and small: expressions have few terms, so layouts stay cheap.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microgradnode.cli import main

ROOT = Path(__file__).resolve().parents[2]

# 100 examples a command in CI (about 25 s in all); set MICROGRADNODE_FUZZ_EXAMPLES=2000 for a
# longer hunt on a developer's machine.
EXAMPLES = int(os.environ.get('MICROGRADNODE_FUZZ_EXAMPLES', '100'))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Names: plain, look-alikes that Python folds (NFKC), keywords, function names, the
# output's own fallback names, long ones, and things that are no name at all.
ODD_NAMES = ['ｘ', '𝑥', 'ℌ', 'ﬁ', 'ｉｆ', 'if', 'lambda', 'sin', 'ｓｉｎ', 'sigmoid', 'a' * 300, '1x', '',
             ' ', 'x y', '-x', '--set', '\u200b', 'x\u0301', 'nan', 'True', '_']
GOOD_NAMES = ['x', 'w', 'b', 'x1', 'é', 'H', 'fi', 'Σ', 'f', 'output', 'result', 'f2', 'w0', 's0',
              'target', 'hx', 'o']
NAMES = st.one_of(
    st.sampled_from(GOOD_NAMES),
    st.sampled_from(ODD_NAMES),
    st.text(alphabet=st.characters(codec='utf-8', exclude_categories=('Cs',)), min_size=1, max_size=6),
)


def mostly(good, bad, *, tenths: int = 8):
    """``good`` in about ``tenths`` of ten examples, else ``bad``."""
    return st.integers(1, 10).flatmap(lambda i: good if i <= tenths else bad)


IDENTIFIERS = mostly(st.sampled_from(GOOD_NAMES), NAMES.filter(str.isidentifier))

# Numbers as text, as a shell passes them; the first two branches are valid for most options,
# so that commands get past argparse and do their work.
SMALL = st.one_of(st.sampled_from(['0', '1', '2', '3', '0.5', '-1', '-0', '1e-320', '0.1']),
                  st.floats(-5, 5).map(repr))
NUMBERS = mostly(SMALL, st.one_of(
    st.sampled_from(['nan', 'NaN', 'inf', '-inf', '1e400', '-1e400', '1e308', '-1e308',
                     '99999999999999999999', '-99999999999999999999', '', ' ', 'abc', '0x10', '1_0',
                     '1e3', '٣', '1,5', '--1']),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
), tenths=5)
COUNTS = mostly(st.sampled_from(['1', '2', '3', '10', '0']), NUMBERS)  # valid ones are small


def _expression(leaves):
    unary = st.tuples(st.sampled_from(['-', '+', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt', 'relu',
                                       'abs', 'sin', 'softplus']), leaves)
    binary = st.tuples(leaves, st.sampled_from(['+', '-', '*', '/', '**']), leaves)
    return st.one_of(
        unary.map(lambda t: f'{t[0]}{t[1]}' if t[0] in '-+' else f'{t[0]}({t[1]})'),
        binary.map(lambda t: f'({t[0]} {t[1]} {t[2]})' if t[1] != '**' else f'{t[0]}**{t[2]}'),
    )


@st.composite
def graphs(draw) -> list[str]:
    """EXPR (few operations, so layouts stay small) and its --set options, mostly matching."""
    names = draw(st.lists(IDENTIFIERS, min_size=1, max_size=3, unique=True))
    leaves = mostly(st.sampled_from(names), st.sampled_from(['2', '0.5', '0', '1e100']))
    operations = _expression(st.recursive(leaves, _expression, max_leaves=3))
    expression = draw(mostly(operations, st.one_of(
        st.text(max_size=25),  # anything at all
        st.sampled_from(['-x', '--x', '-x*2', '-hx', '-o*x', '2*3', 'x.y', '__import__("os")',
                         'x if x else x', 'lambda: 1', '9**9**9', 'x' * 2001, '(' * 80 + 'x' + ')' * 80,
                         'x\x00', '']),
    )))
    # Now and then a name is left without a value.
    value = mostly(SMALL, NUMBERS)
    sets = [f'{name}={draw(value)}' for name in names if name in expression and draw(st.integers(0, 9))]
    if draw(st.integers(0, 9)) == 0:
        sets.append(f'{draw(NAMES)}={draw(NUMBERS)}')  # a name EXPR may not use, or no name at all
    return [expression, *[word for assignment in sets for word in ('--set', assignment)]]


def run_main(argv: list[str]) -> tuple[int, str, str, float, float]:
    """Status, stdout, stderr, CPU seconds and wall seconds of ``main(argv)`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 2
    return status, out.getvalue(), err.getvalue(), time.process_time() - cpu, time.perf_counter() - started


def check(argv: list[str], folder: Path, outputs: list[Path], *, seconds: float = 20.0) -> tuple[int, str]:
    status, out, err, cpu, wall = run_main(argv)
    assert status in (0, 2), (argv, status, err)
    assert 'Traceback' not in err and 'Traceback' not in out, (argv, err)
    # No case may run away: this process's CPU time is bounded, which a busy machine does not
    # change (a fresh venv's run, niced beside other jobs, took 43 s of wall time for a 20 s
    # case); the wall time only against a hang.
    assert cpu < seconds and wall < 10 * seconds, (argv, cpu, wall)
    if status == 2:
        assert err.startswith('microgradnode') and 'error: ' in err, (argv, err)
        lines = err.splitlines()
        # One line; an unknown argument also shows the command's usage.
        assert len(lines) == 1 or 'unrecognized arguments' in lines[0], (argv, err)
        assert not any(path.exists() for path in outputs), (argv, err)  # nothing half-written
    else:
        assert all(path.is_file() and path.stat().st_size > 0 for path in outputs), (argv, out)
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith('.part')]
    assert leftovers == [], (argv, leftovers)
    return status, err


def maybe(strategy):
    return st.one_of(st.just(None), strategy)


# -- the commands ---------------------------------------------------------------------------------

@FUZZ
@given(graph=graphs(), number_format=maybe(st.sampled_from(['.3f', '.2e', '.4g'])),
       rankdir=maybe(st.sampled_from(['TB', 'RL', 'BT', 'up'])),
       output_name=st.sampled_from(['g.dot', 'g.dot', 'g.svg', 'g', 'sub/g.dot']))
def test_draw(graph, number_format, rankdir, output_name):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        output = folder / output_name
        argv = ['draw', *graph, '-o', str(output)]
        if number_format:
            argv += ['--number-format', number_format]
        if rankdir:
            argv += ['--rankdir', rankdir]
        check(argv, folder, [output])


@FUZZ
@given(graph=maybe(graphs()), two_node=st.lists(st.tuples(st.sampled_from(['w0', 'w1', 'w2', 's0', 'target',
                                                                             'ｗ0', 'alpha']), NUMBERS),
                                                   max_size=2),
       wrt=mostly(st.just([]), st.lists(IDENTIFIERS, max_size=2), tenths=6), max_paths=maybe(COUNTS))
def test_explain(graph, two_node, wrt, max_paths):
    with tempfile.TemporaryDirectory() as folder:
        argv = ['explain', *(graph or [a for n, v in two_node for a in ('--set', f'{n}={v}')]),
                *[a for w in wrt for a in ('--wrt', w)]]
        if max_paths is not None:
            argv += ['--max-paths', max_paths]
        check(argv, Path(folder), [])


@FUZZ
@given(graph=maybe(graphs()), rankdir=maybe(st.sampled_from(['TB', 'LR', 'BT', 'up'])))
def test_walkthrough(graph, rankdir):
    with tempfile.TemporaryDirectory() as folder:
        argv = ['walkthrough', *(graph or []), *(['--rankdir', rankdir] if rankdir else [])]
        check(argv, Path(folder), [])


# train and fit: every option gets a sensible value or none, and then, in about half the
# examples, one of them a bad one; so that most runs get past argparse and do their work.
# Valid whole numbers stay small, so that no run is long.
BAD = st.one_of(
    st.sampled_from(['nan', 'NaN', 'inf', '-inf', '1e400', '-1e400', '1e308', '-1e308', '1e-320',
                     '99999999999999999999', '-99999999999999999999', '', ' ', 'abc', '0x10', '1e3',
                     '٣', '1,5', '--1', '-1', '-0', '2.5', '100001', '1000001']),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=5),
)


def reals(low: float, high: float):
    return st.one_of(st.floats(low, high).map(repr), st.sampled_from([repr(low), repr(high), str(int(low))]))


@st.composite
def option_values(draw, valid: dict) -> dict[str, list[str]]:
    chosen = {option: draw(maybe(strategy)) for option, strategy in valid.items()}
    if draw(st.booleans()):
        option = draw(st.sampled_from(sorted(valid)))
        chosen[option] = [draw(BAD)] if option != '--weights' else draw(st.lists(BAD, min_size=1, max_size=3))
    return {option: value if isinstance(value, list) else [value]
            for option, value in chosen.items() if value is not None}


TRAIN_OPTIONS = {
    '--steps': st.sampled_from(['0', '1', '2', '3', '10']), '--alpha': reals(0.0, 2.0),
    '--target': reals(-5.0, 5.0), '--input': reals(-5.0, 5.0),
    '--weights': st.lists(reals(-3.0, 3.0), min_size=3, max_size=3),
    '--order': st.sampled_from(['notebook', 'simultaneous']),
}


@FUZZ
@given(options=option_values(TRAIN_OPTIONS),
       csv=maybe(st.sampled_from(['out.csv', 'out.txt', 'out.xls', 'no/out.csv', ''])),
       plot=maybe(st.sampled_from(['out.png', 'out.svg', 'out.gif', 'out.csv'])))
def test_train(options, csv, plot):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        argv = ['train', *[word for option, values in options.items() for word in (option, *values)]]
        outputs = []
        for option, name in (('--csv', csv), ('--plot', plot)):
            if name:
                argv += [option, str(folder / name)]
                outputs.append(folder / name)
            elif name is not None:
                argv += [option, name]
        check(argv, folder, outputs)


FIT_OPTIONS = {
    '--dataset': st.sampled_from(['moons', 'circles', 'xor']), '--samples': st.sampled_from(['4', '8', '12']),
    '--noise': reals(0.0, 1.0),
    '--layers': st.lists(st.sampled_from(['1', '2', '4']), min_size=1, max_size=2),
    '--l2': reals(0.0, 1.0), '--lr': reals(0.001, 2.0), '--steps': st.sampled_from(['1', '2', '3']),
    '--seed': st.sampled_from(['0', '1', '4294967295']), '--loss': st.sampled_from(['hinge', 'bce', 'mse']),
    '--optimizer': st.sampled_from(['sgd', 'momentum', 'adam']),
    '--activation': st.sampled_from(['relu', 'tanh', 'sigmoid']),
}


@FUZZ
@given(options=option_values(FIT_OPTIONS), compiled=st.booleans(),
       plot=maybe(st.sampled_from(['b.png', 'b.png', 'b.svg', 'no/b.png'])))
def test_fit(options, compiled, plot):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        options.setdefault('--steps', ['2'])
        options.setdefault('--layers', ['3'])
        argv = ['fit', '--no-progress',
                *[word for option, values in options.items() for word in (option, *values)]]
        if compiled:
            argv.append('--compile')
        outputs = []
        if plot is not None:
            argv += ['--plot-boundary', str(folder / plot)]
            outputs.append(folder / plot)
        check(argv, folder, outputs)


@FUZZ
@given(words=st.lists(st.one_of(NAMES, NUMBERS, st.sampled_from(
    ['draw', 'explain', 'walkthrough', '--set', '--wrt', '-o', '-h', '--steps', '--',
     '--stesp', '--version', '-x'])), max_size=5))
def test_any_words_at_all(words):
    """Argument lists that may make no sense: still 0 or 2, no traceback. (Not train and fit:
    their defaults train for seconds; their own tests above keep runs short.)"""
    if any(word in ('-h', '--version') for word in words):
        words = [word for word in words if word not in ('-h', '--version')]
    if 'draw' in words[:1]:
        words = [word for word in words if word not in ('-o',)]  # draw then has no FILE: status 2
    with tempfile.TemporaryDirectory() as folder:
        status, out, err, cpu, wall = run_main(words)
        assert status in (0, 2), (words, err)
        assert 'Traceback' not in err and cpu < 20 and wall < 200, (words, err, cpu, wall)
        del folder


# -- a few through the real program: argv decoding, the interpreter's own exit -------------------

@pytest.mark.parametrize('arguments', [
    ['draw', '-ｘ', '--set', 'ｘ=1e400', '-o', 'g.dot'],
    ['explain', 'x\udcff', '--set', 'x=1'],  # a byte that is not UTF-8, as a shell may pass
    ['train', '--steps', '2', '--csv', '\udcff.csv'],
    ['fit', '--samples', '4', '--dataset', 'xor', '--steps', '99999999999999999999', '--no-progress'],
    ['walkthrough', '𝑥**2', '--set', 'x=nan'],
    ['explain', 'f*output*result', '--set', 'f=1', '--set', 'output=2', '--set', 'result=3'],
    ['train', '--steps', '3', '--target', '-1e-3', '--weights', '-inf', '0', '1'],
])
def test_through_the_real_program(tmp_path, arguments):
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    argv = [os.fsencode(a) if '\udcff' in a else a for a in arguments]
    result = subprocess.run([sys.executable, '-m', 'microgradnode', *argv], cwd=tmp_path, env=env,
                            capture_output=True, timeout=60)
    stderr = result.stderr.decode('utf-8', 'replace')
    assert result.returncode in (0, 2) and 'Traceback' not in stderr, stderr
    assert result.returncode == 0 or stderr.count('\n') == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith('.part')]
