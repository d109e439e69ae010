"""Chain-rule explanations: the paths, their formulas, their sum, and graphs with too many paths."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings

from microgradnode import Value
from microgradnode.engine import topological_order
from microgradnode.formulas import NodeNames, local_formula
from microgradnode.formulas.explain import count_paths, explain
from microgradnode.ops import OPS

from ..engine.test_engine_random_graphs import programs, run


def notebook_network():
    """The seed notebook's network, built with its own numbers and names."""
    from microgradnode.twonode import build
    return build()


# -- the two-node network against the notebook ---------------------------------------------

def test_w2_path_is_the_notebooks_update_for_w2():
    net = notebook_network()
    explanation = explain(net.loss, net.w2)
    assert explanation.path_count == 1
    assert explanation.paths[0].simplified() == '(out - target) · s2'
    # Every arrow's factor, the loss's 0.5 and the subtraction's 1 included.
    assert explanation.paths[0].symbolic() == '0.5 · 2·(out - target) · 1 · s2'
    # The notebook: w2 = w2 - alpha*(out-target)*s2
    by_hand = (net.out.data - net.target.data) * net.s2.data
    assert math.isclose(explanation.gradient, by_hand, rel_tol=1e-15)
    assert math.isclose(explanation.path_sum, by_hand, rel_tol=1e-15)


def test_w1_path_is_the_notebooks_update_for_w1():
    net = notebook_network()
    explanation = explain(net.loss, net.w1)
    assert explanation.paths[0].simplified() == '(out - target) · w2 · s2·(1 - s2) · s1'
    out, target, w2, s2, s1 = (v.data for v in (net.out, net.target, net.w2, net.s2, net.s1))
    by_hand = (out - target) * (w2 * s2 * (1 - s2) * s1)  # the notebook's expression
    assert math.isclose(explanation.gradient, by_hand, rel_tol=1e-14)


def test_w0_path_answers_the_notebooks_question():
    net = notebook_network()
    explanation = explain(net.loss, net.w0)
    assert explanation.paths[0].simplified() == (
        '(out - target) · w2 · s2·(1 - s2) · w1 · s1·(1 - s1) · s0')
    values = {v.label: v.data for v in topological_order(net.loss) if v.label}
    out, target, w2, s2, w1, s1, s0 = (values[k] for k in ('out', 'target', 'w2', 's2', 'w1', 's1', 's0'))
    # The notebook's answer in its training loop: (out-target)*(w2*s2*(1-s2)*w1)*(s1*(1-s1)*s0)
    by_hand = (out - target) * (w2 * s2 * (1 - s2) * w1) * (s1 * (1 - s1) * s0)
    assert math.isclose(explanation.gradient, by_hand, rel_tol=1e-14)
    route = [node.label for node in explanation.paths[0].nodes]
    assert route[:6] == ['w0', 'x1', 's1', 'x2', 's2', 'out'] and route[-1] == 'loss'


def test_text_shows_symbols_numbers_and_the_agreement_with_backward():
    net = notebook_network()
    text = str(explain(net.loss, net.w0))
    assert 'd loss / d w0' in text
    assert '= 0.5 · 2·(out - target) · 1 · w2 · s2·(1 - s2) · w1 · s1·(1 - s1) · s0\n' in text
    assert '= 0.5 · (-0.6725) · 1 · 0.5 · 0.1982 · 1 · 0.01766 · 2 = -0.001177\n' in text
    assert ('= (out - target) · w2 · s2·(1 - s2) · w1 · s1·(1 - s1) · s0   '
            '(multiplying the plain numbers: 0.5 · 2 = 1)\n') in text
    assert f'backward() gives d loss / d w0 = {explain(net.loss, net.w0).gradient:.6g}' in text


def test_explain_leaves_stored_grads_alone():
    net = notebook_network()
    net.loss.backward()
    before = [node.grad for node in topological_order(net.loss)]
    explain(net.loss, net.w1)
    assert [node.grad for node in topological_order(net.loss)] == before


# -- small graphs whose answers are known ------------------------------------------------------

def test_reused_value_gives_one_path_per_edge():
    x = Value(3.0, 'x')
    y = x * x
    explanation = explain(y, x)
    assert explanation.path_count == 2
    assert [path.symbolic() for path in explanation.paths] == ['x', 'x']
    assert explanation.gradient == 6.0 == explanation.path_sum


def test_simplified_merges_plain_numbers_and_drops_ones():
    x = Value(1.5, 'x')
    half_square = 0.5 * x ** 2  # 0.5 · 2·x: the numbers cancel
    assert explain(half_square, x).paths[0].simplified() == 'x'
    assert explain(half_square, x).paths[0].symbolic() == '0.5 · 2·x'
    tripled = 3 * (x - 1)
    assert explain(tripled, x).paths[0].simplified() == '3'
    assert explain(tripled, x).paths[0].symbolic() == '3 · 1'
    assert explain(-x, x).paths[0].simplified() == '-1'


