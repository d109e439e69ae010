"""Turning DOT text into SVG, PNG or PDF bytes, with or without a system Graphviz.

Two renderers, tried in this order by ``renderer='auto'``:

- ``'pygraphviz'``: pygraphviz 2.x wheels ship Graphviz's libraries inside the wheel:
  SVG, PNG and PDF after ``pip install`` alone.
- ``'dot'``: the ``dot`` program of a system Graphviz.

Either way the layout runs in a child process, never in this one: Graphviz's layout
cannot be interrupted from Python (an in-process layout holds the interpreter, so
Ctrl-C would wait for it), and some graphs take it minutes. The child is killed when
the time limit passes (:class:`LayoutTimeoutError`) or when Ctrl-C arrives here.

>>> 'svg' in FORMATS
True
>>> render('digraph { a -> b }', 'svg')[:5]  # doctest: +SKIP
b'<?xml'
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence

__all__ = ['FORMATS', 'RENDERERS', 'DEFAULT_TIME_LIMIT', 'RendererUnavailableError', 'LayoutTimeoutError',
           'render', 'render_all', 'available_renderers', 'check_time_limit']

FORMATS = ('svg', 'png', 'pdf')
"""Picture formats every renderer writes (``Diagram.save`` also writes ``.dot`` text)."""

RENDERERS = ('pygraphviz', 'dot')

DEFAULT_TIME_LIMIT = 10.0
"""Seconds a layout may take before it is stopped (:class:`LayoutTimeoutError`).

Graphs within ``max_nodes`` and the layout bound of :mod:`.build` render in a few
seconds (docs/diagrams.md); this limit is the safety net for whatever else is slow.
"""

_HOW_TO_GET_ONE = (
    'no Graphviz renderer is available: install pygraphviz 2.x (`pip install "pygraphviz>=2"`, '
    'whose wheels include Graphviz) or a system Graphviz that provides the `dot` program '
    '(e.g. `apt install graphviz`, `brew install graphviz`); Diagram.source and '
    'Diagram.save("graph.dot") work without either')


class RendererUnavailableError(RuntimeError):
    """No way to lay out and render the diagram on this machine (the message says how to get one)."""


class LayoutTimeoutError(RuntimeError):
    """Graphviz did not finish within the time limit; nothing was rendered (the message says what to do)."""


def _pygraphviz_available() -> bool:
    try:
        import pygraphviz  # noqa: F401
    except ImportError:
        return False
    return True


def _system_dot_available() -> bool:
    return shutil.which('dot') is not None


_AVAILABLE = {'pygraphviz': _pygraphviz_available, 'dot': _system_dot_available}


def available_renderers() -> list[str]:
    """The renderers that work here, in the order ``renderer='auto'`` tries them.

    >>> set(available_renderers()) <= set(RENDERERS)
    True
    """
    return [name for name in RENDERERS if _AVAILABLE[name]()]


# Lines that are noise to a user: the fontconfig bundled in the wheel may be older
# than the system's configuration files and then warns, once per process, about
# elements it does not know (the fonts still work); and cairo announces that it
# scales down a PNG wider than 32,767 pixels (documented in docs/diagrams.md).
_NOISE = ('Fontconfig warning', 'Fontconfig error', 'graph is too large for cairo-renderer bitmaps')

PNG_SIZE = 64
"""Largest side of a PNG, in inches at 96 pixels per inch (6,144 pixels).

