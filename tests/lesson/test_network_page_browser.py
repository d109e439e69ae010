"""The network page in headless Chromium: train a classifier live and compare with the Python library.

Train: the page's gradient descent (one point's graph run once per point) ends on the
weights ``nn.training.train`` reaches with SGD on the whole batch, to 1e-12 relative, with
the same losses and accuracies. Choosing a point shows that point's graph: every value and
gradient as the engine computes them. The decision boundary is shaded by the sign of the
network's score. A neuron's gradient, clicked, is the sum of its terms. The default
network fits 1280x800 whole, with text of at least 11 px; nothing is asked of the network.
"""

from __future__ import annotations

import pytest

from microgradnode import network_walkthrough
from microgradnode.engine import topological_order
from microgradnode.lesson.network import build
from microgradnode.nn import MLP
from microgradnode.nn.optim import SGD
from microgradnode.nn.training import train

from . import test_walkthrough_browser as reverse_page
from .test_live_page_browser import ARTIFACTS, open_live, state

browser = reverse_page.browser  # the same headless Chromium fixture


def close(got: float, want: float, tolerance: float = 1e-12) -> bool:
    return got == want or abs(got - want) <= tolerance * max(abs(want), 1e-300)


@pytest.fixture(scope='module')
def page_path(tmp_path_factory):
    return network_walkthrough().save(tmp_path_factory.mktemp('network') / 'network.html')


def default_model() -> MLP:
    return MLP(2, [6, 6, 1], activation='tanh', seed=0)


@pytest.mark.parametrize('steps', [1, 300])
def test_training_in_the_page_ends_on_the_libraries_weights(browser, page_path, steps):
    walk = network_walkthrough()
    model = default_model()
    history = train(model, walk.network.points, walk.network.labels,
                    optimizer=SGD(model.parameters(), lr=1.0), steps=steps, loss='hinge', l2=0.0)
    page, requests, errors = open_live(browser, page_path, 1280, 800, 'train')
    page.evaluate(f'() => window.microgradnode.train({steps})')
    after = state(page)
    got = after['network']['parameters']
    want = [p.data for p in model.parameters()]
    worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(got, want))
    assert worst <= 1e-12, worst
    assert close(after['loss'], history.losses[-1])
    assert after['network']['accuracy'] == history.accuracies[-1]
    assert after['trainSteps'] == steps
    status = page.locator('#train-status').inner_text()
    assert f'step {steps}: mean loss' in status and f'{round(100 * history.accuracies[-1])}%' in status
    assert requests == [] and errors == []
    page.close()


def test_choosing_a_point_shows_its_graph_with_the_engines_numbers(browser, page_path):
    page, requests, errors = open_live(browser, page_path, 1280, 800, 'train')
    page.evaluate('() => window.microgradnode.train(20)')
    for chosen in (5, 42):
        shown = page.evaluate(f'() => window.microgradnode.choosePoint({chosen})')
        assert shown['network']['point'] == chosen
        model = default_model()
        model.load_parameters(shown['network']['parameters'])
        walk = network_walkthrough()
        inputs, layers, loss = build(model, walk.network.points[chosen], walk.network.labels[chosen])
        loss.backward()
        order = topological_order(loss)
        assert len(order) == len(shown['nodes'])
        for node, mine in zip(shown['nodes'], order):
            assert close(node['data'], mine.data) and close(node['grad'], mine.grad), (node, mine)
        assert page.locator('#point-name').inner_text() == f'point {chosen + 1} of 60'
    # the keyboard: ] is the next point, [ the previous one
    page.keyboard.press(']')
    assert state(page)['network']['point'] == 43
    page.keyboard.press('[')
    page.keyboard.press('[')
    assert state(page)['network']['point'] == 41
    assert requests == [] and errors == []
    page.close()


def test_the_boundary_is_shaded_by_the_sign_of_the_score_and_a_click_picks_a_point(browser, page_path):
    page, requests, errors = open_live(browser, page_path, 1280, 800, 'train')
    after = page.evaluate('() => window.microgradnode.train(300)')
    model = default_model()
    model.load_parameters(after['network']['parameters'])
    walk = network_walkthrough()
    left, right, bottom, top = page.evaluate('() => WALK.live.network.extent')
    checked = 0
    for x in [left + (right - left) * k / 7 for k in range(1, 7)]:
        for y in [bottom + (top - bottom) * k / 7 for k in range(1, 7)]:
            score = model([x, y]).data
            if abs(score) < 0.5:  # near the boundary a cell's centre and this point may differ
                continue
            red, _, blue, _ = page.evaluate(f'''() => {{
                const c = document.getElementById('boundary'), pen = c.getContext('2d');
                const [x0, x1, y0, y1] = WALK.live.network.extent;
                const px = ({x} - x0) / (x1 - x0) * c.width, py = (1 - ({y} - y0) / (y1 - y0)) * c.height;
                return Array.from(pen.getImageData(Math.round(px), Math.round(py), 1, 1).data);
            }}''')
            near_point = any(abs(px - x) < 0.12 * (right - left) and abs(py - y) < 0.12 * (top - bottom)
                             for px, py in walk.network.points)
            if near_point:  # a drawn circle covers the shade
                continue
            assert (blue > red) == (score > 0), (x, y, score, red, blue)
            checked += 1
    assert checked >= 5
    # a click on a drawn point shows that point's graph
    target = 17
    box = page.locator('#boundary').bounding_box()
    x, y = walk.network.points[target]
    page.mouse.click(box['x'] + (x - left) / (right - left) * box['width'],
                     box['y'] + (1 - (y - bottom) / (top - bottom)) * box['height'])
    assert state(page)['network']['point'] == target
    assert requests == [] and errors == []
    page.close()


