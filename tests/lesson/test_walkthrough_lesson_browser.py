"""The walkthrough as a lesson, in headless Chromium: readable at every step, and the quiz.

At 1280x800 and 390x844, at every step, the step's node lies inside the window with its
text (and the numbers on its arrows) at 12 px or more, the page does not scroll sideways
and the view is never animated. The quiz: a wrong answer shows the chain-rule hint, a
second one the answer; a right one advances; the score counts answers right at the first
try. Screenshots go to tests/artifacts/ (lesson_*.png).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from microgradnode.lesson.walkthrough import walkthrough
from microgradnode.twonode import build

from . import test_walkthrough_browser as reverse_page
from .test_walkthrough_browser import ARTIFACTS, shown

browser = reverse_page.browser  # the same headless Chromium fixture

SIZES = [(1280, 800), (390, 844)]

# Where the step's node, its operation and the parents it names are, and how large their
# smallest text (and the numbers on the parents' arrows) is drawn, in CSS pixels, in the one
# picture the page shows (laid out left to right, or top to bottom on a narrow screen).
MEASURE = '''(index) => {
  const frame = WALK.frames[index];
  const svg = [...document.querySelectorAll('svg.graph')].find(s => s.getBoundingClientRect().width > 0);
  const one = frame.nodes.length === 1;
  const node = 'v' + frame.nodes[0], operation = 'o' + frame.nodes[0];
  const parents = one ? frame.near.map(id => 'v' + id) : [];
  // The inputs' step: where the forward pass starts, the inputs of the first operation (the
  // others sit beside their own first use, further on; the words and the table list them all).
  const start = index === 0 && !one ? WALK.frames[1].near.map(id => 'v' + id) : null;
  // a leaf has no operation
  const wanted = start || (parents.length ? [node, operation, ...parents] : [node]);
  const boxes = {}, sizes = [];
  const measure = text => {
    if (text.textContent) sizes.push(parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a);
  };
  for (const group of svg.querySelectorAll('g.value, g.op')) {
    const id = (group.classList.contains('op') ? 'o' : 'v') + group.dataset.i;
    if (!wanted.includes(id)) continue;
    const b = group.getBoundingClientRect(); boxes[id] = [b.left, b.top, b.right, b.bottom];
    for (const text of group.querySelectorAll('text')) measure(text);
  }
  if (one) for (const text of svg.querySelectorAll('text.local')) {
    if (Math.floor(Number(text.dataset.e) / 2) === frame.nodes[0]) measure(text);
  }
  return {wanted, boxes, smallest: Math.min(...sizes), scrollX: window.scrollX, scrollY: window.scrollY,
          pageWidth: document.documentElement.scrollWidth, width: innerWidth, height: innerHeight};
}'''

PAGES = {
    'two-node': [],
    'tanh': ['tanh(w*x + b)', '--set', 'w=0.5', '--set', 'x=2', '--set', 'b=-1'],
}


@pytest.mark.parametrize('width, height', SIZES)
@pytest.mark.parametrize('graph', PAGES)
def test_every_step_readable_without_scrolling(browser, tmp_path, graph, width, height):
    """The step's node, its operation and its parents wholly on screen, text at 11 px or more."""
    command = [sys.executable, '-m', 'microgradnode', 'walkthrough', *PAGES[graph], '--html', 'walk.html']
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    path = tmp_path / 'walk.html'
    page, requests, errors = reverse_page.open_page(browser, path)
    page.set_viewport_size({'width': width, 'height': height})
    page.reload()
    frames = page.evaluate(
        'WALK.frames.map(f => [f.title, f.phase, f.nodes.length, f.near.length, f.edges.length])')
    assert page.evaluate('window.microgradnode.state().mode') == 'step'
    backward_step = None
    for index, (title, phase, nodes, near, edges) in enumerate(frames):
        if index:
            page.keyboard.press('ArrowRight')
        assert page.locator('#step-title').text_content() == title
        seen = page.evaluate(MEASURE, index)
        assert sorted(seen['boxes']) == sorted(seen['wanted']), (title, seen['boxes'])
        if nodes == 1 and near:
            assert len(seen['wanted']) == 2 + near
        for name, (left, top, right, bottom) in seen['boxes'].items():
            assert 0 <= left and right <= seen['width'] and 0 <= top and bottom <= seen['height'], (
                title, name, (left, top, right, bottom))
        assert seen['smallest'] >= 10.99, (title, seen['smallest'])
        assert seen['scrollX'] == 0 and seen['scrollY'] == 0 and seen['pageWidth'] <= seen['width']
        hint = page.locator('#hint').text_content()
        assert ('faded' in hint) == (phase == 'forward')  # no stale hint in the backward pass
        if edges:  # the first step that passes a gradient back
            backward_step = backward_step if backward_step is not None else index
        if index in (0, backward_step, len(frames) - 1):
            name = {0: 'first', backward_step: 'backward', len(frames) - 1: 'last'}[index]
            page.screenshot(path=str(ARTIFACTS / f'lesson_{graph}_{name}_{width}.png'))
    assert not errors and all(url == path.as_uri() for url in requests), (errors, requests)
    page.close()


