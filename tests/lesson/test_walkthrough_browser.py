"""The walkthrough page in a real browser: headless Chromium driven by Playwright.

It must make no network request, step from the first frame to the last with the Next
button and the arrow key, and show at the end the gradients the engine computed.
A screenshot of the last frame is kept in tests/artifacts/.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from microgradnode.engine import topological_order
from microgradnode.lesson.walkthrough import walkthrough

from ..conftest import require_module, require_program

ARTIFACTS = Path(__file__).parents[1] / 'artifacts'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']


@pytest.fixture(scope='module')
def browser():
    chromium = require_program('chromium')
    sync_api = require_module('playwright.sync_api')
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, path: Path, mode: str = 'step'):
    page = browser.new_page(viewport={'width': 1400, 'height': 900})
    requests, errors = [], []
    page.on('request', lambda request: requests.append(request.url))
    page.on('pageerror', lambda error: errors.append(str(error)))
    page.goto(f'{path.as_uri()}#{mode}')  # the page's step-by-step mode
    return page, requests, errors


def shown(page) -> dict[str, tuple[str | None, str, str | None, str]]:
    """node name -> (data-value, value shown, data-grad, grad shown), from the table.

    The page writes negative numbers with the minus sign (U+2212), as the diagrams do;
    here they are read back with Python's '-'.
    """
    return page.evaluate('''() => Object.fromEntries(
        [...document.querySelectorAll('#nodes tbody tr')].map(row => [row.dataset.node, [
            row.dataset.value ?? null, row.querySelector('td.value').textContent.replace('−', '-'),
            row.dataset.grad ?? null, row.querySelector('td.grad').textContent.replace('−', '-')]]))''')


def test_two_node_walkthrough_in_chromium(browser, tmp_path):
    from microgradnode.twonode import build
    net = build()
    walk = walkthrough(net.loss)
    path = walk.save(tmp_path / 'walk.html')
    page, requests, errors = open_page(browser, path)
    count = len(walk.frames)

    assert page.locator('#counter').text_content() == f'1 / {count}'
    assert page.locator('#prev').is_disabled()
    assert 'forward' in page.locator('#phase').text_content()
    assert page.locator('svg.graph:visible').count() == 1  # one picture, highlighted step by step
    first = shown(page)
    assert first['loss'][1] == '?' and first['w0'][1] == '2' and first['w0'][3] == '?'
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / 'walkthrough_first.png'))

    # Half the way with the button, the rest with the arrow key.
    for step in range(1, count):
        if step < count // 2:
            page.locator('#next').click()
        else:
            page.keyboard.press('ArrowRight')
        assert page.locator('#counter').text_content() == f'{step + 1} / {count}'
        assert page.locator('#step-title').text_content().replace('−', '-') == walk.frames[step].title
        assert page.locator('svg.graph:visible g.value.current').count() == len(walk.frames[step].nodes)
        if step == len([f for f in walk.frames if f.phase == 'forward']):
            assert 'backward' in page.locator('#phase').text_content()
    assert page.locator('#next').is_disabled()
    page.keyboard.press('ArrowRight')  # past the end: stays on the last frame
    assert page.locator('#counter').text_content() == f'{count} / {count}'

    final = shown(page)
    for node in topological_order(net.loss):
        name = walk.names[node]
        data_value, value_text, data_grad, grad_text = final[name]
        assert float(data_value) == node.data
        if node.is_leaf and not node.label:  # the constant 0.5: no gradient talk
            assert data_grad is None and grad_text == '—'
            continue
        assert float(data_grad) == node.grad, name  # the engine's number, to the last bit
        assert math.isclose(float(value_text), node.data, rel_tol=5e-4), (name, value_text)
        assert math.isclose(float(grad_text), node.grad, rel_tol=5e-4), (name, grad_text)
    assert final['w0'][3] == '-0.001177' and final['w1'][3] == '-0.03273' and final['w2'][3] == '-0.2446'
    page.screenshot(path=str(ARTIFACTS / 'walkthrough_last.png'))

    # Back with the arrow key and the slider.
    page.keyboard.press('ArrowLeft')
    assert page.locator('#counter').text_content() == f'{count - 1} / {count}'
    page.locator('#slider').fill('5')
    assert page.locator('#counter').text_content() == f'6 / {count}'

    assert not errors
    # Nothing but the file itself was loaded: no request left the page.
    assert all(url == path.as_uri() or url.startswith('data:') for url in requests), requests
    page.close()


def test_expression_walkthrough_in_chromium(browser, tmp_path):
    from microgradnode import Value
    x = Value(0.5, 'x')
    w = Value(-1.5, 'w')
    y = (w * x + x).tanh() * x
    y.label = 'y'
    walk = walkthrough(y)
    page, requests, errors = open_page(browser, walk.save(tmp_path / 'expr.html'))
    page.keyboard.press('End')
    final = shown(page)
    assert float(final['x'][2]) == x.grad and float(final['w'][2]) == w.grad
    assert not errors and len(requests) == 1
    page.close()
