"""The live page's picture at 1280x800: a graph that fits is shown whole and readable.

The two-node network is a chain of 17 layers, some 2,000 px wide in one row: the page lays
it out in two rows, so that in Explore every box's name and numbers are wholly in the view,
without scrolling, at a font size of at least 11 px (issue 24: "the whole graph readable
when it fits").
"""

from __future__ import annotations

import pytest

from microgradnode.lesson.walkthrough import walkthrough
from microgradnode.twonode import build

from . import test_walkthrough_browser as reverse_page
from .test_live_page_browser import default_graph, open_live

browser = reverse_page.browser

IN_VIEW = '''() => {
  const view = document.getElementById('view');
  const area = view.getBoundingClientRect();
  const svg = [...document.querySelectorAll('svg.graph')].find(s => s.getBoundingClientRect().width > 0);
  const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim());
  const outside = texts.filter(t => { const r = t.getBoundingClientRect();
    return !(r.left >= area.left && r.right <= area.right && r.top >= area.top && r.bottom <= area.bottom); })
    .map(t => t.textContent);
  const hidden = texts.filter(t => getComputedStyle(t).visibility === 'hidden').map(t => t.textContent);
  const sizes = texts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
  return {layout: svg.dataset.layout, boxes: svg.querySelectorAll('g.value').length,
          names: [...svg.querySelectorAll('g.value text.name')].map(t => t.textContent),
          numbers: [...svg.querySelectorAll('g.value text.num')].filter(t => t.textContent.trim()).length,
          outside, hidden, smallest: Math.min(...sizes),
          scrolls: view.scrollWidth > view.clientWidth + 1 || view.scrollHeight > view.clientHeight + 1,
          pageWidth: document.documentElement.scrollWidth};
}'''


@pytest.mark.parametrize('mode', ['explore', 'train'])
@pytest.mark.parametrize('which', ['two-node', 'default'])
def test_whole_graph_readable_at_1280x800(browser, tmp_path, which, mode):
    if which == 'two-node':
        net = build()
        walk = walkthrough(net.loss, parameters=net.weights)
    else:
        walk = walkthrough(default_graph())
    path = walk.save(tmp_path / 'page.html')
    page, _, errors = open_live(browser, path, 1280, 800, mode)
    page.wait_for_timeout(40)  # the check for cut labels runs in the next animation frame
    found = page.evaluate(IN_VIEW)
    assert found['layout'] == 'LR'
    assert found['boxes'] == len(walk.order)
    labelled = [walk.names[node] for node in walk.order if not (node.is_leaf and not node.label)]
    assert sorted(found['names']) == sorted(name.replace('-', '−') for name in labelled)
    # every box's numbers: data and grad, and data alone on a constant
    assert found['numbers'] >= 2 * len(labelled)
    assert found['outside'] == [] and found['hidden'] == []
    assert not found['scrolls']
    assert found['smallest'] >= 11
    assert found['pageWidth'] <= 1280
    assert errors == []


ON_ARROWS = '''() => {
  // every number on an arrow, as the browser draws it, against every arrow's line
  const svg = [...document.querySelectorAll('svg.graph')].find(s => s.getBoundingClientRect().width > 0);
  const points = [];
  for (const path of svg.querySelectorAll('path.edge, path.out')) {
    const m = path.getScreenCTM(), length = path.getTotalLength();
    for (let s = 0; s <= length; s += 1) {
      const p = path.getPointAtLength(s);
      points.push([m.a * p.x + m.c * p.y + m.e, m.b * p.x + m.d * p.y + m.f]);
    }
  }
  const texts = [...svg.querySelectorAll('text.local, text.gives')].filter(t => t.textContent.trim());
  const on = texts.filter(t => { const r = t.getBoundingClientRect();
    return points.some(([x, y]) => x > r.left + 0.5 && x < r.right - 0.5 &&
                                   y > r.top + 0.5 && y < r.bottom - 0.5); })
    .map(t => t.textContent);
  return {count: texts.length, on};
}'''


@pytest.mark.parametrize('width, height', [(1280, 800), (390, 844)])
@pytest.mark.parametrize('which', ['two-node', 'default'])
def test_numbers_beside_the_arrows_in_the_browser(browser, tmp_path, which, width, height):
    if which == 'two-node':
        net = build()
        walk = walkthrough(net.loss, parameters=net.weights)
    else:
        walk = walkthrough(default_graph())
    page, _, errors = open_live(browser, walk.save(tmp_path / 'page.html'), width, height)
    found = page.evaluate(ON_ARROWS)
    arrows = sum(len(node.parents) for node in walk.order)
    uses = {}
    for node in walk.order:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
    assert found['count'] == arrows + sum(1 for node in walk.order for p in node.parents if uses[p] > 1)
    assert found['on'] == []
    assert errors == []


@pytest.mark.parametrize('width, height, shown', [(1280, 800, False), (390, 844, True)])
def test_whole_graph_button_only_when_the_graph_does_not_fit(browser, tmp_path, width, height, shown):
    net = build()
    path = walkthrough(net.loss, parameters=net.weights).save(tmp_path / 'two.html')
    page, _, errors = open_live(browser, path, width, height)
    page.wait_for_timeout(40)
    assert page.locator('#zoom').is_visible() == shown
    if shown:  # pressed, it stays, to go back to the close-up
        page.locator('#zoom').click()
        page.wait_for_timeout(40)
        assert page.locator('#zoom').is_visible() and page.locator('#zoom').text_content() == 'Close up'
    assert errors == []
