"""What the page says an arrow passes back follows the engine's backward, strong zeros too.

A dead ReLU's slope is the operation table's strong_zero: nothing flows back through it,
whatever arrives, even an infinite gradient (``strong_zero * inf == 0``, where ``0.0 * inf``
is nan). The page's 'gives' numbers, the sum on a box used twice and the terms of a clicked
node are computed by the engine's own ``contribution``: 0 there, as Python's ``backward()``.
"""

from __future__ import annotations

import pytest

from microgradnode import Value
from microgradnode.lesson.walkthrough import walkthrough

from . import test_walkthrough_browser as reverse_page
from .test_live_page_browser import open_live, state

browser = reverse_page.browser


def dead_relu_graph() -> tuple[Value, Value]:
    """f = relu(a) * b * c + a at a = -1, b = c = 1e200: relu's grad overflows to inf."""
    a, b, c = Value(-1.0, 'a'), Value(1e200, 'b'), Value(1e200, 'c')
    f = a.relu() * b * c + a
    f.label = 'f'
    return f, a


@pytest.mark.parametrize('width, height', [(1280, 800), (390, 844)])
def test_a_dead_relu_gives_zero_even_for_an_infinite_gradient(browser, tmp_path, width, height):
    f, a = dead_relu_graph()
    walk = walkthrough(f)
    assert a.grad == 1.0   # the engine: 0 through the dead ReLU, 1 through the +
    relu = next(node for node in walk.order if node.op == 'relu')
    assert relu.grad == float('inf')
    page, _, errors = open_live(browser, walk.save(tmp_path / 'relu.html'), width, height)
    nodes = {node['name']: node for node in state(page)['nodes']}
    assert nodes['a']['grad'] == 1.0
    i, r = walk.order.index(a), walk.order.index(relu)
    svg = 'svg.graph:visible'
    gives = page.locator(f'{svg} text.gives[data-e="{2 * r}"]').text_content()
    assert gives == 'gives 0'
    other = page.locator(f'{svg} text.gives[data-e="{2 * walk.order.index(f) + 1}"]').text_content()
    assert other == 'gives 1'
    assert page.locator(f'{svg} g.value[data-i="{i}"] text.sum').text_content() == '1 + 0'
    # click a: its gradient as a sum over its two arrows, the ReLU's term 0
    page.locator(f'{svg} g.value[data-i="{i}"]').click()
    terms = page.locator('#detail li.term').all_text_contents()
    assert len(terms) == 2, terms
    assert terms[1].startswith(f'via {walk.names[relu]}:') and terms[1].endswith(
        ' = inf × 0 = 0 (a slope through which nothing flows back, whatever arrives)'), terms
    assert terms[0].endswith(' = 1 × 1 = 1'), terms
    assert page.locator('#detail .sum-line').text_content() == 'a.grad = 1 × 1 + inf × 0 = 1'
    assert 'nan' not in page.locator('.picture-panel').text_content() + page.locator('#detail').text_content()
    # and after the input moves, still the engine's numbers
    page.evaluate("() => window.microgradnode.setInput('b', 1e250)")
    assert page.locator(f'{svg} text.gives[data-e="{2 * r}"]').text_content() == 'gives 0'
    assert errors == []