Painting pixels is what makes a PNG of a big graph slow: the 500-value product of
ten 50-term sums made an 18,643 x 30,119 PNG in 48 s, and a bitmap that large shows
nothing a smaller one does not (its SVG or PDF zooms without limit). Larger drawings
are scaled down to fit, unless the graph sets its own ``size``."""

# The child: reads {"path", "renderer", "format", "args", "sources", "failed"} as JSON on
# stdin and writes each picture to stdout as an 8-byte length and the bytes; if it fails,
# its last words on stderr are "failed" and [errno or null, reason] in JSON, in one line.
# It runs isolated (-I: no script folder or PYTHONPATH that could shadow the standard
# library) and then finds pygraphviz where this process found it, through its sys.path.
# pygraphviz's "may take a long time" note is dropped (the layout bounds guard against that).
_FAILED = 'microgradnode renderer failed: '

_CHILD = r'''
import contextlib, io, json, subprocess, sys
request = json.load(sys.stdin)
sys.path[:] = request['path']
out = sys.stdout.buffer
try:
    for source in request['sources']:
        if request['renderer'] == 'pygraphviz':
            import pygraphviz
            with contextlib.redirect_stderr(io.StringIO()):
                data = pygraphviz.AGraph(string=source).draw(format=request['format'], prog='dot',
                                                            args=' '.join(request['args']))
        else:
            done = subprocess.run(['dot', '-T' + request['format'], *request['args']],
                                  input=source.encode('utf-8'), stdout=subprocess.PIPE)
            if done.returncode:
                raise RuntimeError(f'dot ended with status {done.returncode}')
            data = done.stdout
        out.write(len(data).to_bytes(8, 'big'))
        out.write(data)
        out.flush()
except Exception as error:
    errno = error.errno if isinstance(error, OSError) else None
    sys.exit(request['failed'] + json.dumps([errno, error.strerror if errno else str(error)]))
'''


def _stop(child: subprocess.Popen) -> None:
    """Kill the child and anything it started (its own process group), and reap it."""
    # POSIX only: on Windows (untested) a `dot` started by the child outlives it and finishes alone.
    if hasattr(os, 'killpg'):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        child.kill()
    child.wait()


def _pass_on_stderr(text: str) -> None:
    kept = [line for line in text.splitlines(keepends=True) if not any(noise in line for noise in _NOISE)]
    if kept:
        sys.stderr.write(''.join(kept))


def _split(data: bytes, count: int) -> list[bytes]:
    pictures, offset = [], 0
    for _ in range(count):
        size = int.from_bytes(data[offset:offset + 8], 'big')
        pictures.append(data[offset + 8:offset + 8 + size])
        offset += 8 + size
    return pictures


def _pick(renderer: str) -> str:
    if renderer == 'auto':
        names = available_renderers()
        if not names:
            raise RendererUnavailableError(_HOW_TO_GET_ONE)
        return names[0]
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be 'auto', {', '.join(map(repr, RENDERERS))}, not {renderer!r}")
    if not _AVAILABLE[renderer]():
        what = 'pygraphviz is not installed' if renderer == 'pygraphviz' else 'no `dot` program on PATH'
        raise RendererUnavailableError(f'renderer {renderer!r} is unavailable ({what}); {_HOW_TO_GET_ONE}')
    return renderer


def check_time_limit(time_limit: float) -> float:
    """``time_limit`` if it is a usable number of seconds, else a ValueError saying why.

    >>> check_time_limit(2)
    2.0
    """
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not 0 < time_limit < 1e6:
        raise ValueError(f'time_limit must be a number of seconds greater than 0, not {time_limit!r}')
    return float(time_limit)


def render_all(sources: Sequence[str], format: str, *, renderer: str = 'auto',
               time_limit: float = DEFAULT_TIME_LIMIT) -> list[bytes]:
    """Lay out and render every DOT source as ``format``, all within ``time_limit`` seconds.

    One child process renders them all, so that a walkthrough's many small pictures
    pay for starting it once.
    """
    if format not in FORMATS:
        raise ValueError(f'cannot render {format!r}: supported formats are {", ".join(FORMATS)}')
    time_limit = check_time_limit(time_limit)
    args = [f'-Gsize={PNG_SIZE},{PNG_SIZE}'] if format == 'png' else []
    request = json.dumps({'path': sys.path, 'renderer': _pick(renderer), 'format': format, 'args': args,
                          'sources': list(sources), 'failed': _FAILED})
    # A session of its own: Ctrl-C at the terminal reaches this process only, which
    # then stops the child; and killing the group also stops a `dot` the child started.
    child = subprocess.Popen([sys.executable, '-I', '-c', _CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        output, errors = child.communicate(request.encode('utf-8'), timeout=time_limit)
    except subprocess.TimeoutExpired:
        _stop(child)
        raise LayoutTimeoutError(
            f'Graphviz did not finish the layout within {time_limit:g} s and was stopped; '
            'draw a smaller graph, leave out the edge labels (show_local=False, --no-local), '
            'or allow more time (time_limit=..., --time-limit SECONDS)') from None
    except BaseException:  # Ctrl-C above all: the child must not outlive us
        _stop(child)
        raise
    messages = errors.decode('utf-8', 'replace')
    if child.returncode:
        # The child's last words say why (a full disk, dot's status); Graphviz's own lines
        # before them are passed on.
        before, _, reason = messages.rpartition(_FAILED)
        _pass_on_stderr(before)
        try:
            errno, reason = json.loads(reason)
        except ValueError:  # killed, or died before it could say why
            errno, reason = None, f'exit status {child.returncode}'
        if errno:  # a full disk, a file-size limit: the same OSError as writing the file ourselves
            raise OSError(errno, reason)
        raise RuntimeError(f'Graphviz could not render {format.upper()}: {reason}')
    _pass_on_stderr(messages)
    return _split(output, len(sources))


def render(source: str, format: str, *, renderer: str = 'auto',
           time_limit: float = DEFAULT_TIME_LIMIT) -> bytes:
    """Lay out DOT ``source`` and render it as ``format`` (one of :data:`FORMATS`)."""
    return render_all([source], format, renderer=renderer, time_limit=time_limit)[0]
