"""A walkthrough's diagrams (its GIF's frames) show no gradient on a constant, as its page does.

The two-node loss is 0.5 * (out - target)^2: the 0.5's gradient is no step of the lesson.
"""

from __future__ import annotations

import re

from microgradnode import Value, twonode
from microgradnode.lesson.gif import close_up
from microgradnode.lesson.walkthrough import walkthrough

from ..conftest import require_module


def box_of(source: str, name: str) -> str:
    """The DOT label of the value box named ``name``."""
    found = re.search(r'v\d+ \[label=<(<TABLE.*?</TABLE>)>', source[source.index(f'<B>{name}</B>') - 400:])
    assert found and f'<B>{name}</B>' in found.group(1), name
    return found.group(1)


def test_no_grad_on_a_constant_in_the_walkthroughs_diagrams():
    require_module('graphviz')
    walk = walkthrough(twonode.build().loss)
    backward = [index for index, frame in enumerate(walk.frames) if frame.phase == 'backward']
    assert backward
    for index in backward:
        for source in (walk.diagram(index).source, close_up(walk, index).source):
            if '<B>constant</B>' not in source:  # a close-up away from the constant
                continue
            constant = box_of(source, 'constant')
            assert '0.5' in constant and 'grad' not in constant, (index, constant)
            assert 'grad' in box_of(source, walk.names[walk.root])
    assert '<B>constant</B>' in walk.diagram(backward[-1]).source


def test_draw_still_shows_a_constants_grad_unless_told():
    require_module('graphviz')
    from microgradnode.diagram import draw
    x = Value(3.0, 'x')
    y = x * 2.0
    y.backward()
    caption = '>grad</FONT>'   # the word before each grad shown
    assert draw(y).source.count(caption) == 3
    assert draw(y, constant_grads=False).source.count(caption) == 2