def test_marks_are_explained(browser, tmp_path):
    net = build()
    walk = walkthrough(net.loss, parameters=net.weights)
    page, _, errors = reverse_page.open_page(browser, walk.save(tmp_path / 'walk.html'))
    key = page.locator('.key').text_content()
    for words in ('input or parameter', 'constant', 'computed value', 'output', 'operation',
                  'local derivative', 'gradient flows'):
        assert words in key
    kinds = page.evaluate('''() => Object.fromEntries([...document.querySelectorAll('#nodes tbody tr')]
        .map(row => [row.dataset.node, row.dataset.kind]))''')
    assert kinds['w0'] == kinds['w2'] == 'parameter' and kinds['s0'] == kinds['target'] == 'input'
    assert kinds['0.5'] == 'constant' and kinds['loss'] == 'output' and kinds['x1'] == 'computed'
    page.keyboard.press('End')
    text = page.locator('#step-text').text_content()
    assert 'each parameter (w2, w1, w0)' in text and 'The data (s0, target) stay' in text
    assert '-0.' not in text and '−0.2446' in text  # one minus sign
    # The backward step draws its red arrows the way the gradient flows (arrowheads at the parents).
    backward = next(i for i, f in enumerate(walk.frames) if f.step is not None and f.step.contributions)
    page.locator('#slider').fill(str(backward))
    # (no red arrow to the constant 0.5: nothing flows on from it)
    flowing = [c for c in walk.frames[backward].step.contributions if c[0].label or not c[0].is_leaf]
    hot = page.locator('svg.graph:visible path.edge.hot').count()
    assert hot == len(flowing) == len(walk.frames[backward].step.contributions) - 1
    assert page.locator('svg.graph:visible path.out.hot').count() == 1
    source = walk.diagram(backward).source
    assert source.count('dir=back') == len(flowing) + 1
    assert 'dir=back' not in walk.diagram(3).source  # forward steps point forward
    assert not errors
    page.close()


def answer(page, number: int, text: str) -> None:
    page.locator('#answers input').nth(number).fill(text)
    page.keyboard.press('Enter')


@pytest.mark.parametrize('width, height', SIZES)
def test_quiz_hint_answer_score(browser, tmp_path, width, height):
    net = build()
    walk = walkthrough(net.loss, quiz=True, parameters=net.weights)
    path = walk.save(tmp_path / 'quiz.html')
    page, requests, errors = reverse_page.open_page(browser, path)
    page.set_viewport_size({'width': width, 'height': height})
    def asked(frame):  # what each parent receives, the constant 0.5 excepted: it teaches nothing
        step = frame.step
        return [c for c in (step.contributions if step else ()) if c[0].label or not c[0].is_leaf]
    questions = [i for i, f in enumerate(walk.frames) if asked(f)]
    first = next(i for i in questions if len(asked(walk.frames[i])) == 2)  # (out - target): out, target
    after = questions[questions.index(first) + 1]
    assert page.locator('#score').text_content() == 'Score 0 / 0'
    page.locator('#slider').fill(str(first))
    assert not page.locator('#quiz').is_hidden()
    step = walk.frames[first].step
    assert page.locator('#question').text_content() == (
        f'(out − target) passes its gradient ({step.grad:.4g}) back. '.replace('-', '−')
        + 'What does each parent receive?')
    (parent_a, _, got_a, _), (parent_b, local_b, got_b, _) = asked(walk.frames[first])
    # Before the answer: the parents' grads are not given away, in the table or the diagram.
    table = shown(page)
    assert table[walk.names[parent_a]][3] == '?' and table[walk.names[parent_b]][3] == '?'
    words = page.locator('#step-text').text_content()
    assert 'receives' not in words and '.grad =' not in words
    # Wrong: the chain-rule hint, with the local derivative's formula as MathML; not the answer yet.
    answer(page, 1, '7')
    hint = page.locator('#answers .help').nth(1)
    assert 'Chain rule' in hint.text_content() and hint.locator('math').count() == 1
    assert 'Answer' not in hint.text_content()
    page.screenshot(path=str(ARTIFACTS / f'lesson_quiz_hint_{width}.png'))
    # Wrong again: the answer.
    answer(page, 1, '8')
    assert (f'Answer: {step.grad:.4g} × {local_b:.4g} = {got_b:.4g}'
            in hint.text_content().replace('−', '-'))
    # Right (to 3 significant digits, typed with a comma and a Unicode minus) on both: advances.
    answer(page, 0, f'{got_a:.3g}'.replace('.', ',').replace('-', '−'))
    assert page.locator('#counter').text_content() == f'{first + 1} / {len(walk.frames)}'
    answer(page, 1, f'{got_b:.4g}')
    assert page.locator('#counter').text_content() == f'{first + 2} / {len(walk.frames)}'
    assert page.locator('#score').text_content() == 'Score 1 / 2'  # a right at the first try, of two
    assert 'Right' in page.locator('#quiz-status').text_content()
    # The answered step, seen again, shows its numbers (the next step is a question too, its box
    # has the keys: back with the button).
    page.locator('#prev').click()
    assert page.locator('#quiz').is_hidden()
    assert shown(page)[walk.names[parent_b]][3] == f'{got_b:.4g}'
    # "Show the answers" on the next question: no points, the step is shown.
    page.locator('#slider').fill(str(after))
    page.locator('#reveal').click()
    revealed = len(asked(walk.frames[after]))
    assert page.locator('#quiz').is_hidden()
    assert page.locator('#score').text_content() == f'Score 1 / {2 + revealed}'
    assert not errors and all(url == path.as_uri() for url in requests)
    page.close()


