"""The one formula printer (words, LaTeX, MathML): precedence alike in all three, and no recursion."""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET

import pytest

from microgradnode import Value, explain
from microgradnode.formulas.printing import (
    Factors,
    NodeNames,
    latex,
    local_formula,
    mathml,
    times_words,
    words,
)

MATHML = '{http://www.w3.org/1998/Math/MathML}'


def tanh_formula():
    x = Value(0.5, 'x')
    f = x.tanh()
    f.label = 'f'
    return local_formula(f, 0, NodeNames(f))


def test_a_sum_times_a_number_is_parenthesised_in_all_three_forms():
    formula = tanh_formula()  # 1 - f·f
    product = Factors([ast.Constant(3.0), formula.whole])
    assert words(product, times=' × ') == '3 × (1 - f·f)'
    assert times_words(3.0, formula) == '3 × (1 - f·f)'
    assert latex(product) == r'3 \cdot \left(1 - f \cdot f\right)'
    element = ET.fromstring(f'<math>{mathml(product)}</math>')
    operators = [e.text for e in element.iter('mo')]
    assert operators == ['·', '(', '−', '·', ')']


@pytest.mark.parametrize('upstream, expected', [(1.0, '1 × (1 - f·f)'), (-2.0, '-2 × (1 - f·f)'),
                                                (0.5, '0.5 × (1 - f·f)')])
def test_times_words(upstream, expected):
    assert times_words(upstream, tanh_formula()) == expected


def test_a_negative_factor_after_the_first_is_parenthesised():
    assert words(Factors([ast.Constant(2.0), ast.Constant(-3.0)])) == '2 · (-3)'
    assert words(Factors([ast.Constant(-2.0), ast.Constant(3.0)])) == '-2 · 3'
    assert latex(Factors([ast.Constant(2.0), ast.Constant(-3.0)])) == r'2 \cdot \left(-3\right)'


def long_chain(operations: int) -> tuple[Value, Value]:
    x = Value(0.5, 'x')
    y = x
    for _ in range(operations // 2):
        y = (y * 0.9).tanh()
    return y, x


def test_latex_and_mathml_of_a_path_of_two_thousand_operations():
    """Issue 22.16: the text worked at 2,000 operations, LaTeX and MathML failed at about 970."""
    y, x = long_chain(2000)
    explanation = explain(y, x)
    factors = len(explanation.paths[0].formulas)
    assert factors == 2000
    text = explanation.latex()
    assert text.startswith(r'\begin{aligned}') and text.endswith(r'\end{aligned}')
    first = text.splitlines()[1]
    assert first.count(r' \cdot 0.9') >= 1000  # every tanh·0.9 step's 0.9 factor is there
    tree = ET.fromstring(explanation.mathml())
    numbers = [e.text for e in tree.iter(f'{MATHML}mn')]
    assert numbers.count('0.9') >= 1000


def test_a_deep_formula_tree_prints_without_recursion():
    """Any tree this module prints, however deep (not only a path's product)."""
    tree: ast.expr = ast.Name('x')
    for _ in range(5000):
        tree = ast.BinOp(left=tree, op=ast.Add(), right=ast.Constant(1.0))
    assert words(tree).count(' + 1') == 5000
    assert latex(tree).count(' + 1') == 5000
    tree = ast.Name('x')
    for _ in range(5000):  # nested the other way: each needs its parentheses
        tree = ast.BinOp(left=ast.Constant(2.0), op=ast.Mult(), right=ast.BinOp(
            left=tree, op=ast.Add(), right=ast.Constant(1.0)))
    printed = words(tree)
    assert printed.count('(') == printed.count(')') == 5000
    ET.fromstring(f'<math>{mathml(tree)}</math>')


def test_an_absolute_value_of_one_is_not_a_norm():
    x = Value(-2.0, 'x')
    y = abs(abs(x))
    assert NodeNames(y).expression(y) == 'abs(|x|)'