def test_a_clicked_neurons_gradient_is_the_sum_of_its_terms(browser, page_path):
    page, requests, errors = open_live(browser, page_path, 1280, 800, 'explore')
    page.locator('svg.graph:visible g.value[aria-label="L1.n2"]').click()
    terms = page.evaluate('''() => [...document.querySelectorAll('#detail .sum-line .term')]
                                    .map(t => Number(t.dataset.value))''')
    assert len(terms) == 6  # one per neuron of the next layer
    grad = next(node['grad'] for node in state(page)['nodes'] if node['name'] == 'L1.n2')
    assert abs(sum(terms) - grad) <= 1e-12 * max(1.0, abs(grad))
    items = page.locator('#detail li.term').all_inner_texts()
    assert sorted(item.split(':')[0] for item in items) == [
        f'via L2.n{k}, weight L2.n{k}.w2' for k in range(6)]
    assert 'd loss / d (L2.n0.w2·L1.n2) × L2.n0.w2 = ' in ' '.join(items)
    # hovering a term lights its weight's arrow
    page.locator('#detail li.term').first.hover()
    lit = page.evaluate('() => [...document.querySelectorAll('
                        '"svg.graph:not([data-layout=TB]) path.weight.lit")]'
                        '.map(p => p.querySelector("title").textContent)')
    assert lit == [items[0].split(', weight ')[1].split(':')[0]]
    # moving x0 runs the network again: the boxes show the engine's numbers
    page.evaluate("() => window.microgradnode.setInput('x0', 0.25)")
    model = default_model()
    walk = network_walkthrough()
    _, layers, loss = build(model, [0.25, walk.network.points[0][1]], walk.network.labels[0])
    shown = page.locator('svg.graph:visible g.value[aria-label="score"] text.data').text_content()
    assert shown.replace('−', '-') == format(layers[-1][0].data, '.4g')
    assert requests == [] and errors == []
    page.close()


def test_the_default_network_fits_1280x800_readable_and_a_phone_without_errors(browser, page_path):
    page, requests, errors = open_live(browser, page_path, 1280, 800, 'train')
    page.evaluate('() => window.microgradnode.train(5)')
    page.wait_for_timeout(100)
    geometry = page.evaluate('''() => {
        const view = document.getElementById('view').getBoundingClientRect();
        const svg = document.querySelector('svg.graph[data-layout=LR]');
        const scale = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
        const outside = [...svg.querySelectorAll('g.value')].filter(g => {
            const r = g.getBoundingClientRect();
            return r.left < view.left || r.right > view.right || r.top < view.top || r.bottom > view.bottom;
        }).map(g => g.getAttribute('aria-label'));
        const fonts = [...svg.querySelectorAll('text')]
            .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
        const panel = document.getElementById('train-panel').getBoundingClientRect();
        const data = document.getElementById('boundary').getBoundingClientRect();
        return {outside, smallest: Math.min(...fonts), panelTop: panel.top, dataBottom: data.bottom};
    }''')
    assert geometry['outside'] == []
    assert geometry['smallest'] >= 11
    # the controls and the data are on the first screen, beside each other
    assert geometry['panelTop'] < 800 and geometry['dataBottom'] <= 800
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / 'network_train_1280.png'))
    page.close()
    page, requests_phone, errors_phone = open_live(browser, page_path, 390, 844, 'train')
    page.evaluate('() => window.microgradnode.train(5)')
    page.wait_for_timeout(100)
    # the close-up never shows a cut label: a text the view cuts is hidden
    cut = page.evaluate('''() => {
        const view = document.getElementById('view').getBoundingClientRect();
        return [...document.querySelectorAll('svg.graph[data-layout=TB] text')].filter(t => {
            const r = t.getBoundingClientRect();
            if (r.width === 0 || getComputedStyle(t).visibility === 'hidden') return false;
            const inside = r.left >= view.left - 0.5 && r.right <= view.right + 0.5 && r.top >= view.top - 0.5
                && r.bottom <= view.bottom + 0.5;
            const outside = r.right <= view.left || r.left >= view.right || r.bottom <= view.top
                || r.top >= view.bottom;
            return !inside && !outside; }).length; }''')
    assert cut == 0
    page.screenshot(path=str(ARTIFACTS / 'network_train_390.png'))
    assert requests + requests_phone == [] and errors + errors_phone == []
    page.close()


def test_a_clicked_neuron_lists_its_weights_gradients_here_and_over_every_point(browser, page_path):
    from microgradnode.nn.training import batch_loss
    walk = network_walkthrough()
    model = default_model()
    value, _ = batch_loss(model, walk.network.points, walk.network.labels, loss='hinge', l2=0.0)
    value.backward()
    mean = {p.label: p.grad for p in model.parameters()}
    here_model = default_model()
    _, _, loss = build(here_model, walk.network.points[3], walk.network.labels[3])
    loss.backward()
    here = {p.label: p.grad for p in here_model.parameters()}
    page, requests, errors = open_live(browser, page_path, 1280, 800, 'explore')
    page.evaluate('() => window.microgradnode.choosePoint(3)')
    page.locator('svg.graph:visible g.value[aria-label="L2.n4"]').click()
    lines = page.locator('#detail li.formula').all_inner_texts()
    assert [line.split(' = ')[0] for line in lines] == [*(f'L2.n4.w{k}' for k in range(6)), 'L2.n4.b']
    for line in lines:
        name = line.split(' = ')[0]
        shown_here = line.split(': here ')[1].split(',')[0].replace('−', '-')
        shown_mean = line.split(', mean ')[1].replace('−', '-')
        assert shown_here == format(here[name], '.4g') if here[name] else shown_here == '0'
        assert float(shown_mean) == pytest.approx(mean[name], rel=1e-3, abs=1e-12)
    assert requests == [] and errors == []
    page.close()
