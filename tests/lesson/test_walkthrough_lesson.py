"""The lesson page's data, without a browser: quiz answers, formulas, kinds, minus signs, options."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from microgradnode import Value
from microgradnode.lesson.walkthrough import walkthrough
from microgradnode.twonode import build

from ..conftest import require_module


def page_data(walk) -> dict:
    require_module('graphviz')
    text = walk.html()
    data = re.search(r'const WALK = (.*?);\n', text).group(1)
    return json.loads(data.replace('\\u003c', '<').replace('\\u003e', '>'))


def test_quiz_answers_are_the_engines_numbers():
    net = build()
    walk = walkthrough(net.loss, quiz=True, parameters=net.weights)
    data = page_data(walk)
    assert data['quiz'] is True
    asked = 0
    for frame, shown in zip(walk.frames, data['frames']):
        contributions = frame.step.contributions if frame.step is not None else ()
        # the constant 0.5 gets no question: its gradient teaches nothing
        assert [edge['answer'] for edge in shown['edges']] == [
            c for parent, _, c, _ in contributions if parent.label or not parent.is_leaf]
        for edge in shown['edges']:
            math = ET.fromstring(edge['math'])
            assert math.tag.endswith('math') and '∂' in ''.join(math.itertext())
            ET.fromstring(edge['hint_math'])
            assert '-' not in edge['shown'] + edge['answer_text']  # one minus sign: −
        asked += len(shown['edges'])
    # the two-node network: 5 operations of two parents (×, ×, ×, −, ×), 3 of one, less the constant
    assert asked == 13 - 1


def test_formula_math_is_the_tables():
    x = Value(0.5, 'x')
    y = x.sigmoid()
    y.label = 'y'
    (frame,) = [f for f in page_data(walkthrough(y))['frames'] if f['edges']]
    (edge,) = frame['edges']
    # sigmoid's row: out * (1.0 - out), with the node's name for out
    assert edge['formula'] == 'y·(1 − y)'
    assert [e.text for e in ET.fromstring(edge['hint_math']).iter('mi')] == ['y', 'y']


def test_forward_questions_ask_each_computed_value():
    net = build()
    walk = walkthrough(net.loss, quiz=True)
    data = page_data(walk)
    values = [frame['value'] for frame in data['frames'] if frame['value']]
    operations = [node for node in walk.order if not node.is_leaf]
    assert [value['answer'] for value in values] == [node.data for node in operations]
    x1 = values[0]
    assert x1['label'] == 'x1 =' and x1['answer_text'] == 'Answer: x1 = 2·2 = 4. Type it to go on.'
    first = next(frame for frame in data['frames'] if frame['value'])
    assert first['lines'][:x1['keep']] == ['x1 = w0·s0', '= 2·2']  # shown before the answer


def test_kinds_summary_and_key():
    net = build()
    text = walkthrough(net.loss, parameters=net.weights).html()
    assert 'data-kind="parameter"' in text and 'data-kind="constant"' in text and 'class="key"' in text
    plain = walkthrough(net.loss)
    last = plain.frames[-1].text
    assert 'parameter w' not in last and 'Those of them that are parameters' in last
    # The constant 0.5 gets no gradient talk: no "d loss / d 0.5", no "0.5 receives", no frame.
    backward = '\n'.join(frame.text for frame in plain.frames if frame.phase == 'backward')
    assert 'd loss / d 0.5' not in backward and '0.5 receives' not in backward
    assert not any(frame.title.endswith('is done') for frame in plain.frames)
    assert '(out - target)^2 receives 1 × 0.5 = 0.5' in backward


def test_options_are_checked():
    x = Value(2.0, 'x')
    y = x * x
    with pytest.raises(ValueError, match="quiz=True .* mode='reverse'"):
        walkthrough(y, quiz=True, mode='forward', wrt=x)
    with pytest.raises(ValueError, match='parameters must be inputs'):
        walkthrough(y, parameters=[y])
    with pytest.raises(ValueError, match='parameters must be inputs'):
        walkthrough(y, parameters=[Value(1.0, 'elsewhere')])
    assert walkthrough(y, parameters=x).parameters == {x}
