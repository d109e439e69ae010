"""The backward pass as steps and frames, and the HTML page built from them."""

from __future__ import annotations

import html
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings

from microgradnode import Value, backward_steps
from microgradnode.engine import topological_order
from microgradnode.lesson.walkthrough import Walkthrough, walkthrough

from ..conftest import require_module
from ..engine.test_engine_random_graphs import programs, run


def two_node():
    from microgradnode.twonode import build
    return build()


def consumers(root):
    users = defaultdict(list)
    for node in topological_order(root):
        for parent in node.parents:
            users[parent].append(node)
    return users


# -- the engine's steps ------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(programs())
def test_steps_are_a_reverse_topological_order_and_add_up_to_the_grads(program):
    inputs, instructions = program
    leaves = [Value(x, f'x{i}') for i, x in enumerate(inputs)]
    out = run(instructions, leaves)
    steps = backward_steps(out)
    order = [step.node for step in steps]
    assert len(order) == len(set(order)) == len(topological_order(out))
    position = {node: i for i, node in enumerate(order)}
    users = consumers(out)
    for node in order:  # every value is processed after every value that uses it
        assert all(position[user] < position[node] for user in users[node])
    received = defaultdict(float)
    for step in steps:
        # A node passes on exactly the gradient it had collected by then: its final one.
        assert step.grad == (1.0 if step.node is out else received[step.node])
        assert step.grad == step.node.grad
        for parent, local, contribution, after in step.contributions:
            assert contribution == step.grad * local
            received[parent] += contribution
            assert after == received[parent]
    for node in order:
        if node is not out:
            assert node.grad == received[node]


def test_frames_follow_the_steps_of_the_two_node_network():
    net = two_node()
    walk = walkthrough(net.loss)
    order = topological_order(net.loss)
    operations = [node for node in order if not node.is_leaf]
    forward = [frame for frame in walk.frames if frame.phase == 'forward']
    backward = [frame for frame in walk.frames if frame.phase == 'backward']
    # A leaf's own backward step (it has nothing to pass on) is no frame: only operations pass back.
    passing = [step for step in walk.steps if not step.node.is_leaf]
    assert len(walk.steps) == len(order)  # the engine visits every value, the 6 leaves included
    assert len(forward) == 1 + len(operations) and len(backward) == 1 + len(passing) == 1 + len(operations)
    assert [frame.nodes[0] for frame in forward[1:]] == operations  # computed in topological order
    assert [frame.nodes[0] for frame in backward[1:]] == [step.node for step in passing]
    assert walk.frames.index(backward[0]) == len(forward)  # forward phase first
    assert [frame.index for frame in walk.frames] == list(range(len(walk.frames)))
    for before, after in zip(forward, forward[1:]):
        assert before.computed < after.computed and not after.grads
    # Each backward frame knows exactly the grads received so far, and the last one all of them.
    assert backward[0].grads == {net.loss: 1.0}
    for frame in backward[1:]:
        for parent, _, _, after in frame.step.contributions:
            assert frame.grads[parent] == after
            constant = parent.is_leaf and not parent.label  # 0.5: no red arrow, no gradient talk
            assert ((parent, frame.step.node) in frame.highlight_edges) is not constant
    assert backward[-1].grads == {node: node.grad for node in order}
    known = set()
    for frame in backward:
        assert known <= set(frame.grads)
        known = set(frame.grads)


def test_step_text_says_what_each_parent_receives():
    net = two_node()
    walk = walkthrough(net.loss)
    frame = next(f for f in walk.frames if f.phase == 'backward' and f.nodes == (net.out,))
    text = frame.text
    upstream = f'{net.out.grad:.4g}'
    assert f'w2 receives {upstream} × s2 = {upstream} × {net.s2.data:.4g} = {net.w2.grad:.4g}' in text
    assert f'so w2.grad = {net.w2.grad:.4g}' in text
    forward = next(f for f in walk.frames if f.phase == 'forward' and f.nodes == (net.s1,))
    assert 's1 = sigmoid(x1)' in forward.text and '= sigmoid(4)' in forward.text
    assert 'd s1 / d x1 = s1·(1 - s1) = 0.01766' in forward.text
    assert 'd loss / d w0 = -0.001177' in walk.frames[-1].text


def test_accumulation_is_spelled_out():
    x = Value(3.0, 'x')
    y = x * x
    y.label = 'y'
    text = walkthrough(y).text()
    assert 'x receives 1 × x = 1 × 3 = 3, so x.grad = 3' in text
    assert 'so x.grad = 3 + 3 = 6' in text


