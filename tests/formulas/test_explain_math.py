"""explain's LaTeX and MathML, and the formula printers they use (formulas.latex / mathml)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from microgradnode import Value, explain
from microgradnode.formulas import NodeNames, latex, local_formula, mathml
from microgradnode.twonode import build

MATHML = '{http://www.w3.org/1998/Math/MathML}'


def balanced(text: str) -> bool:
    depth = 0
    for char in re.sub(r'\\[{}]', '', text):
        depth += {'{': 1, '}': -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and text.count(r'\left') == text.count(r'\right')


def test_two_node_latex_has_the_chain_and_the_gradient():
    net = build()
    text = explain(net.loss, net.w0).latex()
    assert text.startswith(r'\begin{aligned}') and text.endswith(r'\end{aligned}') and balanced(text)
    assert r'\frac{\partial \mathrm{loss}}{\partial w_{0}} &=' in text
    assert r's_{2} \cdot \left(1 - s_{2}\right)' in text  # sigmoid's row, with the node's name
    answer = next(line for line in text.splitlines() if line.startswith('  &= ') and '\\cdot' not in line)
    assert answer == '  &= -0.00117735 \\\\'
    net.loss.backward()
    assert math.isclose(float(answer.split('=')[1].strip(' \\')), net.w0.grad, rel_tol=1e-5)


def test_latex_escapes_odd_names_and_writes_infinity():
    x = Value(2.0, 'a_b#%')
    y = (x * x).log() / x
    text = explain(y, x).latex()
    assert balanced(text) and r'\mathrm{a\_b\#\%}' in text and r'\log' in text
    z = Value(0.0, 'z')
    assert r'\infty' in explain(z.sqrt(), z).latex()


@pytest.mark.parametrize('make', [
    lambda x, w: (w * x + x).tanh() * x,
    lambda x, w: abs(x - w) ** 0.5 + (x / w).exp() - x.relu() + x.sigmoid().log(),
    lambda x, w: -x ** w + 3 / x,
])
def test_mathml_is_well_formed_and_names_the_nodes(make):
    x, w = Value(0.7, 'x'), Value(-1.5, 'w')
    tree = ET.fromstring(explain(make(x, w), x).mathml())
    assert tree.tag == f'{MATHML}math'
    identifiers = {element.text for element in tree.iter(f'{MATHML}mi')}
    assert 'x' in identifiers
    assert tree.find(f'.//{MATHML}mfrac') is not None


def test_local_formula_as_mathematics():
    out, target = Value(0.4, 'out'), Value(0.7, 'target')
    loss = 0.5 * (out - target) ** 2
    names = NodeNames(loss)
    square = loss.parents[1]
    expected = r'2 \cdot \left(\mathrm{out} - \mathrm{target}\right)'
    assert latex(local_formula(square, 0, names), names) == expected
    element = ET.fromstring(f'<math>{mathml(local_formula(square, 0, names), names)}</math>')
    assert [e.text for e in element.iter('mi')] == ['out', 'target']


def test_cli_latex(tmp_path):
    result = subprocess.run([sys.executable, '-m', 'microgradnode', 'explain', '--latex'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(r'\begin{aligned}') and balanced(result.stdout)
    assert 'w_{0}' in result.stdout
