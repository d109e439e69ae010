"""A long flat sum or product is one level of nesting, not one per term (issue 22.8)."""

from __future__ import annotations

import math

import pytest

from microgradnode import explain
from microgradnode.formulas.expression import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse_expression


def test_a_sum_of_a_few_hundred_terms_is_read():
    names = {f'x{i}': float(i) for i in range(300)}
    y = parse_expression('+'.join(names), names)
    assert y.data == sum(range(300))
    y.backward()
    assert y.data == 44850.0


def test_the_longest_flat_chains_the_length_limit_allows():
    terms = (MAX_LENGTH + 1) // 2  # x+x+...+x
    assert parse_expression('+'.join(['x'] * terms), {'x': 1.0}).data == terms
    product = parse_expression('*'.join(['x'] * terms), {'x': 1.001})
    assert math.isclose(product.data, 1.001 ** terms, rel_tol=1e-12)


def test_mixed_chains_keep_left_to_right_order_and_precedence():
    values = {'a': 7.0, 'b': 2.0, 'c': 3.0, 'd': 5.0}
    for text in ('a - b - c', 'a / b / c', 'a - b * c + d', 'a * b - c / d * a', 'a - (b - c) - d',
                 'a ** b - c', '-a - b', 'a + b ** c * d - a', 'sigmoid(a - b - c) * d / b'):
        expected = eval(text, {'sigmoid': lambda v: 1 / (1 + math.exp(-v))}, dict(values))  # noqa: S307
        assert parse_expression(text, values).data == pytest.approx(expected, rel=1e-15), text


def test_explain_a_sum_of_62_terms():
    y = parse_expression('+'.join(['x'] * 62), {'x': 1.0})
    explanation = explain(y, y.parents[1])
    assert explanation.path_count == 62 and explanation.gradient == 62.0


def test_deep_nesting_is_still_refused_with_its_reason():
    for text in ('-' * (MAX_DEPTH + 5) + 'x', 'sigmoid(' * (MAX_DEPTH + 1) + 'x' + ')' * (MAX_DEPTH + 1),
                 '(x + ' * (MAX_DEPTH + 1) + 'x' + ')' * (MAX_DEPTH + 1)):
        reason = r'nested too deeply: more than 60 operations inside one another \(a flat chain such as'
        with pytest.raises(ExpressionError, match=reason):
            parse_expression(text, {'x': 1.0})


def test_an_unsupported_operator_inside_a_chain_is_named():
    with pytest.raises(ExpressionError, match=r"column 3: 'y % 2': the operator % is not supported"):
        parse_expression('x+y % 2+x', {'x': 1.0, 'y': 2.0})


def test_the_commands_from_the_issue(capsys, tmp_path):
    """`explain 'x+x+...'` with 62 terms and `draw 'x0+...+x69'` (issue 22.8)."""
    from microgradnode.cli import main

    assert main(['explain', '+'.join(['x'] * 62), '--set', 'x=1']) == 0
    assert 'd f / d x, where f = ' in capsys.readouterr().out
    names = [f'x{i}' for i in range(70)]
    settings = [argument for name in names for argument in ('--set', f'{name}=1')]
    target = tmp_path / 'sum.svg'
    assert main(['draw', '+'.join(names), *settings, '-o', str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f'wrote {target}') and '= 70 (139 values, 69 operations)' in out
    assert target.read_text().count('<g id="node') == 139 + 69  # values and operation circles