def test_walkthrough_starts_from_clean_grads():
    x = Value(2.0, 'x')
    y = x * 5
    y.backward()
    y.backward()  # leaves accumulate: x.grad is 10 now
    walkthrough(y)
    assert x.grad == 5.0


def test_bad_arguments():
    with pytest.raises(TypeError, match='walkthrough needs a Value'):
        walkthrough(3.0)
    x = Value(1.0, 'x')
    y = x
    for _ in range(40):
        y = y * 1.01
    with pytest.raises(ValueError, match='more than max_nodes=60'):
        walkthrough(y)
    with pytest.raises(ValueError, match='number_format'):
        walkthrough(x * 2, number_format='%d')


# -- the page ------------------------------------------------------------------------------------

def test_page_is_self_contained_and_carries_the_final_numbers():
    net = two_node()
    walk = walkthrough(net.loss)
    page = walk.html()
    assert page.startswith('<!DOCTYPE html>')
    # Nothing to fetch: no external scripts, styles, images or fonts.
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)=', page)
    assert not re.search(r'url\((?!#)', page)
    assert '@import' not in page
    # one picture whose numbers the page rewrites, laid out for wide and for narrow screens
    assert page.count('<svg class="graph"') == 2
    for node in topological_order(net.loss):
        assert f'data-node="{html.escape(walk.names[node])}"' in page
    # The frames' data holds every grad of the final state, at full precision.
    assert repr(net.w0.grad) in page or str(net.w0.grad) in page


def test_labels_cannot_break_out_of_the_page():
    x = Value(2.0, '</script><script>alert(1)</script>')
    y = x * 2
    page = walkthrough(y).html()
    assert '<script>alert(1)' not in page


def test_notebook_display_is_an_iframe():
    x = Value(2.0, 'x')
    shown = Walkthrough(x * 3)._repr_html_()
    assert shown.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert 'sandbox' not in shown or 'allow-scripts' in shown


def test_save_writes_the_page(tmp_path):
    x = Value(2.0, 'x')
    path = walkthrough((x * 3).tanh()).save(tmp_path / 'walk.html')
    text = path.read_text(encoding='utf-8')
    assert text.startswith('<!DOCTYPE html>') and 'data-node="x"' in text


def test_walkthrough_displays_inline_in_a_jupyter_kernel(monkeypatch):
    nbformat = require_module('nbformat')
    nbclient = require_module('nbclient')
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv('PYTHONPATH', os.pathsep.join(filter(None, [str(root), os.environ.get('PYTHONPATH')])))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from microgradnode import Value, walkthrough\n"
        "x = Value(3.0, 'x')\n"
        "y = x * x; y.label = 'y'\n"
        "walkthrough(y)")])
    nbclient.NotebookClient(notebook, kernel_name='python3', timeout=120).execute()
    [output] = notebook.cells[0].outputs
    shown = output['data']['text/html']
    assert shown.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert 'data-node=&quot;x&quot;' in shown


def test_a_graph_whose_data_changed_after_its_forward_pass_is_refused():
    from microgradnode.formulas.explain import StaleGraphError
    w = Value(2.0, 'w')
    y = w * 3.0
    y.label = 'y'
    w.data = 5.0  # an optimizer step without a new forward pass
    with pytest.raises(StaleGraphError, match='y = w·3 holds 6, but with w = 5 it now gives 15'):
        walkthrough(y)
    y = w * 3.0  # computed again: the walkthrough shows it
    assert walkthrough(y).frames[-1].phase == 'backward'


def test_each_leaf_is_final_in_the_frame_where_its_last_contribution_arrives():
    # a is used twice: its gradient is final only after the second path reaches it
    a, b = Value(2.0, 'a'), Value(-3.0, 'b')
    prod = a * b
    prod.label = 'p'
    f = prod + a
    f.label = 'f'
    walk = walkthrough(f)
    backward = [frame for frame in walk.frames if frame.phase == 'backward']
    assert [frame.nodes[0] for frame in backward] == [f, f, prod]  # the start, then operations only
    said = {leaf: [frame for frame in backward if f'{leaf} is an input' in frame.text] for leaf in 'ab'}
    assert said['a'] == [backward[2]] and said['b'] == [backward[2]]  # a's last path is through p
    assert 'a.grad = 1 + (-3) = -2' in backward[2].text
