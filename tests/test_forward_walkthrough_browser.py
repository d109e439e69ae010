"""The forward mode walkthrough page in headless Chromium, as the reverse mode page is checked.

Screenshots at 1280x800 and 390x844 are kept in tests/artifacts/.
"""

from __future__ import annotations

import math

import pytest

from microgradnode import Value, grad
from microgradnode.forward import forward_tangents
from microgradnode.walkthrough import walkthrough

from .conftest import require_module, require_program
from .test_walkthrough_browser import ARTIFACTS, CHROMIUM_ARGS, shown


@pytest.fixture(scope='module')
def chromium():
    executable = require_program('chromium')
    sync_api = require_module('playwright.sync_api')
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(browser, path, viewport):
    page = browser.new_page(viewport=viewport)
    requests, errors = [], []
    page.on('request', lambda request: requests.append(request.url))
    page.on('pageerror', lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    return page, requests, errors


def test_forward_mode_walkthrough_in_chromium(chromium, tmp_path):
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
        page, requests, errors = _open(chromium, path, {'width': width, 'height': height})
        assert page.title() == 'Forward mode step by step: d y / d x'
        assert page.locator('#nodes thead th').nth(2).text_content() == 'tangent d·/dx'
        assert 'Forward mode' in page.locator('p.lead').text_content()
        first = shown(page)
        assert first['x'][3] == '1' and first['w'][3] == '0' and first['y'][3] == '?'
        page.screenshot(path=str(ARTIFACTS / f'forward_walkthrough_first_{width}.png'))
        for step in range(1, count):
            page.keyboard.press('ArrowRight')
            assert page.locator('#step-title').text_content() == walk.frames[step].title
            assert 'forward' in page.locator('#phase').text_content()
            svg = page.locator(f'.frame[data-frame="{step}"] svg')
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