def test_conditionals_show_the_branch_taken():
    for data, relu_slope, abs_slope in ((2.0, '1', '1'), (-2.0, '0', '-1')):
        x = Value(data, 'x')
        assert explain(x.relu(), x).paths[0].symbolic() == relu_slope
        assert explain(abs(x), x).paths[0].symbolic() == abs_slope


def test_output_is_input_and_unrelated_input():
    x, z = Value(2.0, 'x'), Value(5.0, 'z')
    same = explain(x, x)
    assert same.path_count == 1 and same.gradient == 1.0 and same.paths[0].value == 1.0
    y = x * 3
    unrelated = explain(y, z)
    assert unrelated.path_count == 0 and unrelated.paths == () and unrelated.gradient == 0.0
    assert 'does not depend on z' in str(unrelated)


def test_unlabelled_input_is_called_input_not_its_value():
    x = Value(0.3)
    text = str(explain(x * x + x, x))
    assert 'd ((input·input) + input) / d input' in text
    assert '0.09' not in text  # never folded into a number as if it were a constant


def test_every_local_formula_evaluates_to_the_recorded_derivative():
    """The symbolic text and the engine's numbers come from the same table rows."""
    rng = random.Random(7)
    for name, op in OPS.items():
        for _ in range(20):
            a = Value(rng.uniform(0.2, 3.0) * rng.choice((-1, 1)), 'a')
            b = Value(rng.uniform(0.2, 3.0), 'b')
            if name in ('log', 'sqrt') or name == 'powv':
                a = Value(abs(a.data), 'a')
            if op.constant:
                node = getattr(a, name)(rng.choice((2, 3, -1, 0.5)) if a.data > 0 else 2)
            elif op.arity == 2:
                node = getattr(a, name)(b)
            else:
                node = getattr(a, name)()
            names = NodeNames(node)
            for index, recorded in enumerate(node.local_grads):
                formula = local_formula(node, index, names)
                assert math.isclose(formula.coefficient * formula.rest_value, recorded,
                                    rel_tol=1e-12, abs_tol=1e-15), (name, formula.text)


# -- random graphs: the paths add up to the gradient ----------------------------------------

@settings(max_examples=60, deadline=None)
@given(programs())
def test_paths_sum_to_the_gradient_on_random_graphs(program):
    inputs, instructions = program
    leaves = [Value(x, f'x{i}') for i, x in enumerate(inputs)]
    out = run(instructions, leaves)
    for leaf in leaves:
        explanation = explain(out, leaf, max_paths=500)
        assert explanation.path_count == count_paths(out, leaf)
        if not explanation.complete:
            assert len(explanation.paths) == 500
            continue
        for path in explanation.paths:
            assert path.value == math.prod(path.local_grads)
            assert path.nodes[0] is leaf and path.nodes[-1] is out
        assert math.isclose(explanation.path_sum, explanation.gradient, rel_tol=1e-9, abs_tol=1e-12)


# -- many paths: summarised, never enumerated ------------------------------------------------

def test_sixty_reuses_are_counted_not_listed():
    x = Value(0.001, 'x')
    y = x
    for _ in range(60):
        y = y * y + y
    explanation = explain(y, x, max_paths=3)
    assert explanation.path_count == 3 ** 60  # x·x has two edges to x, + one more: ×3 per level
    assert len(explanation.paths) == 3 and not explanation.complete
    y.backward()
    assert explanation.gradient == x.grad
    text = str(explanation)
    assert 'Too many paths to list them all' in text
    assert f'sum of all {3 ** 60} paths = backward() gives' in text


# -- bad input ---------------------------------------------------------------------------------

def test_bad_arguments_are_named():
    x = Value(1.0, 'x')
    with pytest.raises(TypeError, match='output must be a Value'):
        explain(2.0, x)
    with pytest.raises(TypeError, match='input must be a Value'):
        explain(x * 2, 'x')
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match='max_paths must be a positive integer'):
            explain(x * 2, x, max_paths=bad)


def test_signs_powers_and_long_names():
    x = Value(2.0, 'x')
    inverse = explain(x ** -1, x).paths[0]
    assert inverse.symbolic() == '-x^(-2)' and inverse.value == -0.25
    assert explain(2 ** x, x).paths[0].symbolic() == '2^x·log(2)'
    y = x
    for _ in range(4):
        y = y * y + y
    text = str(explain(y, x, max_paths=2))
    # Names that would double at every level are given short ones, defined at the end.
    assert 'd f / d x' in text and '\nwhere\n  t1 = ' in text and '  f = ' in text
    assert max(len(line) for line in text.splitlines()) < 400


def test_local_formula_of_a_leaf_is_an_error():
    x = Value(1.0, 'x')
    with pytest.raises(ValueError, match='a leaf has no local derivatives'):
        local_formula(x, 0, NodeNames(x))