def test_quiz_of_a_readme_expression_taken_to_the_end(browser, tmp_path):
    """A learner's own expression, from the README, through the command line: every answer right."""
    result = subprocess.run([sys.executable, '-m', 'microgradnode', 'walkthrough', 'tanh(w*x + b)',
                             '--set', 'w=-1.5', '--set', 'x=0.5', '--set', 'b=0.2',
                             '--quiz', '--html', 'q.html'],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'a quiz at each backward step' in result.stdout
    page, requests, errors = reverse_page.open_page(browser, tmp_path / 'q.html')
    page.locator('#ask-forward').check()  # the forward values too
    data = page.evaluate('WALK.frames.map(f => f.edges.length ? f.edges.map(e => e.answer) '
                         ': f.value ? [f.value.answer] : [])')
    asked = 0
    while not page.locator('#next').is_disabled() or not page.locator('#quiz').is_hidden():
        if page.locator('#quiz').is_hidden():
            page.locator('#next').click()
            continue
        index = int(page.evaluate('document.body.dataset.step'))
        for number, value in enumerate(data[index]):
            page.locator('#answers input').nth(number).fill(repr(value))
        asked += len(data[index])
        page.keyboard.press('Enter')
    assert asked == sum(map(len, data)) > 0
    assert page.locator('#score').text_content() == f'Score {asked} / {asked}'
    assert not errors and len(requests) == 1
    page.close()


def test_quiz_forward_values_when_asked(browser, tmp_path):
    net = build()
    walk = walkthrough(net.loss, quiz=True)
    page, _, errors = reverse_page.open_page(browser, walk.save(tmp_path / 'quiz.html'))
    page.keyboard.press('ArrowRight')  # Forward 2/9: compute x1, shown as before: no question
    assert page.locator('#quiz').is_hidden() and shown(page)['x1'][1] == '4'
    page.locator('#ask-forward').check()
    assert not page.locator('#quiz').is_hidden()
    assert shown(page)['x1'][1] == '?'  # neither the table...
    assert page.locator('#question').text_content() == 'What is x1? Compute it from the values it uses.'
    node = page.locator('svg.graph:visible g.value[aria-label="x1"]')
    assert '4' not in node.text_content().replace('x1', '')  # ...nor the diagram gives it away
    assert page.locator('#step-text').text_content() == 'x1 = w0·s0= 2·2'
    answer(page, 0, '5')
    assert 'Put in the values it is computed from: x1 = 2·2' in page.locator('#answers .help').text_content()
    answer(page, 0, '4')
    assert page.locator('#counter').text_content() == f'3 / {len(walk.frames)}'
    assert page.locator('#score').text_content() == 'Score 0 / 1'
    # The next value is the next question, its box has the keys: back with the button.
    assert page.locator('#answers input').first.evaluate('input => input === document.activeElement')
    page.locator('#prev').click()
    assert page.locator('#counter').text_content() == f'2 / {len(walk.frames)}'
    assert shown(page)['x1'][1] == '4' and '4' in node.text_content().replace('x1', '')
    assert not errors
    page.close()
