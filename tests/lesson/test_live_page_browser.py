"""The live walkthrough page in headless Chromium, at 1280x800 and 390x844.

Explore: every input set to three values (typed, and with the slider) gives every node's
data and grad as the Python engine computes them, to 1e-12 relative. Click a node: the
terms shown sum to its grad; hovering a term lights its arrow and the arrow its term.
Train: 1,000 steps of the two-node network end on ``train``'s weights. The quiz tells the
four classic mistakes apart and checks "right to 3 significant digits" exactly. No label
is cut at the view's edge; a recompute of a 2,000-node graph fits in one frame; the
two-node page is at most 300 KB and asks for nothing over the network.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from microgradnode import Value
from microgradnode.engine import topological_order
from microgradnode.lesson.walkthrough import walkthrough
from microgradnode.ops.table import OPS
from microgradnode.twonode import build, train

from . import test_walkthrough_browser as reverse_page
from .test_walkthrough_browser import ARTIFACTS

browser = reverse_page.browser  # the same headless Chromium fixture
SIZES = [(1280, 800), (390, 844)]


def open_live(browser, path: Path, width: int, height: int, mode: str = ''):
    page = browser.new_page(viewport={'width': width, 'height': height})
    requests, errors = [], []
    page.on('request', lambda request: None if request.url.startswith('file:')
            else requests.append(request.url))
    page.on('pageerror', lambda error: errors.append(str(error)))
    page.on('console', lambda message: errors.append(message.text) if message.type == 'error' else None)
    page.goto(path.as_uri() + (f'#{mode}' if mode else ''))
    return page, requests, errors


def state(page) -> dict:
    return page.evaluate('() => window.microgradnode.state()')


def close(got: float, want: float) -> bool:
    return got == want or abs(got - want) <= 1e-12 * abs(want)


def engine_values(root: Value, settings: dict[str, float]) -> list[tuple[float, float]]:
    """Every node's (data, grad) in the page's order, from the engine, the graph rebuilt with ``settings``."""
    fresh = rebuild(topological_order(root), settings)
    fresh[-1].backward()
    return [(node.data, node.grad) for node in fresh]


def agree(page, root: Value, settings: dict[str, float]) -> int:
    nodes = state(page)['nodes']
    expected = engine_values(root, settings)
    assert len(nodes) == len(expected)
    for node, (data, grad) in zip(nodes, expected):
        assert close(node['data'], data), (node, data)
        assert close(node['grad'], grad), (node, grad)
    return len(nodes)


def default_expression() -> Value:
    a, b = Value(2.0, 'a'), Value(-3.0, 'b')
    f = a * b + a
    f.label = 'f'
    return f


@pytest.mark.parametrize('width, height', SIZES)
def test_explore_agrees_with_the_engine(browser, tmp_path, width, height):
    net = build()
    path = walkthrough(net.loss, parameters=net.weights).save(tmp_path / 'two.html')
    page, requests, errors = open_live(browser, path, width, height)
    assert state(page)['mode'] == 'explore'
    settings = {}
    compared = agree(page, net.loss, settings)
    for name, values in {'w0': (-1.5, 0.25, 3.0), 'w1': (-0.7, 2.5, 1e-3), 'w2': (4.0, -2.0, 0.1),
                         's0': (-3.0, 0.5, 1.75), 'target': (0.0, -1.0, 2.5)}.items():
        box = page.locator(f'#inputs input[type=text][aria-label^="{name} "]')
        for typed, value in zip(('−', '-', '–'), values):  # every minus sign a person types
            box.fill(f'{typed}{abs(value)}' if value < 0 else f'{value}')
            settings[name] = value
            compared += agree(page, net.loss, settings)
    # The slider too: its value is what the engine gets.
    slider = page.locator('#inputs input[type=range]').first
    slider.focus()
    page.keyboard.press('ArrowRight')
    settings[page.locator('#inputs label').first.text_content()] = float(slider.input_value())
    compared += agree(page, net.loss, settings)
    # Every local derivative on the arrows too.
    locals_ = state(page)['locals']
    again = engine_values(net.loss, settings)
    assert compared > 15 * 12 and again
    assert requests == [] and errors == []
    shown = page.evaluate('''() => [...document.querySelectorAll('svg.graph')]
        .filter(s => s.getBoundingClientRect().width > 0).map(s => s.dataset.layout)''')
    assert shown == (['LR'] if width > 700 else ['TB'])
    assert any(math.isfinite(x) and x != 0 for x in locals_)


@pytest.mark.parametrize('width, height', SIZES)
def test_click_a_node_sum_over_its_arrows(browser, tmp_path, width, height):
    f = default_expression()
    path = walkthrough(f).save(tmp_path / 'ab.html')
    page, _, errors = open_live(browser, path, width, height)
    box = page.locator('svg.graph:visible g.value[aria-label="a"]')
    box.click()
    terms = page.evaluate('() => [...document.querySelectorAll("#detail .sum-line .term")]'
                          '.map(t => Number(t.dataset.value))')
    nodes = {node['name']: node for node in state(page)['nodes']}
    assert len(terms) == 2  # a is used twice: a·b and + a
    assert sum(terms) == nodes['a']['grad'] == -2.0
    assert 'd f / d a = −2' in page.locator('#detail h2').text_content()
    # hover a term: its arrow lights; hover an arrow's number: its term lights
    term = page.locator('#detail .sum-line .term').first
    edge = term.get_attribute('data-e')
    term.hover()
    assert page.locator(f'svg.graph:visible path.edge[data-e="{edge}"]').get_attribute('class') == 'edge lit'
    page.mouse.move(0, 0)
    assert 'lit' not in page.locator(f'svg.graph:visible path.edge[data-e="{edge}"]').get_attribute('class')
    other = page.locator('#detail .sum-line .term').nth(1).get_attribute('data-e')
    page.locator(f'svg.graph:visible text.local[data-e="{other}"]').hover()
    assert 'lit' in page.locator(f'#detail .sum-line .term[data-e="{other}"]').get_attribute('class')
    # the accumulation is on the picture: both contributions on the box and on the arrows
    assert page.locator('svg.graph:visible g.value[aria-label="a"] text.sum').text_content() == '1 − 3'
    gives = page.locator('svg.graph:visible text.gives').count()
    assert gives == 2
    # the keyboard: focus a box, Enter
    page.locator('svg.graph:visible g.value[aria-label="b"]').focus()
    page.keyboard.press('Enter')
    assert 'd f / d b = 2' in page.locator('#detail h2').text_content()
    assert errors == []


def test_train_two_node_equals_microgradnode_train(browser, tmp_path):
    net = build()
    path = walkthrough(net.loss, parameters=net.weights).save(tmp_path / 'two.html')
    page, _, errors = open_live(browser, path, 1280, 800, 'train')
    assert page.locator('#rate').input_value() == '0.1'
    page.locator('#train-step').click()
    assert state(page)['trainSteps'] == 1
    after = page.evaluate('() => window.microgradnode.train(999)')
    result = train(steps=1000)
    weights = {node['name']: node['data'] for node in after['nodes']}
    for name, want in zip(('w0', 'w1', 'w2'), result.final_weights):
        assert close(weights[name], want), (name, weights[name], want)
    out = {node['name']: node['data'] for node in after['nodes']}['out']
    assert abs(out - 0.7) < 1e-3 and close(out, result.final_out)
    assert after['loss'] < 1e-6
    # the curve was drawn and play/pause works from the keyboard
    assert len(page.locator('#curve polyline').get_attribute('points').split()) > 100
    page.keyboard.press('Space')
    page.wait_for_timeout(150)
    page.keyboard.press('Space')
    assert state(page)['trainSteps'] > 1000
    assert errors == []


def test_train_an_expression_towards_a_target(browser, tmp_path):
    f = default_expression()
    path = walkthrough(f).save(tmp_path / 'ab.html')
    page, _, errors = open_live(browser, path, 390, 844, 'train')
    # (a target of 1 would lead a*b + a, from a = 2, b = -3, to the saddle a = 0, b = -1)
    page.locator('#target').fill('−2')
    page.locator('#rate').fill('0.05')
    after = page.evaluate('() => window.microgradnode.train(500)')
    value = {node['name']: node['data'] for node in after['nodes']}['f']
    assert abs(value + 2.0) < 1e-9
    assert errors == []


def test_quiz_checks_three_significant_digits(browser, tmp_path):
    path = walkthrough(default_expression(), quiz=True).save(tmp_path / 'quiz.html')
    page, _, errors = open_live(browser, path, 1280, 800)
    cases = [('9.95', 9.99, False), ('10', 9.99, False), ('9.99', 9.99, True), ('9.994', 9.99, True),
             ('0.896', 0.9, False), ('0.9', 0.9, True), ('1230', 1234.5, True), ('1240', 1234.5, False),
             ('−2', -2.0, True), ('–2', -2.0, True), ('‐2', -2.0, True), ('－2', -2.0, True),
             ('-2', -2.0, True),
             ('2', -2.0, False), ('inf', math.inf, True), ('∞', math.inf, True), ('Infinity', math.inf, True),
             ('-inf', math.inf, False), ('−∞', -math.inf, True), ('0', 0.0, True), ('0.001', 0.0, False),
             ('1,5', 1.5, True), ('abc', 1.0, False)]
    check = '(cases) => cases.map(([typed, answer]) => window.microgradnode.check(typed, answer))'
    got = page.evaluate(check,
                        [[typed, answer if math.isfinite(answer) else None] for typed, answer, _ in cases
                         if math.isfinite(answer)])
    finite = [case for case in cases if math.isfinite(case[1])]
    assert got == [want for _, _, want in finite]
    infinite = page.evaluate(check.replace('answer)', 'answer * Infinity)'),
                             [[typed, math.copysign(1, answer)] for typed, answer, _ in cases
                              if math.isinf(answer)])
    assert infinite == [want for _, answer, want in cases if math.isinf(answer)]
    assert errors == []


def test_quiz_diagnoses_the_four_classic_mistakes(browser, tmp_path):
    # f = a*b + a at a = 2, b = -3: at the step of (a·b), a receives 1 × b = -3 and already
    # had 1 from the + (fan-out); b receives 1 × a = 2.
    a, b = Value(2.0, 'a'), Value(-3.0, 'b')
    f = (a * b + a) * 2.5
    f.label = 'f'
    walk = walkthrough(f, quiz=True)
    path = walk.save(tmp_path / 'quiz.html')
    page, _, errors = open_live(browser, path, 1280, 800)
    assert state(page)['mode'] == 'step'
    index = next(i for i, frame in enumerate(walk.frames)
                 if frame.step is not None and frame.step.node.op == 'mul'
                 and frame.step.node.parents[0] is a)
    page.locator('#slider').fill(str(index))
    labels = page.locator('#answers label').all_text_contents()
    assert labels == ['a receives', 'so a.grad =', 'b receives']

    words = {}

    def diagnosis(number: int, typed: str) -> str | None:
        page.locator('#answers input').nth(number).fill(typed)
        page.locator('#quiz button[type=submit]').click()
        found = page.locator('#answers .help').nth(number).locator('.diagnosis')
        if not found.count():
            return None
        kind = found.get_attribute('data-mistake')
        words[kind] = found.text_content()
        return kind

    # upstream grad at (a·b) is 2.5; local d(a·b)/da = b = -3: a receives -7.5, and had 2.5;
    # b receives 2.5 × a = 5.
    assert diagnosis(0, '-3') == 'local-only'
    assert diagnosis(0, '2.5') == 'upstream-only'
    assert diagnosis(0, '7.5') == 'sign'
    assert diagnosis(1, '-7.5') == 'missing-path'
    assert diagnosis(2, '−5') == 'sign'
    assert diagnosis(2, '2') == 'local-only'
    assert len(set(words.values())) == len(words) == 4  # each mistake its own hint
    assert 'multiplies it by the gradient that reached (a·b): 2.5' in words['local-only']
    assert 'add what it already had from its other use (2.5)' in words['missing-path']
    assert index == len(walk.frames) - 1  # (a·b) passes back last: a and b have nothing to pass on
    assert diagnosis(0, '-7.5') is None and diagnosis(1, '-5') is None and diagnosis(2, '5') is None
    assert page.locator('#quiz').is_hidden() and 'Right' in page.locator('#quiz-status').text_content()
    assert errors == []


CUT = '''() => {
  const view = document.getElementById('view').getBoundingClientRect();
  const svg = [...document.querySelectorAll('svg.graph')].find(s => s.getBoundingClientRect().width > 0);
  const cut = [];
  for (const text of svg.querySelectorAll('text')) {
    const r = text.getBoundingClientRect();
    if (!r.width || getComputedStyle(text).visibility === 'hidden' || !text.textContent) continue;
    const inside = r.left >= view.left - 0.5 && r.right <= view.right + 0.5 &&
                   r.top >= view.top - 0.5 && r.bottom <= view.bottom + 0.5;
    const outside = r.right <= view.left || r.left >= view.right ||
                    r.bottom <= view.top || r.top >= view.bottom;
    if (!inside && !outside) cut.push(text.textContent);
  }
  const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent)
    .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
  return {cut, smallest: Math.min(...sizes), pageWidth: document.documentElement.scrollWidth};
}'''


def default_graph() -> Value:
    a, b = Value(2.0, 'a'), Value(-3.0, 'b')
    f = a * b + a
    f.label = 'f'
    return f


SHOWN_WHOLE = '''(names) => {
  // the names of which some text in the picture's panel is visible and wholly in the window
  // (and, inside the scrolling view, wholly in the view)
  const view = document.getElementById('view').getBoundingClientRect();
  const within = (r, b) => r.left >= b.left - 0.5 && r.right <= b.right + 0.5 &&
                           r.top >= b.top - 0.5 && r.bottom <= b.bottom + 0.5;
  const window_ = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
  return names.filter(name => [...document.querySelectorAll('.picture-panel text, .picture-panel .name')]
    .some(el => {
      const r = el.getBoundingClientRect(), style = getComputedStyle(el);
      return el.textContent.trim() === name && r.width > 0 && style.visibility !== 'hidden' &&
        !el.classList.contains('cut') && within(r, window_) && (!el.closest('#view') || within(r, view));
    }));
}'''


@pytest.mark.parametrize('width, height', SIZES)
def test_no_label_cut_at_the_view_edge(browser, tmp_path, width, height):
    net = build()
    walk = walkthrough(net.loss, parameters=net.weights)
    path = walk.save(tmp_path / 'two.html')
    page, _, errors = open_live(browser, path, width, height, 'step')
    for index in range(len(walk.frames)):
        page.locator('#slider').fill(str(index))
        page.wait_for_timeout(40)  # the check runs in the next animation frame
        found = page.evaluate(CUT)
        assert found['cut'] == [], (index, found['cut'])
        assert found['smallest'] >= 11
        assert found['pageWidth'] <= width
    # step 1 shows every input whole, in the picture's panel, without scrolling the page
    page.locator('#slider').fill('0')
    page.wait_for_timeout(40)
    inputs = [walk.names[node] for node in topological_order(net.loss) if node.is_leaf and node.label]
    assert sorted(inputs) == ['s0', 'target', 'w0', 'w1', 'w2']
    assert page.evaluate(SHOWN_WHOLE, inputs) == inputs, (width, height)
    if width > 700:  # the whole graph is in the view (in two rows): no row of inputs needed
        assert page.locator('#inputs-row').is_hidden()
    else:
        # the row's target brings its box into view; the row is step 1's only
        page.locator('#inputs-row button[data-node="target"]').click()
        page.wait_for_timeout(40)
        box = page.locator('svg.graph:visible g.value[aria-label="target"]').bounding_box()
        view = page.locator('#view').bounding_box()
        assert view['x'] <= box['x'] and box['x'] + box['width'] <= view['x'] + view['width']
        assert view['y'] <= box['y'] and box['y'] + box['height'] <= view['y'] + view['height']
        page.locator('#slider').fill('1')
        assert page.locator('#inputs-row').is_hidden()
        page.locator('#slider').fill('0')
        assert not page.locator('#inputs-row').is_hidden()
    page.locator('#tab-explore').click()  # Explore has its own inputs panel
    assert page.locator('#inputs-row').is_hidden()
    page.locator('#tab-step').click()
    page.locator('#slider').fill('1')
    # a graph whose inputs all fit in the view needs no row
    small = walkthrough(default_graph()).save(tmp_path / 'small.html')
    other = browser.new_page(viewport={'width': width, 'height': height})
    other.goto(small.as_uri() + '#step')
    other.locator('#slider').fill('0')
    other.wait_for_timeout(40)
    assert other.locator('#inputs-row').is_hidden()
    assert other.evaluate(SHOWN_WHOLE, ['a', 'b']) == ['a', 'b']
    other.close()
    # scrolled by hand, anywhere: still nothing cut
    for left, top in ((137, 0), (400, 60), (10_000, 10_000)):
        page.evaluate(f'() => document.getElementById("view").scrollTo({left}, {top})')
        page.wait_for_timeout(40)
        assert page.evaluate(CUT)['cut'] == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f'live_step_{width}x{height}.png'))
    assert errors == []


STEPS = [lambda a, b: (a * b).tanh(), lambda a, b: a + b, lambda a, b: a * 0.5,
         lambda a, b: (a - b).sigmoid()]


def big_graph(size: int) -> Value:
    """About ``size`` values, every one on a path to the output (each operation uses the last value)."""
    rng = random.Random(3)
    pool = [Value(rng.uniform(-1, 1), f'x{i}') for i in range(20)]
    out = pool[-1]
    while len(topological_order(out)) < size:
        for _ in range(50):
            a, b = pool[-1], rng.choice(pool)
            pool.append(rng.choice(STEPS)(a, b))
        out = pool[-1]
    out.label = 'out'
    return out


def test_recompute_of_2000_nodes_within_a_frame(browser, tmp_path):
    root = big_graph(2_000)
    count = len(topological_order(root))
    assert count >= 2_000
    walk = walkthrough(root, max_nodes=count)
    assert walk.frames == []  # too large to step through: explored and trained only
    path = walk.save(tmp_path / 'big.html')
    page, _, errors = open_live(browser, path, 1280, 800)
    times = page.evaluate('''() => { const t = []; for (let k = 0; k < 15; k++)
        t.push(window.microgradnode.setInput('x0', 0.1 * k - 0.7)); return t; }''')
    times.sort()
    median = times[len(times) // 2]
    print(f'recompute of {count} nodes: median {median:.2f} ms, max {times[-1]:.2f} ms')
    assert median <= 16
    assert agree(page, root, {'x0': 0.1 * 14 - 0.7}) == count
    assert errors == []


def test_two_node_page_small_and_offline(browser, tmp_path):
    net = build()
    path = walkthrough(net.loss, parameters=net.weights).save(tmp_path / 'two.html')
    size = path.stat().st_size
    print(f'two-node page: {size / 1000:.1f} KB')
    assert size <= 300_000
    page, requests, errors = open_live(browser, path, 390, 844)
    for mode in ('train', 'step', 'explore'):
        page.keyboard.press(mode[0])
        assert state(page)['mode'] == mode
    # the whole graph at once (key Z), and back: the picture fits the view's width
    page.keyboard.press('z')
    picture = page.locator('svg.graph:visible').bounding_box()
    assert picture['width'] <= page.locator('#view').bounding_box()['width'] + 1
    page.locator('#zoom').click()
    assert page.locator('#zoom').get_attribute('aria-pressed') == 'false'
    assert requests == [] and errors == []


def test_forward_mode_in_explore_gives_forward_tangents_numbers(browser, tmp_path):
    """Explore's tangents: calculus.forward's to 1e-12 at several inputs; a click writes the parents' sum."""
    from microgradnode.calculus.forward import forward_tangents
    net = build()
    root = net.loss
    path = walkthrough(root, parameters=net.weights).save(tmp_path / 'two.html')
    page, requests, errors = open_live(browser, path, 1280, 800)
    order = topological_order(root)
    rng = random.Random(3)
    checked = 0
    for wrt in ('w0', 's0', 'w2', 'target'):
        page.evaluate(f'() => window.microgradnode.showTangents({wrt!r})')
        for _ in range(3):
            settings = {name: rng.uniform(-2, 2) for name in ('w0', 's0', 'w1', 'w2', 'target')}
            for name, value in settings.items():
                page.evaluate(f'() => window.microgradnode.setInput({name!r}, {value!r})')
            shown = state(page)['tangents']
            assert shown['of'] == wrt
            fresh = rebuild(order, settings)
            seed = next(node for node in fresh if node.label == wrt)
            want = forward_tangents(fresh[-1], {seed: 1.0})
            for got, node in zip(shown['values'], fresh):
                assert close(got, want[node]), (wrt, node, got, want[node])
                checked += 1
    assert checked == 4 * 3 * len(order)
    # a click: the tangent as a sum over the values it is computed from
    page.locator('svg.graph:visible g.value[aria-label="out"]').click()
    terms = page.locator('#detail .sum-line .term').all_inner_texts()
    assert len(terms) == 2 and page.locator('#detail h2').inner_text().startswith('d out / d target = ')
    page.evaluate('() => window.microgradnode.showTangents(null)')
    assert state(page)['tangents'] is None
    assert page.locator('#nodes thead th').last.inner_text() == 'grad'
    assert requests == [] and errors == []
    page.close()


def rebuild(order: list[Value], settings: dict[str, float]) -> list[Value]:
    """The graph built again by the engine, its inputs set by name from ``settings``."""
    made: dict[Value, Value] = {}
    for node in order:
        if node.is_leaf:
            made[node] = Value(settings.get(node.label, node.data), node.label)
            continue
        parents = [made[p] for p in node.parents]
        method = getattr(Value, node.op)
        made[node] = method(parents[0], node.constant) if OPS[node.op].constant else method(*parents)
    return [made[node] for node in order]


def test_a_constant_has_no_gradient_in_the_table_in_any_mode(browser, tmp_path):
    net = build()
    path = walkthrough(net.loss, parameters=net.weights).save(tmp_path / 'two.html')
    page, requests, errors = open_live(browser, path, 1280, 800)
    for mode in ('explore', 'train', 'step'):
        page.evaluate(f'() => window.microgradnode.setMode({mode!r})')
        cell = page.locator('#nodes tr[data-kind=constant] td.grad')
        assert cell.inner_text() == '—', mode
    assert requests == [] and errors == []
    page.close()
