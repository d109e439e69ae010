"""The forward mode walkthrough page in headless Chromium, as the reverse mode page is checked.

Screenshots at 1280x800 and 390x844 are kept in tests/artifacts/.
"""

from __future__ import annotations

import math

from microgradnode import Value, grad
from microgradnode.calculus.forward import forward_tangents
from microgradnode.lesson.walkthrough import walkthrough

from . import test_walkthrough_browser as reverse_page
from .test_walkthrough_browser import ARTIFACTS, shown

browser = reverse_page.browser  # the same headless Chromium fixture as the reverse mode page's


def test_forward_mode_walkthrough_in_chromium(browser, tmp_path):
    x = Value(0.5, 'x')
    w = Value(-1.5, 'w')
    y = (w * x + x).tanh() * x
    y.label = 'y'
    walk = walkthrough(y, mode='forward', wrt=x)
    path = walk.save(tmp_path / 'forward.html')
    tangents = forward_tangents(y, {x: 1.0})
    count = len(walk.frames)
    assert count == 1 + sum(1 for node in walk.order if not node.is_leaf)
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page, requests, errors = reverse_page.open_page(browser, path)
        page.set_viewport_size({'width': width, 'height': height})
        assert page.title() == 'Forward mode step by step: d y / d x'
        assert page.locator('#nodes thead th').nth(2).text_content() == 'tangent d·/dx'
        assert 'Forward mode' in page.locator('p.lead').text_content()
        assert 'inputs → output' in page.locator('.key').text_content()  # not the gradient's way
        first = shown(page)
        assert first['x'][3] == '1' and first['w'][3] == '0' and first['y'][3] == '?'
        page.screenshot(path=str(ARTIFACTS / f'forward_walkthrough_first_{width}.png'))
        for step in range(1, count):
            page.keyboard.press('ArrowRight')
            assert page.locator('#step-title').text_content().replace('−', '-') == walk.frames[step].title
            assert 'forward' in page.locator('#phase').text_content()
            svg = page.locator('svg.graph:visible')
            assert 'tangent' in svg.inner_html()
        final = shown(page)
        for node in walk.order:
            name = walk.names[node]
            assert float(final[name][2]) == tangents[node], name  # the pass's own number
        (expected,) = grad(y, [x])
        assert math.isclose(float(final['y'][2]), expected.data, rel_tol=1e-12)
        assert final['y'][3] == format(expected.data, '.4g')
        page.screenshot(path=str(ARTIFACTS / f'forward_walkthrough_last_{width}.png'))
        assert not errors and len(requests) == 1
        page.close()
