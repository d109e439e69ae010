"""Issue 23: the walkthrough GIF measured (close-ups, text size, no blank band, reading time)."""

from __future__ import annotations

import io

import pytest

from microgradnode import twonode
from microgradnode.diagram.renderers import render_all
from microgradnode.lesson.gif import (
    CLOSE_UP_DPI,
    LOOKING_SECONDS,
    READING_WORDS_PER_MINUTE,
    WIDTH,
    close_up,
    gif_with_scales,
    reading_seconds,
)
from microgradnode.lesson.walkthrough import walkthrough

from ..conftest import require_module
from ..diagram.diagram_helpers import svg_texts


@pytest.fixture(scope='module')
def two_node():
    require_module('PIL')
    require_module('graphviz')
    walk = walkthrough(twonode.build().loss)
    data, scales = gif_with_scales(walk)
    return walk, data, scales


def test_each_frame_is_a_close_up_of_its_step(two_node):
    walk, _, _ = two_node
    for index, frame in enumerate(walk.frames):
        source = close_up(walk, index).source
        shown = {node for node in walk.order if f'<B>{_name(walk, node)}</B>' in source}
        expected = set(frame.nodes) | {p for node in frame.nodes for p in node.parents}
        if frame.phase == 'backward' and all(node.is_leaf for node in frame.nodes):
            expected |= {user for user in walk.order if any(p in frame.nodes for p in user.parents)}
        assert shown == {node for node in expected if _name(walk, node)}, frame.title


def _name(walk, node) -> str:
    from microgradnode.formulas.printing import minus_signs
    return node.label or ('constant' if node.is_leaf else minus_signs(walk.names[node]))


def test_text_is_at_least_14_pixels_at_the_gifs_own_size(two_node):
    walk, _, scales = two_node
    svgs = render_all([close_up(walk, index).source for index in range(len(walk.frames))], 'svg')
    smallest = []
    for svg, scale in zip(svgs, scales):
        points = min(size for _, text, size in svg_texts(svg) if text.strip())
        smallest.append(points * CLOSE_UP_DPI / 72 * scale)  # pixels, as pasted into the frame
    assert min(smallest) >= 14, smallest   # was about 5 px ("data", "grad") in the whole-graph strip


def test_frames_have_no_blank_band(two_node):
    image = require_module('PIL.Image')
    _, data, _ = two_node
    with image.open(io.BytesIO(data)) as gif:
        assert gif.width == WIDTH
        worst = 0.0
        for index in range(gif.n_frames):
            gif.seek(index)
            frame = gif.convert('L')
            pixels = frame.load()
            run = longest = 0
            for y in range(frame.height):
                blank = all(pixels[x, y] > 250 for x in range(0, frame.width, 4))
                run = run + 1 if blank else 0
                longest = max(longest, run)
            worst = max(worst, longest / frame.height)
    assert worst < 0.2, worst   # was 40% of the middle frames


def test_each_frame_shows_as_long_as_its_words_take_to_read(two_node):
    image = require_module('PIL.Image')
    walk, data, _ = two_node
    with image.open(io.BytesIO(data)) as gif:
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info['duration'])
    for frame, duration in zip(walk.frames, durations):
        words = len(frame.title.split()) + sum(len(line.split()) for line in frame.lines)
        expected = min(LOOKING_SECONDS + words * 60 / READING_WORDS_PER_MINUTE, 30)
        assert abs(duration / 1000 - expected) <= 0.5, frame.title
    assert len(set(durations)) > 1   # not one time for all


def test_reading_time_grows_with_the_words_and_can_be_set():
    short, long = reading_seconds(['one two three']), reading_seconds(['word'] * 60)
    assert LOOKING_SECONDS <= short < long
    require_module('PIL')
    require_module('graphviz')
    walk = walkthrough(twonode.build().loss)
    image = require_module('PIL.Image')
    with image.open(io.BytesIO(walk.gif(frame_seconds=1.25))) as gif:
        durations = set()
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.add(gif.info['duration'])
    assert durations == {1250}
