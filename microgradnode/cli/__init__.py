"""The ``microgradnode`` command line.

Each subcommand lives in its own module of this package with a ``register(subparsers)``
function; modules import nothing heavy at the top, so ``--help`` stays instant.

Bad input never ends in a traceback: argument errors, :class:`UsageError` and a feature
used without its optional extra (:class:`~microgradnode._support.extras.MissingExtraError`) print
one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import importlib
import os
import re
import sys
from collections.abc import Sequence

from microgradnode._support.extras import MissingExtraError

from .errors import UsageError
from .options import forget_repeats, refuse_repeats

__all__ = ['main', 'UsageError', 'ArgumentParser', 'EXIT_STATUSES']

EXIT_STATUSES: dict[str, int] = {
    'success': 0,
    'output lost': 1,   # standard output could not be written (a full disk, /dev/full)
    'bad input': 2,     # a usage error: one line on stderr naming what is wrong
    'interrupted': 130,  # Ctrl-C
    'closed pipe': 141,  # the reader of standard output went away (| head); nothing printed
}
"""What the exit status of ``microgradnode`` means; ``--help`` lists the same."""

# Subcommand modules, in the order ``--help`` lists them.
COMMANDS: list[str] = [
    'train',
    'draw',
    'fit',
    'explain',
    'walkthrough',
    'modes',
    'pitfalls',
]


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (no usage block) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f'{self.prog}: error: {message}\n')

    def parse_known_args(self, args=None, namespace=None):
        # An option that holds one value, given twice, is refused, in every command (each
        # command's parser passes through here).
        refuse_repeats(self)
        parsed, extra = super().parse_known_args(args, namespace)
        forget_repeats(parsed)
        return parsed, extra

    def _parse_optional(self, arg_string: str):
        # argparse takes every argument that starts with '-' for an option, so that
        # `explain -x` or `draw '-2*x' ...` failed. When the command takes an EXPR and no
        # option is meant, read it as EXPR (a known option such as -o or --set stays one).
        parsed = super()._parse_optional(arg_string)
        if parsed is not None and _is_number(arg_string):
            return None  # argparse knows -2 and -0.5 as numbers, but took -1e-3 or -inf for options
        if parsed is None or not _could_be_expression(arg_string) or not self._takes_expression():
            return parsed
        action, option_string = (parsed[0] if isinstance(parsed, list) else parsed)[:2]
        if action is None:
            return None
        if option_string != arg_string and not action.nargs and action.nargs is not None:
            return None  # '-hx' would be -h with an argument it cannot take: '-hx' is EXPR
        return parsed

    def _takes_expression(self) -> bool:
        return any(action.dest == 'expression' and not action.option_strings for action in self._actions)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _could_be_expression(text: str) -> bool:
    """True for '-x', '-(a+b)' or '--x*2'; False for '--name' and '--name=value', which are options.

    >>> [_could_be_expression(t) for t in ('-x', '-2*x', '--x*2', '--stesp', '--set=x=1', '-')]
    [True, True, True, False, False, False]
    """
    if len(text) < 2 or text[0] != '-':
        return False
    return text[1] != '-' or re.fullmatch(r'--[\w-]+(=.*)?', text, re.DOTALL) is None


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog='microgradnode',
        description='Learn backpropagation: train the two-node network, draw computation graphs, '
                    'and watch backprop step by step.',
        epilog="start with:  microgradnode train --plot results.png --graph graph.svg\n"
               "then:        microgradnode explain --wrt w0\n"
               "             microgradnode walkthrough --html walk.html   (add --quiz to test yourself)\n"
               "             microgradnode modes                          (why training uses reverse mode)\n"
               "help on one command:  microgradnode COMMAND --help\n\n"
               "exit status: 0 done, 1 standard output could not be written (disk full), "
               "2 bad input,\n130 interrupted (Ctrl-C), 141 the reader of the output went away "
               "(| head), silently",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    from microgradnode import __version__
    parser.add_argument('--version', action='version', version=f'microgradnode {__version__}')
    subparsers = parser.add_subparsers(dest='command', metavar='COMMAND',
                                       parser_class=ArgumentParser)
    for name in COMMANDS:
        importlib.import_module(f'{__name__}.{name}').register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see :data:`EXIT_STATUSES`).

    >>> main([])  # no command: prints the help and returns 2  # doctest: +ELLIPSIS
    usage: microgradnode [-h] [--version] ...
    2
    """
    stdout = sys.stdout
    guarded = sys.stdout = _GuardedOutput(stdout)
    try:
        try:
            status = _run(argv, guarded)
        finally:
            # Flush now, not at exit (also after argparse's --help and errors): a full
            # disk or a closed pipe is then still ours to report.
            guarded.flush()
        return status
    except OutputLostError as lost:
        return _output_lost(lost, stdout, guarded.command)
    finally:
        sys.stdout = stdout


