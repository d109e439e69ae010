"""The ``microgradnode`` command line.

Each subcommand lives in its own module of this package with a ``register(subparsers)``
function; modules import nothing heavy at the top, so ``--help`` stays instant.

Bad input never ends in a traceback: argument errors, :class:`UsageError` and a feature
used without its optional extra (:class:`~microgradnode.extras.MissingExtraError`) print
one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from microgradnode.extras import MissingExtraError

__all__ = ['main', 'UsageError', 'ArgumentParser']

# Subcommand modules, in the order ``--help`` lists them.
COMMANDS: list[str] = [
    'train',
    'draw',
    'fit',
    'explain',
    'walkthrough',
    'modes',
]


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (no usage block) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f'{self.prog}: error: {message}\n')


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog='microgradnode',
        description='Learn backpropagation: train the two-node network, draw computation graphs, '
                    'and watch backprop step by step.',
        epilog="start with:  microgradnode train --plot results.png --graph graph.svg\n"
               "then:        microgradnode explain --wrt w0\n"
               "             microgradnode walkthrough --html walk.html\n"
               "help on one command:  microgradnode COMMAND --help",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    from microgradnode import __version__
    parser.add_argument('--version', action='version', version=f'microgradnode {__version__}')
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND',
                                       parser_class=ArgumentParser)
    for name in COMMANDS:
        importlib.import_module(f'{__name__}.{name}').register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    >>> main([])  # no command: prints the help and returns 2  # doctest: +ELLIPSIS
    usage: microgradnode [-h] [--version] ...
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, 'run', None) is None:
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except (UsageError, MissingExtraError) as error:
        print(f'microgradnode {args.command}: error: {error}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('microgradnode: interrupted', file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`microgradnode walkthrough | head`): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
