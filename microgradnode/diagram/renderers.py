"""Turning DOT text into SVG, PNG or PDF bytes, with or without a system Graphviz.

Two renderers, tried in this order by ``renderer='auto'``:

- ``'pygraphviz'``: pygraphviz 2.x wheels ship Graphviz's libraries inside the wheel
  and lay out and render in-process: SVG, PNG and PDF after ``pip install`` alone.
- ``'dot'``: the ``dot`` program of a system Graphviz, through the ``graphviz`` package.

>>> 'svg' in FORMATS
True
>>> render('digraph { a -> b }', 'svg')[:5]  # doctest: +SKIP
b'<?xml'
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator

__all__ = ['FORMATS', 'RENDERERS', 'RendererUnavailableError', 'render', 'available_renderers']

FORMATS = ('svg', 'png', 'pdf')
"""Picture formats every renderer writes (``Diagram.save`` also writes ``.dot`` text)."""

RENDERERS = ('pygraphviz', 'dot')

_HOW_TO_GET_ONE = (
    'no Graphviz renderer is available: install pygraphviz 2.x (`pip install "pygraphviz>=2"`, '
    'whose wheels include Graphviz) or a system Graphviz that provides the `dot` program '
    '(e.g. `apt install graphviz`, `brew install graphviz`); Diagram.source and '
    'Diagram.save("graph.dot") work without either')


class RendererUnavailableError(RuntimeError):
    """No way to lay out and render the diagram on this machine (the message says how to get one)."""


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


# The native library writes its warnings straight to file descriptor 2, which is
# process-wide: one capture at a time.
_STDERR_LOCK = threading.Lock()

# Lines that are noise to a user: the fontconfig bundled in the wheel may be older
# than the system's configuration files and then warns, once per process, about
# elements it does not know (the fonts still work); and cairo announces that it
# scales down a PNG wider than 32,767 pixels (documented in docs/diagrams.md).
_NOISE = ('Fontconfig warning', 'Fontconfig error', 'graph is too large for cairo-renderer bitmaps')


@contextlib.contextmanager
def _filtered_native_stderr() -> Iterator[None]:
    """Run a block with fd 2 captured, then pass on what it wrote, minus known noise."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2 (some embedded hosts)
        yield
        return
    with _STDERR_LOCK, tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode('utf-8', 'replace')
            kept = [line for line in text.splitlines(keepends=True)
                    if not any(noise in line for noise in _NOISE)]
            if kept:
                sys.stderr.write(''.join(kept))


def _render_pygraphviz(source: str, format: str) -> bytes:
    import pygraphviz

    graph = pygraphviz.AGraph(string=source)
    # draw() prints its own "may take a long time" note past 1,000 nodes; draw()'s
    # max_nodes already guards against graphs that are too large, so drop it.
    with _filtered_native_stderr(), contextlib.redirect_stderr(io.StringIO()):
        return graph.draw(format=format, prog='dot')


def _render_system_dot(source: str, format: str) -> bytes:
    import graphviz

    return graphviz.pipe('dot', format, source.encode('utf-8'), quiet=True)


_RENDER = {'pygraphviz': _render_pygraphviz, 'dot': _render_system_dot}


def render(source: str, format: str, *, renderer: str = 'auto') -> bytes:
    """Lay out DOT ``source`` and render it as ``format`` (one of :data:`FORMATS`)."""
    if format not in FORMATS:
        raise ValueError(f'cannot render {format!r}: supported formats are {", ".join(FORMATS)}')
    if renderer == 'auto':
        names = available_renderers()
        if not names:
            raise RendererUnavailableError(_HOW_TO_GET_ONE)
        renderer = names[0]
    elif renderer not in RENDERERS:
        raise ValueError(f"renderer must be 'auto', {', '.join(map(repr, RENDERERS))}, not {renderer!r}")
    elif not _AVAILABLE[renderer]():
        what = 'pygraphviz is not installed' if renderer == 'pygraphviz' else 'no `dot` program on PATH'
        raise RendererUnavailableError(f'renderer {renderer!r} is unavailable ({what}); {_HOW_TO_GET_ONE}')
    return _RENDER[renderer](source, format)
