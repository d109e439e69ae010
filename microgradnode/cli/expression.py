"""Command-line arguments shared by commands that take an expression: ``EXPR --set NAME=VALUE``.

>>> from microgradnode.cli import ArgumentParser
>>> parser = ArgumentParser(prog='demo')
>>> add_expression_arguments(parser)
>>> args = parser.parse_args(['w * x', '--set', 'w=0.5', '--set', 'x=4'])
>>> expression_from_args(args).data
2.0
"""

from __future__ import annotations

import argparse
import itertools
import keyword
import math
import unicodedata
from collections.abc import Collection

from ..engine import Value, topological_order
from ..formulas.expression import FUNCTIONS, ExpressionError, UnknownNameError, parse_expression
from .errors import UsageError

__all__ = ['add_expression_arguments', 'expression_from_args', 'parse_assignments', 'assignment_text',
           'output_name']


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the positional ``EXPR`` and the repeatable ``--set NAME=VALUE`` to ``parser``."""
    parser.add_argument(
        'expression', metavar='EXPR',
        help="an arithmetic expression, e.g. 'sigmoid(w*x + b)': numbers, names, + - * / **, "
             f"parentheses and the functions {', '.join(FUNCTIONS)}")
    parser.add_argument(
        '--set', dest='assignments', metavar='NAME=VALUE', action='append', default=[],
        type=assignment_text, help='give a name in EXPR its value (repeat for each name), e.g. --set x=2')


def assignment_text(text: str) -> str:
    # Checked as soon as argparse reads it, so that `--set x 2` is reported as the
    # missing '=' rather than as a stray argument '2'.
    if '=' not in text:
        raise argparse.ArgumentTypeError(f'expected NAME=VALUE, e.g. --set x=2, not {text!r}')
    return text


def parse_assignments(assignments: list[str]) -> dict[str, float]:
    """``['x=2', 'w=-0.5']`` -> ``{'x': 2.0, 'w': -0.5}``, or a UsageError naming the bad one.

    Names are read as Python reads them in EXPR (NFKC): ``ｘ`` is ``x``.

    >>> parse_assignments(['x=2', 'w = -0.5', 'ｂ=1'])
    {'x': 2.0, 'w': -0.5, 'b': 1.0}
    >>> parse_assignments(['x:2'])
    Traceback (most recent call last):
    ...
    microgradnode.cli.UsageError: --set 'x:2': expected NAME=VALUE, e.g. --set x=2
    """
    values: dict[str, float] = {}
    written: dict[str, str] = {}  # each name as the user wrote it
    for assignment in assignments:
        name, equals, number = assignment.partition('=')
        name, number = name.strip(), number.strip()
        if not equals or not name:
            raise UsageError(f'--set {assignment!r}: expected NAME=VALUE, e.g. --set x=2')
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f'--set {assignment!r}: {name!r} is not a valid name '
                             f'(letters, digits and _, not starting with a digit)')
        # Python's parser folds look-alike letters (NFKC): in EXPR, ｘ *is* x. Read the
        # name the same way, or ｘ=2 would be silently ignored.
        folded = unicodedata.normalize('NFKC', name)
        read_as = f' (which Python reads as {folded!r})' if folded != name else ''
        if keyword.iskeyword(folded):
            raise UsageError(f'--set {assignment!r}: {name!r}{read_as} is a Python keyword; '
                             'choose another name')
        if folded in FUNCTIONS:
            raise UsageError(f'--set {assignment!r}: {name!r}{read_as} is a function name; '
                             'choose another name')
        try:
            value = float(number)
        except ValueError:
            raise UsageError(f'--set {assignment!r}: {number!r} is not a number') from None
        if not math.isfinite(value):
            raise UsageError(f'--set {assignment!r}: the value must be a finite number')
        if folded in values:
            same = '' if written[folded] == name else (
                f' ({written[folded]!r} and {name!r} are the same name to Python, which folds '
                f'look-alike letters)')
            raise UsageError(f'--set {assignment!r}: {folded!r} is set twice{same}')
        values[folded] = value
        written[folded] = name
    return values


def expression_from_args(args: argparse.Namespace) -> Value:
    """The Value graph of ``args.expression`` with the ``--set`` values; UsageError if anything is wrong.

    Every ``--set`` name must be used: a typo in a name must not go unnoticed.
    """
    values = parse_assignments(args.assignments)
    try:
        output = parse_expression(args.expression, values)
    except UnknownNameError as error:
        raise UsageError(f'in EXPR at column {error.column}: unknown name {error.name!r}; '
                         f'give it a value with --set {error.name}=VALUE'
                         + (f' (names set: {", ".join(error.known)})' if error.known else '')) from None
    except ExpressionError as error:
        where = f' at column {error.column}' if error.column is not None else ''
        # The offending part, cut short: it can be the whole 2000-character expression.
        text = error.text if len(error.text) <= 60 else error.text[:57] + '...'
        what = f'{text!r}: ' if text else ''
        raise UsageError(f'in EXPR{where}: {what}{error.reason}') from None
    used = [node.label for node in topological_order(output) if node.is_leaf and node.label]
    unused = [name for name in values if name not in used]
    if unused:
        uses = f'the names it uses are {", ".join(sorted(used))}' if used else 'it uses no names'
        raise UsageError(f'--set {unused[0]}: EXPR does not use {unused[0]!r} ({uses})')
    return output


def output_name(taken: Collection[str]) -> str:
    """A name for an unlabelled output that no value of the graph has: f, output, result, f2, f3...

    >>> output_name({'x'}), output_name({'f', 'output', 'result', 'f2'})
    ('f', 'f3')
    """
    candidates = itertools.chain(('f', 'output', 'result'), (f'f{n}' for n in itertools.count(2)))
    return next(name for name in candidates if name not in taken)
