"""explain hides no factor and tells apart the paths through the two slots of x·x (issue 22.25),
and its LaTeX/MathML define every name, group every factor and repeat no line (issue 23)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from microgradnode import Value, explain
from microgradnode.twonode import build

MATHML = '{http://www.w3.org/1998/Math/MathML}'


def neuron():
    w, x, b = Value(0.5, 'w'), Value(2.0, 'x'), Value(-1.0, 'b')
    f = (w * x + b).sigmoid()
    f.label = 'f'
    return f, w, x, b


def test_one_factor_per_arrow_the_sum_s_one_included():
    f, w, _, b = neuron()
    path = explain(f, w).paths[0]
    arrows = len(path.nodes) - 1
    assert arrows == 3
    assert path.symbolic() == 'f·(1 - f) · 1 · x'
    assert path.numeric() == '0.25 · 1 · 2'
    assert len(path.symbolic().split(' · ')) == len(path.numeric().split(' · ')) == arrows
    assert explain(f, b).paths[0].symbolic() == 'f·(1 - f) · 1'
    text = str(explain(f, w))
    assert '  = f·(1 - f) · 1 · x\n  = 0.25 · 1 · 2 = 0.5\n' in text


def test_every_factor_on_the_notebooks_network_and_the_simplified_form_beside_it():
    net = build()
    for weight in (net.w0, net.w1, net.w2):
        path = explain(net.loss, weight).paths[0]
        assert len(path.numeric().split(' · ')) == len(path.nodes) - 1
        assert path.symbolic().startswith('0.5 · 2·(out - target) · 1 · ')
    assert explain(net.loss, net.w2).paths[0].simplified() == '(out - target) · s2'


def test_the_paths_through_the_two_factors_of_x_times_x_read_differently():
    x = Value(3.0, 'x')
    y = x * x + x
    y.label = 'y'
    text = str(explain(y, x))
    routes = re.findall(r'^path \d+: (.*)$', text, flags=re.MULTILINE)
    assert routes == ['x (as first factor) → (x·x) → y', 'x (as second factor) → (x·x) → y', 'x → y']
    z = x + x
    assert re.findall(r'^path \d+: (.*)$', str(explain(z, x)), flags=re.MULTILINE) == [
        'x (as first term) → (x + x)', 'x (as second term) → (x + x)']
    q = x / x
    assert 'x (as denominator) → ' in str(explain(q, x))


def test_latex_defines_the_output_and_groups_each_factor():
    f, w, _, b = neuron()
    text = explain(f, w).latex()
    lines = text.splitlines()
    assert lines[1] == (r'\frac{\partial f}{\partial w} &= '
                        r'\left[f \cdot \left(1 - f\right)\right] \cdot 1 \cdot x \\')
    assert r'\text{where } f = \sigma\left(w \cdot x + b\right)' in text


def test_latex_defines_every_named_value_it_uses():
    net = build()
    text = explain(net.loss, net.w0).latex()
    defined = re.findall(r'\\text\{(?:where|and) \} (\S+) =', text)
    assert defined == [r'\mathrm{loss}', r'\mathrm{out}', 's_{2}', 'x_{2}', 's_{1}', 'x_{1}']


def test_no_line_repeats_the_one_before():
    f, _, x, b = neuron()
    for explanation in (explain(f, b), explain(x * 3, x), explain(x * 3 + x * x, x)):
        for form in (explanation.latex().splitlines(), explanation.mathml().split('<mtr>')):
            values = [re.sub(r'^.*?=', '', line).strip(' \\') for line in form]
            assert all(a != b for a, b in zip(values, values[1:])), form


def test_the_derivative_of_an_unnamed_sum_has_its_parentheses():
    x = Value(3.0, 'x')
    explanation = explain(x * x + x, x)
    assert explanation.latex().splitlines()[1].startswith(
        r'\frac{\partial \left(x \cdot x + x\right)}{\partial x} &= ')
    tree = ET.fromstring(explanation.mathml())
    numerator = tree.find(f'.//{MATHML}mfrac/{MATHML}mrow')
    assert numerator is not None
    operators = [e.text for e in numerator.iter(f'{MATHML}mo')]
    assert operators == ['∂', '(', '·', '+', ')']
