"""What explain prints means what it says: its words, LaTeX and MathML, read back as
arithmetic, give the recorded numbers. A missing pair of parentheses anywhere (issue 22.13,
issue 23's ``x·x + x``) changes the value and fails here.

The readers below are for the test only: they turn the three notations back into Python
arithmetic (``·`` is ``*``, ``^`` is ``**``, a fraction bar is a division...) and add no
parentheses of their own except around what a notation groups by itself (a fraction's
numerator, an exponent, a square root).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings

from microgradnode import Value
from microgradnode.formulas.explain import explain
from microgradnode.ops import FUNCTIONS

from ..engine.test_engine_random_graphs import KINKED, UNARY, programs, run

MATHML = '{http://www.w3.org/1998/Math/MathML}'
ENVIRONMENT = {**FUNCTIONS, 'abs': abs, 'relu': lambda v: v if v > 0.0 else 0.0,
               'inf': math.inf, 'nan': math.nan}


def evaluate(python: str, values: dict[str, float]) -> float:
    return float(eval(python, {'__builtins__': {}}, {**ENVIRONMENT, **values}))  # noqa: S307


# -- words ------------------------------------------------------------------------------------

def words_to_python(text: str) -> str:
    text = text.replace('·', '*').replace('^', '**')
    while '|' in text:  # |a| (innermost first)
        text, count = re.subn(r'\|([^|]*)\|', r'abs(\1)', text)
        assert count, text
    return text


# -- LaTeX ------------------------------------------------------------------------------------

def latex_to_python(text: str) -> str:
    text = re.sub(r'\\operatorname\{(\w+)\}', r'\1', text)
    text = re.sub(r'\\mathrm\{(\w+)\}', r'\1', text)
    text = re.sub(r'([A-Za-z])_\{(\d+)\}', r'\1\2', text)
    for latex, python in ((r'\left(', '('), (r'\right)', ')'), (r'\left[', '('), (r'\right]', ')'),
                          (r'\left|', 'abs('), (r'\right|', ')'), (r'\cdot', '*'), (r'\times', '*'),
                          (r'\sigma', 'sigmoid'), (r'\infty', 'inf'), (r'\frac', '_frac'),
                          (r'\sqrt', 'sqrt'), ('}^{', ')**('), ('{', '('), ('}', ')')):
        text = text.replace(latex, python)
    text = re.sub(r'\\(exp|log|tanh|sin|cos)\b', r'\1', text)
    assert '\\' not in text, text
    return text


def latex_lines(block: str) -> tuple[str, list[tuple[str, str]]]:
    """The symbolic line (the sum over paths) and the definitions, from an aligned block."""
    lines = block.splitlines()[1:-1]
    symbolic = lines[0].split('&= ', 1)[1].removesuffix(r' \\')
    definitions = []
    for line in lines:
        match = re.match(r'\s*& \\text\{(?:where|and) \} (.*?) = (.*?)( \\\\)?$', line)
        if match:
            definitions.append((match.group(1), match.group(2)))
    return symbolic, definitions


# -- MathML -----------------------------------------------------------------------------------

_OPERATORS = {'·': '*', '−': '-', '+': '+', '(': '(', ')': ')', '[': '(', ']': ')', ',': ',',
              '\u2061': '', '=': '='}


def mathml_to_python(element: ET.Element) -> str:
    tag = element.tag.removeprefix(MATHML)
    children = list(element)
    if tag in ('mi', 'mn'):
        text = (element.text or '').replace('−', '-')
        return {'σ': 'sigmoid', '∞': 'inf', 'NaN': 'nan'}.get(text, text)
    if tag == 'mo':
        return _OPERATORS[element.text or '']
    if tag == 'msub':
        return ''.join(mathml_to_python(child) for child in children)  # x, 0: x0
    if tag == 'mfrac':
        top, bottom = (mathml_to_python(child) for child in children)
        return f'_frac({top})({bottom})'
    if tag == 'msup':
        base, exponent = (mathml_to_python(child) for child in children)
        return f'({base})**({exponent})'
    if tag == 'msqrt':
        return f'sqrt({"".join(mathml_to_python(child) for child in children)})'
    if tag == 'mrow' and len(children) > 2 and all(
            child.tag == f'{MATHML}mo' and child.text == '|' for child in (children[0], children[-1])):
        return f'abs({"".join(mathml_to_python(child) for child in children[1:-1])})'
    assert tag in ('mrow', 'mtd', 'mtext'), tag
    return ''.join(mathml_to_python(child) for child in children)


def mathml_lines(markup: str) -> tuple[str, list[tuple[str, str]]]:
    rows = ET.fromstring(markup).iter(f'{MATHML}mtr')
    symbolic, definitions = '', []
    for number, row in enumerate(rows):
        first, second = row.findall(f'{MATHML}mtd')
        if number == 0:
            symbolic = mathml_to_python(second).removeprefix('=')
        elif first.find(f'{MATHML}mtext') is not None:
            name, definition = mathml_to_python(second).split('=', 1)
            definitions.append((name, definition))
    return symbolic, definitions


def defined(definitions: list[tuple[str, str]], values: dict[str, float], reader) -> dict[str, float]:
    """The named values, each definition evaluated (they come output first: read them backwards)."""
    known = dict(values)
    for name, definition in reversed(definitions):
        known[reader(name)] = evaluate(reader(definition), known)
    return known


def close(printed: float, recorded: float) -> bool:
    return math.isclose(printed, recorded, rel_tol=1e-9, abs_tol=1e-9) or (
        math.isnan(printed) and math.isnan(recorded))


ENVIRONMENT['_frac'] = lambda top: lambda bottom: top / bottom


@settings(max_examples=80, deadline=None)
@given(programs(unary={**UNARY, **KINKED}))
def test_words_latex_and_mathml_evaluate_to_the_recorded_products(program):
    inputs, instructions = program
    leaves = [Value(x, f'x{i}') for i, x in enumerate(inputs)]
    out = run(instructions, leaves, unary={**UNARY, **KINKED})
    values = {leaf.label: leaf.data for leaf in leaves}
    for leaf in leaves:
        explanation = explain(out, leaf, max_paths=40)
        if not explanation.complete or not explanation.paths:
            continue
        if not all(math.isfinite(path.value) for path in explanation.paths):
            continue
        names = explanation.names
        known = dict(values)
        for name, text in names.definitions():  # temporaries t1, t2..., each using earlier ones
            known[name] = evaluate(words_to_python(text), known)
        for path in explanation.paths:
            assert close(evaluate(words_to_python(path.symbolic()), known), path.value), path.symbolic()
            assert close(evaluate(words_to_python(path.simplified()), known), path.value), path.simplified()
        total = explanation.path_sum
        symbolic, definitions = latex_lines(explanation.latex())
        known = defined(definitions, values, latex_to_python)
        assert close(evaluate(latex_to_python(symbolic), known), total), symbolic
        symbolic, definitions = mathml_lines(explanation.mathml())
        known = defined(definitions, values, lambda text: text)
        assert close(evaluate(symbolic, known), total), symbolic


def test_the_readers_see_a_missing_parenthesis():
    """The check itself: the old walkthrough words give another number than the right ones."""
    f = 0.5
    assert evaluate(words_to_python('1 × 1 - f·f'.replace(' × ', '·')), {'f': f}) == 0.75
    assert evaluate(words_to_python('1 × (1 - f·f)'.replace(' × ', '·')), {'f': f}) == 0.75
    wrong, right = (evaluate(words_to_python(text), {'f': f}) for text in ('3·1 - f·f', '3·(1 - f·f)'))
    assert wrong != right
    x = 3.0
    assert evaluate(latex_to_python(r'\left(x \cdot x + x\right) \cdot 2'), {'x': x}) == 24.0
    assert evaluate(latex_to_python(r'x \cdot x + x \cdot 2'), {'x': x}) == 15.0
