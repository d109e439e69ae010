"""The one exception every command raises for bad input; kept apart so that the commands'
modules import it without importing the parser that imports them.

>>> str(UsageError('--steps must be a whole number'))
'--steps must be a whole number'
"""

__all__ = ['UsageError']


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


UsageError.__module__ = 'microgradnode.cli'  # where users import it from
