"""The seed notebook's two-node network, checked against the notebook itself.

The notebook's loop is transcribed below in plain floats, as the reference: the
package never writes these derivative expressions, the engine computes them.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnode import Value
from microgradnode.twonode import (
    ORDERS,
    Row,
    TrainingResult,
    build,
    gradient_chain,
    order_gap,
    read_csv,
    save_figure,
    train,
    write_csv,
)

from ..conftest import require_module

NOTEBOOK = dict(s0=2, target=0.7, w0=2, w1=1, w2=0.5, alpha=0.1, steps=1000)


def notebook_loop(*, s0, target, w0, w1, w2, alpha, steps, order='notebook', exp=None):
    """The notebook's Step 4 loop, line for line (``from pylab import *`` gives numpy's exp).

    ``order='simultaneous'`` is the same loop with every update computed from the
    weights the iteration started with (true gradient descent).
    """
    if exp is None:
        from numpy import exp

    def sigmoid(x):
        return float(1 / (1 + exp(-x)))

    results = []
    for k in range(steps):
        x1 = w0*s0
        s1 = sigmoid(x1)
        x2 = w1*s1
        s2 = sigmoid(x2)
        out = w2*s2
        if order == 'notebook':
            w2 = w2 - alpha*(out-target)*s2
            w1 = w1 - alpha*(out-target)*(w2*s2*(1-s2)*s1)
            w0 = w0 - alpha*(out-target)*(w2*s2*(1-s2)*w1)*(s1*(1-s1)*s0)
        else:
            w2, w1, w0 = (w2 - alpha*(out-target)*s2,
                          w1 - alpha*(out-target)*(w2*s2*(1-s2)*s1),
                          w0 - alpha*(out-target)*(w2*s2*(1-s2)*w1)*(s1*(1-s1)*s0))
        results.append((k, w2, w1, w0, out))
    return results


def engine_grouped_loop(*, s0, target, w0, w1, w2, alpha, steps, order):
    """The same loop with products grouped the way the engine's backward pass multiplies
    (error, then one local derivative per edge, outward in), and math.exp as the engine uses.
    Where the arithmetic is the same, the engine must agree bit for bit."""
    def sigmoid(x):
        assert x >= 0  # the engine's sigmoid takes another (overflow-free) route for x < 0
        return 1.0 / (1.0 + math.exp(-x))

    results = []
    for k in range(steps):
        s1 = sigmoid(w0 * s0)
        s2 = sigmoid(w1 * s1)
        out = w2 * s2
        error = out - target
        slope2, slope1 = s2 * (1.0 - s2), s1 * (1.0 - s1)
        new_w2 = w2 - alpha * (error * s2)
        w2_used = new_w2 if order == 'notebook' else w2
        at_x2 = (error * w2_used) * slope2
        new_w1 = w1 - alpha * (at_x2 * s1)
        w1_used = new_w1 if order == 'notebook' else w1
        new_w0 = w0 - alpha * (((at_x2 * w1_used) * slope1) * s0)
        w0, w1, w2 = new_w0, new_w1, new_w2
        results.append((k, w2, w1, w0, out))
    return results


def assert_rows_close(rows, reference, rel):
    assert len(rows) == len(reference)
    for row, expected in zip(rows, reference):
        assert row.iteration == expected[0]
        for name, value, want in zip(Row._fields[1:], row[1:], expected[1:]):
            assert math.isclose(value, want, rel_tol=rel, abs_tol=0.0), (row.iteration, name, value, want)


# -- the notebook's printed figures ---------------------------------------------------------

def test_sigmoid_of_one_half_is_the_notebooks():
    assert Value(0.5).sigmoid().data == 0.6224593312018546


def test_first_output_is_the_notebooks():
    net = build()
    assert net.out.data == 0.36375380675182073
    assert train(steps=1).rows[0].out == 0.36375380675182073
    assert notebook_loop(**{**NOTEBOOK, 'steps': 1})[0][4] == 0.36375380675182073


def test_every_node_carries_its_name():
    net = build()
    for name in ('s0', 'w0', 'w1', 'w2', 'x1', 's1', 'x2', 's2', 'out', 'target', 'loss'):
        assert getattr(net, name).label == name
    ops = (net.x1.op, net.s1.op, net.x2.op, net.s2.op, net.out.op)
    assert ops == ('mul', 'sigmoid', 'mul', 'sigmoid', 'mul')
    assert net.x1.parents == (net.w0, net.s0)
    assert net.x2.parents == (net.w1, net.s1)
    assert net.out.parents == (net.w2, net.s2)
    assert net.weights == (net.w0, net.w1, net.w2)


def test_loss_is_half_the_squared_error_so_its_gradient_is_the_error():
    net = build(w0=0.3, w1=-1.2, w2=2.5, target=-0.4, s0=1.5)
    net.loss.backward()
    assert net.loss.data == 0.5 * (net.out.data - net.target.data) ** 2
    assert net.out.grad == net.out.data - net.target.data


# -- the engine gets what the notebook derived by hand ---------------------------------------

def hand_gradients(net):
    """The notebook's expressions (before any update); w0's answers its question."""
    out, target = net.out.data, net.target.data
    s0, s1, s2, w1, w2 = net.s0.data, net.s1.data, net.s2.data, net.w1.data, net.w2.data
    return {
        'w2': (out - target) * s2,
        'w1': (out - target) * w2 * s2 * (1 - s2) * s1,
        'w0': (out - target) * w2 * s2 * (1 - s2) * w1 * s1 * (1 - s1) * s0,
    }


def test_engine_gradients_equal_the_notebooks_expressions_at_the_initial_weights():
    net = build()
    net.loss.backward()
    expected = hand_gradients(net)
    for name in ('w2', 'w1', 'w0'):
        assert math.isclose(getattr(net, name).grad, expected[name], rel_tol=1e-15, abs_tol=0), name
    assert net.w0.grad != 0 and net.w1.grad != 0 and net.w2.grad != 0


weights = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(w0=weights, w1=weights, w2=weights, s0=weights, target=weights)
def test_engine_gradients_equal_the_notebooks_expressions_anywhere(w0, w1, w2, s0, target):
    net = build(w0=w0, w1=w1, w2=w2, s0=s0, target=target)
    net.loss.backward()
    expected = hand_gradients(net)
    for name in ('w2', 'w1', 'w0'):
        assert math.isclose(getattr(net, name).grad, expected[name], rel_tol=1e-13, abs_tol=1e-300), name


# -- training: both orders against the transcribed loop -------------------------------------

@pytest.mark.parametrize('order', ORDERS)
def test_training_reproduces_the_notebook_loop_on_every_row(order):
    result = train(steps=NOTEBOOK['steps'], alpha=NOTEBOOK['alpha'], target=NOTEBOOK['target'],
                   s0=NOTEBOOK['s0'], weights=(NOTEBOOK['w0'], NOTEBOOK['w1'], NOTEBOOK['w2']), order=order)
    assert result.order == order and result.steps == 1000
    assert_rows_close(result.rows, notebook_loop(**NOTEBOOK, order=order), rel=1e-12)


@pytest.mark.parametrize('order', ORDERS)
def test_training_is_bit_for_bit_the_loop_when_the_arithmetic_is_grouped_the_same(order):
    result = train(order=order)
    reference = engine_grouped_loop(**NOTEBOOK, order=order)
    assert [tuple(row) for row in result.rows] == reference


@pytest.mark.parametrize('order', ORDERS)
def test_training_matches_the_loop_with_other_settings(order):
    # Negative activities, a negative weight and input: the sigmoid's other branch.
    setting = dict(s0=-1.5, target=0.2, w0=-1.0, w1=0.3, w2=2.0, alpha=0.5, steps=300)
    result = train(steps=300, alpha=0.5, target=0.2, s0=-1.5, weights=(-1.0, 0.3, 2.0), order=order)
    assert_rows_close(result.rows, notebook_loop(**setting, order=order), rel=1e-12)


def test_default_order_and_settings_are_the_notebooks():
    result = train()
    assert (result.order, result.steps, result.alpha, result.target, result.s0) == (
        'simultaneous', 1000, 0.1, 0.7, 2.0)
    assert result.initial_weights == (2.0, 1.0, 0.5)


def test_rows_hold_weights_after_the_update_and_output_before_it():
    result = train(steps=3)
    first, second = result.rows[0], result.rows[1]
    after_one = build(w0=first.w0, w1=first.w1, w2=first.w2)
    assert second.out == after_one.out.data  # each row's out uses the weights of the row before
    assert result.final_weights == (result.rows[-1].w0, result.rows[-1].w1, result.rows[-1].w2)
    last = result.rows[-1]
    assert result.final_out == build(w0=last.w0, w1=last.w1, w2=last.w2).out.data


def test_training_learns_the_target():
    result = train()
    assert abs(result.final_out - 0.7) < 1e-12
    assert result.final_loss < 1e-24
    assert result.rows[0].out < result.rows[10].out < result.rows[100].out


def test_the_two_orders_end_close_but_not_equal():
    notebook, simultaneous = train(order='notebook'), train(order='simultaneous')
    gap = order_gap(notebook, simultaneous)
    # Same fixed point family (the output reaches the target either way), different weights.
    assert 1e-4 < gap.largest_weight_gap < 1e-2
    assert gap.largest_weight_gap == max(abs(gap.w0), abs(gap.w1), abs(gap.w2))
    assert abs(gap.out) < 1e-12
    assert gap.w1 == notebook.final_weights[1] - simultaneous.final_weights[1]
    # The orders agree exactly on w2's first update (it comes first in both) and then part.
    assert notebook.rows[0].w2 == simultaneous.rows[0].w2
    assert notebook.rows[0].w1 != simultaneous.rows[0].w1


def test_zero_steps_leaves_the_initial_weights():
    result = train(steps=0, weights=(1, 2, 3))
    assert result.rows == ()
    assert result.final_weights == (1.0, 2.0, 3.0)
    assert result.final_out == build(w0=1, w1=2, w2=3).out.data


def test_progress_is_a_few_plain_lines_when_not_on_a_terminal(capsys):
    assert train(steps=400, progress=True).rows == train(steps=400).rows
    captured = capsys.readouterr()
    assert captured.out == '' and '\r' not in captured.err
    lines = captured.err.splitlines()
    assert [line.split(',')[0] for line in lines] == [
        'training (simultaneous): 100/400 steps (25%)', 'training (simultaneous): 200/400 steps (50%)',
        'training (simultaneous): 300/400 steps (75%)', 'training (simultaneous): 400/400 steps (100%)']


@pytest.mark.parametrize('kwargs, error, words', [
    (dict(steps=-1), ValueError, 'steps must be 0 or more'),
    (dict(steps=2.5), TypeError, 'steps must be an integer'),
    (dict(steps=True), TypeError, 'steps must be an integer'),
    (dict(alpha=math.nan), ValueError, 'alpha must be a finite number'),
    (dict(alpha=math.inf), ValueError, 'alpha must be a finite number'),
    (dict(alpha='0.1'), TypeError, 'alpha must be a real number'),
    (dict(target=math.inf), ValueError, 'target must be a finite number'),
    (dict(s0=None), TypeError, 's0 must be a real number'),
    (dict(weights=(1, 2)), ValueError, 'weights must be three numbers'),
    (dict(weights=(1, 2, math.nan)), ValueError, 'w2 must be a finite number'),
    (dict(order='backwards'), ValueError, 'order must be one of simultaneous, notebook'),
])
def test_bad_settings_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        train(**kwargs)


@pytest.mark.parametrize('order', ORDERS)
def test_divergence_says_where(order):
    with pytest.raises(OverflowError, match=r'training diverged at iteration \d+ \(w0=.*try a smaller alpha'):
        train(alpha=1e300, steps=10, order=order)


def test_build_rejects_non_numbers():
    with pytest.raises(ValueError, match='w1 must be a finite number'):
        build(w1=math.inf)
    with pytest.raises(TypeError, match='target must be a real number'):
        build(target='high')


# -- files -----------------------------------------------------------------------------------

def test_csv_reads_back_exactly(tmp_path):
    result = train(steps=50, order='notebook')
    path = write_csv(result, tmp_path / 'results.csv')
    lines = path.read_text().splitlines()
    assert lines[0] == 'iteration,w2,w1,w0,out'
    assert len(lines) == 51
    assert lines[1].split(',')[-1] == '0.36375380675182073'
    assert read_csv(path) == list(result.rows)


def test_read_csv_names_a_wrong_header(tmp_path):
    path = tmp_path / 'other.csv'
    path.write_text('a,b\n1,2\n')
    with pytest.raises(ValueError, match='expected the header iteration,w2,w1,w0,out'):
        read_csv(path)


def test_figure_png_has_the_notebooks_lines(tmp_path):
    image = require_module('matplotlib.image')
    result = train(steps=200)
    path = save_figure(result, tmp_path / 'training.png')
    pixels = image.imread(path)
    assert pixels.shape[:2] == (360, 1200)  # 12 x 3.6 inches at 100 dpi
    assert (pixels[..., :3] < 0.05).all(axis=-1).sum() > 500  # the black target line


def test_figure_svg_has_the_labels(tmp_path):
    svg = save_figure(train(steps=20), tmp_path / 'training.svg').read_text()
    assert svg.lstrip().startswith('<?xml') and '<svg' in svg
    # matplotlib writes text as paths by default; the labels survive as comments/ids.
    for label in ('Iteration number', 'w2', 'w1', 'w0', 'out', 'target'):
        assert label in svg, label


def test_figure_rejects_an_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="cannot tell the figure type from 'training.gif'"):
        save_figure(train(steps=1), tmp_path / 'training.gif')


def test_training_result_is_plain_data():
    result = train(steps=2)
    assert isinstance(result, TrainingResult)
    assert all(isinstance(row, Row) and type(row.w0) is float for row in result.rows)


# -- the chain rule, edge by edge ------------------------------------------------------------

@pytest.mark.parametrize('weight, formulas', [
    ('w2', ['s2']),
    ('w1', ['w2', 's2·(1 - s2)', 's1']),
    ('w0', ['w2', 's2·(1 - s2)', 'w1', 's1·(1 - s1)', 's0']),
])
def test_gradient_chain_multiplies_out_to_the_engines_gradient(weight, formulas):
    net = build(w0=0.7, w1=-1.3, w2=2.1, s0=1.7, target=0.1)
    net.loss.backward()
    links = gradient_chain(net, weight)
    assert [link.formula for link in links] == formulas
    assert links[0].child is net.out and links[-1].parent is getattr(net, weight)
    product = net.out.grad
    for link in links:
        product *= link.local
    assert product == getattr(net, weight).grad  # same products, same order: bit for bit


def test_gradient_chain_names_a_wrong_weight():
    with pytest.raises(ValueError, match="weight must be one of w0, w1, w2, not 's1'"):
        gradient_chain(build(), 's1')
