"""An option that holds one value, given twice, is refused in every command (issue 22, item 22).

argparse keeps the last value silently: `walkthrough --mode forward --wrt x --wrt y` walked y.
"""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from microgradnode.cli import build_parser, main


def run(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(args)
        except SystemExit as stop:
            status = stop.code
    return status, err.getvalue()


def test_walkthrough_wrt_twice_is_refused():
    status, err = run(['walkthrough', 'x*y', '--set', 'x=1', '--set', 'y=2', '--mode', 'forward',
                       '--wrt', 'x', '--wrt', 'y'])
    assert status == 2
    assert err == ("microgradnode walkthrough: error: argument --wrt: given twice "
                   "(--wrt 'x', then --wrt 'y'); it takes one value: give it once\n")


def test_a_short_and_a_long_spelling_of_one_option_count_as_twice(tmp_path):
    status, err = run(['draw', 'x*2', '--set', 'x=1', '-o', str(tmp_path / 'a.svg'),
                       '--output', str(tmp_path / 'b.svg')])
    assert status == 2 and 'argument --output: given twice (-o ' in err, err
    assert list(tmp_path.iterdir()) == []


def _single_value_options() -> list[tuple[str, str, argparse.Action]]:
    found = []
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command, sub in commands.choices.items():
        for action in sub._actions:
            if action.option_strings and action.nargs != 0 and not isinstance(action, argparse._AppendAction):
                found.append((command, action.option_strings[-1], action))
    return found


@pytest.mark.parametrize('command, option, action', _single_value_options(),
                         ids=[f'{c} {o}' for c, o, _ in _single_value_options()])
def test_every_single_value_option_of_every_command_refuses_a_second_value(command, option, action):
    value = (action.choices and str(next(iter(action.choices)))) or (
        '1' if action.type is not None and action.type not in (str,) else 'a')
    status, err = run([command, option, value, option, value])
    assert status == 2, (command, option, err)
    assert f'argument {option}: given twice' in err and err.count('\n') == 1, err


def test_options_that_add_up_still_repeat_but_not_with_the_same_value():
    status, err = run(['explain', '--wrt', 'w0', '--wrt', 'w1'])
    assert status == 0, err
    # The same input twice printed its explanation twice.
    status, err = run(['explain', '--wrt', 'w0', '--wrt', 'w0'])
    assert status == 2
    assert err == "microgradnode explain: error: --wrt 'w0': given twice; name each input once\n"


def test_a_flag_and_its_opposite_are_refused_together_a_repeated_flag_is_not():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    pairs = [(command, [a.option_strings[-1] for a in sub._actions if a.dest == dest and a.nargs == 0])
             for command, sub in commands.choices.items()
             for dest in {a.dest for a in sub._actions if a.nargs == 0 and a.dest != 'help'}]
    opposed = [(command, options) for command, options in pairs if len(options) > 1]
    for command, (first, second, *_) in opposed:
        status, err = run([command, first, second])
        assert status == 2 and f'argument {second}: not allowed with {first}' in err, err
    status, err = run(['fit', '--dataset', 'xor', '--steps', '1', '--no-progress', '--no-progress'])
    assert status == 0, err
