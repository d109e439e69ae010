"""The ``microgradnode`` command's entry point, kept outside the package on purpose.

Importing ``microgradnode`` takes some 60 ms (the engine generates its methods), and a
Ctrl-C in that window used to end in a traceback. The console script imports this module
first: it imports nothing of the package until it can catch the interrupt, so Ctrl-C at
any moment ends with one line and exit status 130, as everywhere else in the command line.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Run the command line (:func:`microgradnode.cli.main`); 130 if interrupted while starting."""
    try:
        from microgradnode.cli import main as run_command_line
    except KeyboardInterrupt:
        print('microgradnode: interrupted', file=sys.stderr)
        return 130
    return run_command_line()


if __name__ == '__main__':
    sys.exit(main())
