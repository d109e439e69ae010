"""Run one measurement for one engine in this (fresh) process; print its figures as JSON.

Used by the runner: ``python -m benchmarks.child MEASUREMENT ENGINE``.
"""

from __future__ import annotations

import json
import sys

from .registry import load_all


def main(argv: list[str]) -> int:
    name, engine = argv
    from .cases import UnavailableError

    try:
        figures = load_all()[name].function(engine)
    except UnavailableError as reason:
        figures = {'*': f'n/a: {reason}'}
    except Exception as error:  # reported in the table rather than stopping the whole run
        figures = {'*': f'error: {type(error).__name__}: {error}'[:160]}
    json.dump(figures, sys.stdout)
    return 0


if __name__ == '__main__':
    raise SystemExit(main(sys.argv[1:]))
