"""The walkthrough as an animated GIF: each frame a close-up of its step, readable at its own size.

Each frame shows, on a 1280-pixel-wide canvas:

- the step's title;
- a **close-up** of the step: the node, its operation, its parents and the arrows
  between them, drawn as in the whole
  diagram (same boxes, numbers, highlighted arrows), at 110 to 220 dpi: the smallest text
  in it, the 10-point "data" and "grad" captions, is at least 15 pixels high;
- the step's words, 20 pixels high;
- a **locator** along the bottom: the whole graph, small, with the step highlighted in it.

Every frame of a GIF has the same size, the tallest frame's; in the others the close-up
grows into the room left (up to twice its size) rather than leave a blank band. Each
frame shows as long as its words take to read, at :data:`READING_WORDS_PER_MINUTE`,
plus :data:`LOOKING_SECONDS` to look at the picture; ``frame_seconds`` sets one time for every frame instead.

>>> reading_seconds(['one two three four five six seven eight nine ten'] * 3)  # 30 words
12.0
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..formulas.printing import minus_signs

if TYPE_CHECKING:
    from ..engine import Value

Walkthrough = Any  # a lesson.walkthrough.Walkthrough: not imported, it imports this module

__all__ = ['walkthrough_gif', 'gif_with_scales', 'reading_seconds', 'close_up', 'READING_WORDS_PER_MINUTE',
           'LOOKING_SECONDS', 'WIDTH', 'CLOSE_UP_DPI', 'check_frame_seconds']

READING_WORDS_PER_MINUTE = 200
"""How fast a learner reads a step: 200 words a minute, slower than the 240 or so of plain
prose, because the words are formulas and numbers to check against the picture."""

LOOKING_SECONDS = 3.0
"""Time to find the step in the picture before reading (and the least a frame shows)."""

LONGEST_FRAME = 30.0
"""No frame shows longer than this, however many words it has (the last one sums up)."""

WIDTH = 1280
"""Pixels: the GIF's width, a slide's; the close-up and the words fit in it unscaled."""

CLOSE_UP_DPI = 110
"""Resolution of the close-ups: Graphviz's 10-point captions come out 15 pixels high."""

_LOCATOR_HEIGHT = 180  # the whole graph's strip along the bottom, at most this high
_MARGIN = 20
_TITLE_SIZE, _TEXT_SIZE, _LOCATOR_TEXT_SIZE = 28, 20, 15
_LINE_HEIGHT = 28
_ASCII = str.maketrans({'−': '-', '×': 'x', '•': '*', '←': '<-', '·': '*', '′': "'", '∂': 'd'})


def check_frame_seconds(seconds: object) -> float | None:
    """``seconds`` if it is a usable time for every frame (or None: each frame's own reading time).

    >>> check_frame_seconds(None), check_frame_seconds(2)
    (None, 2.0)
    """
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0.02 <= seconds <= 60:
        raise ValueError(f'frame_seconds must be a number of seconds from 0.02 to 60 (or None: '
                         f'as long as each step takes to read), not {seconds!r}'[:200])
    return float(seconds)


def reading_seconds(lines: Sequence[str]) -> float:
    """How long a frame with these words shows: reading them, plus looking at the picture.

    >>> reading_seconds([]), reading_seconds(['word'] * 500)
    (3.0, 30.0)
    """
    words = sum(len(line.split()) for line in lines)
    seconds = LOOKING_SECONDS + words * 60 / READING_WORDS_PER_MINUTE
    return min(round(seconds * 2) / 2, LONGEST_FRAME)  # half seconds: a GIF counts hundredths


def close_up(walk: Walkthrough, index: int):
    """The DOT Digraph of frame ``index``'s close-up: its nodes and their neighbours, as drawn in full."""
    from ..diagram.build import build_digraph
    from ..diagram.options import DrawOptions
    frame = walk.frames[index]
    near: set[Value] = set(frame.nodes)
    for node in frame.nodes:  # (no backward frame is a leaf's: each is an operation passing back)
        near.update(node.parents)
    arguments = walk._diagram_arguments(index)
    options = DrawOptions(rankdir=arguments['rankdir'], number_format=arguments['number_format'],
                          show_grad=arguments['show_grad'], constant_grads=arguments['constant_grads'])
    digraph = build_digraph(walk.root, options, highlight=arguments['highlight'],
                            highlight_edges=arguments['highlight_edges'], grads=arguments['grads'],
                            names=arguments['names'], tangents=arguments['tangent_values'],
                            highlight_backward=arguments['highlight_backward'], only=near).digraph
    # Rendered at twice the resolution: the frame shows it between 1× and 2× (see _assemble).
    digraph.attr(dpi=str(2 * CLOSE_UP_DPI))
    if not any(not node.is_leaf for node in near):  # inputs alone: side by side, not in a column
        digraph.attr(rankdir='TB')
    return digraph


def walkthrough_gif(walk: Walkthrough, frame_seconds: float | None = None) -> bytes:
    """The GIF of ``walk``: every frame's close-up, locator, title and words (see the module's doc)."""
    return gif_with_scales(walk, frame_seconds)[0]


