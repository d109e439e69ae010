"""Reading option values: each bad value is one line naming the option and its bounds.

``whole_number`` and ``real_number`` build argparse ``type=`` functions; argparse puts
the option's name in front of their message (``argument --steps: ...``).
``check_output_file`` fails before a long run, not after it, when a file could not be
written, in the same words for every command.

>>> steps = whole_number(0, 1000)
>>> steps('12')
12
>>> steps('1e3')
Traceback (most recent call last):
...
argparse.ArgumentTypeError: must be a whole number from 0 to 1000, not '1e3'
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError

__all__ = ['whole_number', 'real_number', 'check_output_file', 'check_different_files', 'refuse_repeats',
           'forget_repeats']


def _bounds(low: float, high: float, what: str) -> str:
    if high == math.inf:
        return f'{what} of {_number(low)} or more'
    return f'{what} from {_number(low)} to {_number(high)}'


def _number(bound: float) -> str:
    # 1000000, not 1e+06; 1e-06 stays short.
    return str(int(bound)) if bound == int(bound) and abs(bound) < 1e16 else f'{bound:g}'


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (inclusive).

    >>> whole_number(1, 10)('0')
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number from 1 to 10, not '0'
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            # Cut: a 5000-digit number need not be echoed back whole.
            shown = text if len(text) <= 40 else text[:37] + '...'
            raise argparse.ArgumentTypeError(f'must be {_bounds(low, high, "a whole number")}, '
                                             f'not {shown!r}')
        return value
    return parse


def real_number(low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number from ``low`` to ``high`` (above ``low`` if ``low_open``).

    >>> real_number(0, 10)('nan')
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a number from 0 to 10, not 'nan'
    >>> real_number(0, math.inf, low_open=True)('0')
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a number above 0, not '0'
    """
    what = (f'a number above {_number(low)}' + ('' if high == math.inf else f' and at most {_number(high)}')
            if low_open else _bounds(low, high, 'a number'))

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and (low < value if low_open else low <= value) and value <= high):
            shown = text if len(text) <= 40 else text[:37] + '...'
            raise argparse.ArgumentTypeError(f'must be {what}, not {shown!r}')
        return value + 0.0  # -0 is 0: reports print 'alpha = 0', not 'alpha = -0'
    return parse


def check_output_file(path: str | os.PathLike[str], option: str) -> None:
    """UsageError unless ``path`` names a file that can be written, in an existing folder.

    >>> check_output_file('no/such/folder/out.csv', '--csv')
    Traceback (most recent call last):
    ...
    microgradnode.cli.UsageError: --csv 'no/such/folder/out.csv': the folder 'no/such/folder' does not exist
    """
    path = Path(path)
    where = f'{option} {str(path)!r}'
    try:
        if path.is_dir():
            raise UsageError(f'{where}: is a folder; give a file name')
        if not path.parent.is_dir():
            raise UsageError(f'{where}: the folder {str(path.parent)!r} does not exist')
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise UsageError(f'{where}: cannot write (permission denied)')
    except (OSError, ValueError) as error:  # a name too long for the file system, a NUL in it
        raise UsageError(f'{where}: cannot write: {getattr(error, "strerror", None) or error}') from None


def check_different_files(outputs: dict[str, str | os.PathLike[str] | None]) -> None:
    """UsageError if two options name the same file: the second write would replace the first.

    >>> check_different_files({'--plot-boundary': 'a.png', '--plot-loss': './a.png'})
    Traceback (most recent call last):
    ...
    microgradnode.cli.UsageError: --plot-loss './a.png': the same file as --plot-boundary 'a.png'; \
give each output its own file
    """
    seen: dict[str, tuple[str, str]] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            first, first_path = seen[key]
            raise UsageError(f'{option} {str(path)!r}: the same file as {first} {first_path!r}; '
                             'give each output its own file')
        seen[key] = (option, str(path))


# -- options that cannot repeat --------------------------------------------------------------------

# Actions for which a second occurrence means something: a list grows (--set), a count rises,
# help and version stop. Every other option holds one value, and argparse would silently keep
# the last one given (`walkthrough --wrt x --wrt y` walked y).
_REPEATABLE = (argparse._AppendAction, argparse._AppendConstAction, argparse._CountAction,
               argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)
_GIVEN = '_options_given'


class _Once(argparse.Action):
    """Mixed in before an option's own action: a second value for its ``dest`` is an error."""

    def __call__(self, parser, namespace, values, option_string=None):
        given = vars(namespace).setdefault(_GIVEN, {})
        if self.dest in given:
            first_option, first_values = given[self.dest]
            if self.nargs != 0:  # an option with a value
                parser.error(f'argument {option_string}: given twice ({first_option} '
                             f'{_shown(first_values)}, then {option_string} {_shown(values)}); '
                             f'it takes {"one list of values" if self.nargs in ("+", "*") else "one value"}: '
                             'give it once')
            if first_option != option_string:  # --flag then --no-flag: which one was meant?
                parser.error(f'argument {option_string}: not allowed with {first_option}; give one of them')
        given[self.dest] = (option_string, values)
        super().__call__(parser, namespace, values, option_string)


def _shown(values: object) -> str:
    if isinstance(values, list):
        return ' '.join(repr(value) for value in values)
    return repr(values)


_ONCE_KINDS: dict[type, type] = {}


def _once(kind: type) -> type:
    if kind not in _ONCE_KINDS:
        _ONCE_KINDS[kind] = type(f'Once{kind.__name__}', (_Once, kind), {})
    return _ONCE_KINDS[kind]


def refuse_repeats(parser: argparse.ArgumentParser) -> None:
    """Make every option of ``parser`` that holds one value refuse a second one (one line, exit 2).

    The command line's parser calls this before parsing, for every command; options that
    add up (``--set``, ``explain --wrt``) keep repeating.

    >>> from microgradnode.cli import ArgumentParser
    >>> parser = ArgumentParser(prog='demo')
    >>> _ = parser.add_argument('--wrt')
    >>> parser.parse_args(['--wrt', 'x', '--wrt', 'y'])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    for action in parser._actions:
        if action.option_strings and not isinstance(action, (_Once, *_REPEATABLE)):
            action.__class__ = _once(type(action))


def forget_repeats(namespace: argparse.Namespace) -> None:
    """Remove the record :func:`refuse_repeats` keeps in the parsed arguments."""
    vars(namespace).pop(_GIVEN, None)
