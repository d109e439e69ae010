"""``microgradnode pitfalls``: the classic backprop mistakes, each run where it goes wrong.

Without arguments every pitfall is printed as text (no extra needed); ``NAME ...`` picks
some; ``--html FILE`` writes one offline page with a diagram of each run (the diagrams
need the ``[draw]`` extra; without it the page says so and keeps the tables).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import UsageError
from .options import check_output_file

__all__ = ['register', 'run']


def register(subparsers) -> None:
    from ..lesson.pitfalls import PITFALLS

    names = ', '.join(p.name for p in PITFALLS)
    parser = subparsers.add_parser(
        'pitfalls', help='the classic backprop mistakes, run: what goes wrong, where, and why',
        description='Run each classic backprop mistake (= for +=, no topological sort, recursion, '
                    'zero_grad forgotten, backward() twice, a graph drawn too early, .data changed '
                    'after the forward pass) as a small variant of the textbook engine, on the '
                    'smallest graph where it goes wrong and on a graph where it happens to be right; '
                    'print both runs\' gradients side by side.')
    parser.add_argument('names', nargs='*', metavar='NAME', help=f'pitfalls to show (default: all): {names}')
    parser.add_argument('--html', metavar='FILE',
                        help='write one offline HTML page of them, with diagrams (the [draw] extra)')
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .._support.extras import MissingExtraError, check_installed
    from ..lesson.pitfalls import PITFALLS, pitfalls, write_html

    known = [p.name for p in PITFALLS]
    unknown = [name for name in args.names if name not in known]
    if unknown:
        raise UsageError(f'no pitfall named {unknown[0]!r}; the pitfalls are: {", ".join(known)}')
    if args.html is not None:
        if Path(args.html).suffix.lower() not in ('.html', '.htm'):
            raise UsageError(f'--html {args.html!r}: the page is HTML; give a file name ending in .html')
        check_output_file(args.html, '--html')
    reports = pitfalls(*args.names)
    if args.html is None:
        print('\n\n'.join(report.text() for report in reports))
        return 0
    try:
        check_installed('graphviz', 'diagrams')
        missing = ''
    except MissingExtraError as error:
        missing = f' (no diagrams: {error})'
    try:
        path = write_html(args.html, reports)
    except OSError as error:
        raise UsageError(f'cannot write {args.html}: {error.strerror or error}') from None
    print(f'wrote {path}: {len(reports)} pitfalls{missing}; open it in a browser (it needs no network)')
    return 0
