"""A progress bar for training loops, from the standard library alone.

On a terminal it redraws one line in place (at most about ten times a second). To a
file or a pipe (a log, captured output in CI) it never animates: it writes a few plain
lines, at a quarter, half, three quarters and the end, each ending in a newline.

>>> import io
>>> log = io.StringIO()
>>> with Progress(8, 'training', stream=log) as bar:
...     for step in range(8):
...         bar.update(f'loss {1 / (step + 1):.3f}')
>>> print(log.getvalue(), end='')
training: 2/8 steps (25%), loss 0.500
training: 4/8 steps (50%), loss 0.250
training: 6/8 steps (75%), loss 0.167
training: 8/8 steps (100%), loss 0.125
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ['Progress']

_REDRAW_SECONDS = 0.1
_PLAIN_FRACTIONS = (0.25, 0.5, 0.75, 1.0)


class Progress:
    """Count ``total`` steps on ``stream`` (stderr by default); ``update(note)`` after each step.

    ``note`` is a short text shown after the count (a loss, an accuracy). Use it as a
    context manager, or call ``close()``, so that a terminal's line is ended.
    """

    def __init__(self, total: int, description: str, *, stream: IO[str] | None = None,
                 unit: str = 'steps') -> None:
        self.total = max(int(total), 0)
        self.description = description
        self.unit = unit
        # sys.stderr is None when the process was started with fd 2 closed: then report nothing.
        self.stream: IO[str] | None = sys.stderr if stream is None else stream
        self.count = 0
        self.note = ''
        self._terminal = _is_terminal(self.stream)
        self._start = time.monotonic()
        self._last_draw = -_REDRAW_SECONDS
        self._next_plain = 0
        self._drawn = False

    def update(self, note: str = '') -> None:
        """One more step done; ``note`` replaces the text after the count."""
        self.count += 1
        self.note = note
        if self._terminal:
            now = time.monotonic()
            if now - self._last_draw >= _REDRAW_SECONDS or self.count == self.total:
                self._last_draw = now
                self._write('\r' + self._line(now) + '\x1b[K')
            return
        reached = self._next_plain
        while (self._next_plain < len(_PLAIN_FRACTIONS)
               and self.count >= _PLAIN_FRACTIONS[self._next_plain] * self.total):
            self._next_plain += 1
        if self._next_plain > reached:  # one line even when a tiny total passes several marks
            self._write(self._line(None) + '\n')

    def close(self) -> None:
        """End the terminal's line (a plain stream needs nothing)."""
        if self._terminal and self._drawn:
            self._write('\n')
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _line(self, now: float | None) -> str:
        percent = f' ({100 * self.count // self.total}%)' if self.total else ''
        line = f'{self.description}: {self.count}/{self.total} {self.unit}{percent}'
        if now is not None and now > self._start:
            line += f', {self.count / (now - self._start):.1f} {self.unit}/s'
        return f'{line}, {self.note}' if self.note else line

    def _write(self, text: str) -> None:
        if self.stream is None:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            # A closed or broken stream must not stop the training it only reports on.
            self._terminal = False
            self._next_plain = len(_PLAIN_FRACTIONS)
            return
        self._drawn = self._terminal


def _is_terminal(stream: IO[str] | None) -> bool:
    if stream is None:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