def gif_with_scales(walk: Walkthrough, frame_seconds: float | None = None) -> tuple[bytes, list[float]]:
    """The GIF, and the scale each frame's close-up is shown at (1: :data:`CLOSE_UP_DPI`; at most 2)."""
    fixed = check_frame_seconds(frame_seconds)
    from .._support.extras import check_installed
    check_installed('PIL', 'GIF files')  # before any rendering: nothing done in vain
    from ..diagram.renderers import render_all
    walk._check_render_time()
    count = len(walk.frames)
    sources = [close_up(walk, index).source for index in range(count)]
    sources += [walk.diagram(index).source for index in range(count)]
    pictures = render_all(sources, 'png', time_limit=walk.time_limit)
    titles = [minus_signs(frame.title) for frame in walk.frames]
    texts = [[minus_signs(line) for line in frame.lines] for frame in walk.frames]
    seconds = [fixed if fixed is not None else reading_seconds([title, *lines])
               for title, lines in zip(titles, texts)]
    return _assemble(pictures[:count], pictures[count:], titles, texts, seconds)


def _font(size: int):
    """A font with the page's symbols (− × • ←): DejaVu Sans where the system has it."""
    from PIL import ImageFont
    for name in ('DejaVuSans.ttf', 'LiberationSans-Regular.ttf'):
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size), False  # Pillow's own: ASCII only
    except TypeError:  # Pillow before 10.1: a small bitmap font
        return ImageFont.load_default(), False


def _wrap(text: str, font, width: float) -> list[str]:
    lines, line = [], ''
    for word in text.split(' '):
        trial = f'{line} {word}' if line else word
        if line and font.getlength(trial) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line]


def _fit(image, width: int, height: int):
    """``image`` scaled down (never up) to fit ``width`` × ``height``."""
    from PIL import Image
    scale = min(width / image.width, height / image.height, 1.0)
    if scale == 1.0:
        return image
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.LANCZOS)


def _assemble(close_ups: list[bytes], wholes: list[bytes], titles: list[str], texts: list[list[str]],
              seconds: list[float]) -> tuple[bytes, list[float]]:
    """The frames: title, close-up, words, and the whole graph as a strip along the bottom."""
    from PIL import Image, ImageDraw
    title_font, unicode_ok = _font(_TITLE_SIZE)
    text_font, _ = _font(_TEXT_SIZE)
    small_font, _ = _font(_LOCATOR_TEXT_SIZE)
    inner = WIDTH - 2 * _MARGIN
    laid_out = []
    for picture, whole, title, lines in zip(close_ups, wholes, titles, texts):
        detail = Image.open(io.BytesIO(picture)).convert('RGB')  # at twice the close-up's resolution
        locator = _fit(Image.open(io.BytesIO(whole)).convert('RGB'), inner, _LOCATOR_HEIGHT)
        if not unicode_ok:
            title, lines = title.translate(_ASCII), [line.translate(_ASCII) for line in lines]
        words = [wrapped for line in lines for wrapped in _wrap(line, text_font, inner)]
        # Everything but the close-up, whose size is chosen below.
        fixed = (_MARGIN + _TITLE_SIZE + 12 + _MARGIN + _MARGIN + _LINE_HEIGHT * len(words) + _MARGIN
                 + _LOCATOR_TEXT_SIZE + 8 + locator.height + _MARGIN)
        laid_out.append((detail, locator, title, words, fixed))
    # The frame's height: the tallest frame's, with its close-up at the close-up resolution.
    height = max(fixed + math.ceil(detail.height / 2) for detail, *_, fixed in laid_out)
    frames, scales = [], []
    for detail, locator, title, words, fixed in laid_out:
        # The close-up takes the room the others leave, up to twice its size (rendered so):
        # larger text, and no blank band below a short step.
        scale = min(1.0, inner / detail.width, (height - fixed) / detail.height)
        scales.append(2 * scale)  # the close-up was rendered at twice CLOSE_UP_DPI
        detail = detail.resize((max(1, round(detail.width * scale)), max(1, round(detail.height * scale))),
                               Image.Resampling.LANCZOS)
        canvas = Image.new('RGB', (WIDTH, height), 'white')
        pen = ImageDraw.Draw(canvas)
        gap = (height - fixed - detail.height) // 4  # what is left, spread out: no band of it
        y = _MARGIN + gap
        pen.text((_MARGIN, y), title, fill='#212529', font=title_font)
        y += _TITLE_SIZE + 12 + _MARGIN + gap
        canvas.paste(detail, ((WIDTH - detail.width) // 2, y))
        y += detail.height + _MARGIN + gap
        for number, line in enumerate(words):
            pen.text((_MARGIN, y + number * _LINE_HEIGHT), line, fill='#343a40', font=text_font)
        # The whole graph along the bottom, the step highlighted in it.
        y = height - _MARGIN - locator.height - 8 - _LOCATOR_TEXT_SIZE
        pen.text((_MARGIN, y), 'where this step is in the whole graph', fill='#5c636a', font=small_font)
        y += _LOCATOR_TEXT_SIZE + 8
        x = (WIDTH - locator.width) // 2
        canvas.paste(locator, (x, y))
        pen.rectangle((x - 1, y - 1, x + locator.width, y + locator.height), outline='#adb5bd')
        frames.append(canvas.quantize(colors=128, method=Image.Quantize.MEDIANCUT))
    out = io.BytesIO()
    durations = [max(20, math.floor(s * 1000)) for s in seconds]
    frames[0].save(out, format='GIF', save_all=True, append_images=frames[1:], loop=0,
                   duration=durations if len(set(durations)) > 1 else durations[0], optimize=True, disposal=1)
    return out.getvalue(), scales
