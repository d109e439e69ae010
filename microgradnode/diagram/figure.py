"""The object :func:`microgradnode.draw` returns: DOT text that can become a picture.

>>> import graphviz
>>> diagram = Diagram(graphviz.Digraph(), value_count=0, operation_count=0)
>>> diagram.source
'digraph {\\n}\\n'
>>> diagram.save('graph.jpg')
Traceback (most recent call last):
...
ValueError: cannot tell the format of 'graph.jpg' from its suffix: use .svg, .png, .pdf or .dot
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .._support.files import atomic_write, check_destination
from .renderers import (
    DEFAULT_TIME_LIMIT,
    FORMATS,
    LayoutTimeoutError,
    RendererUnavailableError,
    check_time_limit,
    render,
)

if TYPE_CHECKING:
    import graphviz

__all__ = ['Diagram', 'SAVE_FORMATS']

SAVE_FORMATS = (*FORMATS, 'dot')


class Diagram:
    """A drawn computation graph.

    - ``source``: the DOT text (always available, no renderer needed),
    - ``digraph``: the ``graphviz.Digraph`` it came from, to adjust before saving,
    - ``pipe(format)``: the picture as bytes; ``save(path)``: write it, format from suffix,
    - shown inline in Jupyter (as SVG).

    Rendering stops after ``time_limit`` seconds with :class:`LayoutTimeoutError`
    (``renderers.DEFAULT_TIME_LIMIT`` unless given), and Ctrl-C stops it at once.
    """

    def __init__(self, digraph: graphviz.Digraph, *, value_count: int, operation_count: int,
                 renderer: str = 'auto', time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        self.digraph = digraph
        self.value_count = value_count
        self.operation_count = operation_count
        self.renderer = renderer
        self.time_limit = check_time_limit(time_limit)

    @property
    def source(self) -> str:
        """The DOT text of the diagram."""
        return self.digraph.source

    def pipe(self, format: str = 'svg', *, renderer: str | None = None,
             time_limit: float | None = None) -> bytes:
        """The diagram rendered as ``'svg'``, ``'png'`` or ``'pdf'`` (or ``'dot'`` source), as bytes."""
        if format == 'dot':
            return self.source.encode('utf-8')
        return render(self.source, format, renderer=renderer or self.renderer,
                      time_limit=self.time_limit if time_limit is None else time_limit)

    def save(self, path: str | os.PathLike[str], *, format: str | None = None,
             renderer: str | None = None, time_limit: float | None = None) -> Path:
        """Write the diagram to ``path``; the format comes from its suffix unless ``format`` is given.

        The file is replaced all at once: if rendering or writing fails (time limit,
        Ctrl-C, full disk), a previous file at ``path`` stays as it was.
        """
        path = Path(path)
        if format is None:
            format = path.suffix[1:].lower()
            if format not in SAVE_FORMATS:
                raise ValueError(f'cannot tell the format of {str(path)!r} from its suffix: '
                                 f'use .svg, .png, .pdf or .dot')
        elif format not in SAVE_FORMATS:
            raise ValueError(f'format must be one of {", ".join(SAVE_FORMATS)}, not {format!r}')
        check_destination(path)  # a missing folder is reported before rendering, not after
        return atomic_write(path, self.pipe(format, renderer=renderer, time_limit=time_limit))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        """Jupyter shows the SVG; without a renderer (or past the time limit), the reason and the DOT text."""
        try:
            return {'image/svg+xml': self.pipe('svg').decode('utf-8'), 'text/plain': repr(self)}
        except (RendererUnavailableError, LayoutTimeoutError) as error:
            return {'text/plain': f'{error}\n\n{self.source}'}

    def __repr__(self) -> str:
        return f'<Diagram: {self.value_count} values, {self.operation_count} operations>'