def _run(argv: Sequence[str] | None, guarded: _GuardedOutput) -> int:
    try:  # building the parser imports every subcommand's module: Ctrl-C may land there
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
    except KeyboardInterrupt:
        print('microgradnode: interrupted', file=sys.stderr)
        return 130
    guarded.command = getattr(args, 'command', None)
    if extra:
        _unrecognized(parser, guarded.command, extra)
    if getattr(args, 'run', None) is None:
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except (UsageError, MissingExtraError) as error:
        print(f'microgradnode {args.command}: error: {error}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f'microgradnode {args.command}: interrupted', file=sys.stderr)
        return 130
    except BrokenPipeError as error:  # an output file that is a pipe (-o /dev/stdout | head)
        raise OutputLostError(error) from None


def _unrecognized(parser: ArgumentParser, command: str | None, extra: list[str]) -> None:
    """``microgradnode train: error: unrecognized arguments: --stesp``, a guess, and the usage."""
    sub = _subparser(parser, command) or parser
    message = f'unrecognized arguments: {" ".join(extra)}'
    known = [option for action in sub._actions for option in action.option_strings]
    option = extra[0].partition('=')[0]
    close = difflib.get_close_matches(option, known, n=1) if option[:1] == '-' and option not in known else []
    if close:
        message += f' (did you mean {close[0]}?)'
    sub.exit(2, f'{sub.prog}: error: {message}\n{sub.format_usage()}')


def _subparser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command) if command is not None else None
    return None


class OutputLostError(Exception):
    """Writing to standard output failed: ``error`` is the OSError (EPIPE for a closed pipe)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedOutput:
    """sys.stdout, with its write errors told apart from every other OSError of a command."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.command: str | None = None  # the subcommand, for the message if output is lost

    def write(self, text: str) -> int:
        try:
            if self._stream is None:
                # `microgradnode explain >&-`: Python then sets sys.stdout to None, and
                # print() would drop the output without a word.
                raise OSError(errno.EBADF, 'it is closed')
            return self._stream.write(text)
        except OSError as error:
            raise OutputLostError(error) from None

    def flush(self) -> None:
        try:
            if self._stream is not None:
                self._stream.flush()
        except OSError as error:
            raise OutputLostError(error) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _output_lost(lost: OutputLostError, stdout, command: str | None) -> int:
    # Whatever is still buffered can never be written: send it, and anything Python
    # flushes at exit, to /dev/null, so that no second error is printed then.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
    if lost.error.errno == errno.EPIPE:
        # The reader went away (`microgradnode walkthrough | head -1`): stop quietly, as
        # programs killed by SIGPIPE do, with the status a shell gives them.
        return EXIT_STATUSES['closed pipe']
    where = f'microgradnode {command}' if command else 'microgradnode'
    with contextlib.suppress(OSError):
        print(f'{where}: error: cannot write to standard output: {lost.error.strerror or lost.error}',
              file=sys.stderr)
    return EXIT_STATUSES['output lost']
