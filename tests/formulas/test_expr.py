"""parse_expression: the whitelist, the messages, and proof that nothing else runs."""

from __future__ import annotations

import ast
import builtins
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microgradnode import Value
from microgradnode.formulas.expression import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    UnknownNameError,
    parse_expression,
)


def test_builds_the_same_graph_as_writing_the_values_by_hand():
    y = parse_expression('0.5 * (w2 * sigmoid(w1 * sigmoid(w0 * s0)) - t) ** 2',
                         {'w0': 2.0, 's0': 2.0, 'w1': 1.0, 'w2': 0.5, 't': 0.7})
    y.backward()
    w0, s0, w1, w2, t = (Value(v) for v in (2.0, 2.0, 1.0, 0.5, 0.7))
    expected = 0.5 * (w2 * (w1 * (w0 * s0).sigmoid()).sigmoid() - t) ** 2
    expected.backward()
    assert y.data == expected.data
    leaves = {node.label: node for node in _leaves(y)}
    assert leaves['w0'].grad == w0.grad and leaves['w2'].grad == w2.grad
    assert y.parents[1].op == 'pow' and y.parents[1].constant == 2.0  # x ** 2 keeps its constant


def _leaves(root: Value) -> list[Value]:
    from microgradnode import topological_order
    return [node for node in topological_order(root) if node.is_leaf and node.label]


def test_a_name_used_twice_is_one_leaf():
    y = parse_expression('x * x + x', {'x': 3.0})
    y.backward()
    (x,) = _leaves(y)
    assert x.label == 'x' and x.grad == 7.0
    assert y.parents[0].parents[0] is y.parents[0].parents[1] is y.parents[1]


@pytest.mark.parametrize('text, expected', [
    ('-x', -2.0), ('+x', 2.0), ('x ** -1', 0.5), ('2 ** x', 4.0), ('abs(-x)', 2.0), ('relu(-x)', 0.0),
    ('exp(0)', 1.0), ('log(x)', math.log(2.0)), ('sqrt(x)', math.sqrt(2.0)), ('tanh(0)', 0.0),
    ('sin(0) + cos(0)', 1.0), ('(x)', 2.0), ('3', 3.0), ('1e3 / x', 500.0), ('x - -x', 4.0),
    ('  x  ', 2.0), ('sigmoid(0)', 0.5),
])
def test_allowed_forms(text, expected):
    assert parse_expression(text, {'x': 2.0}).data == pytest.approx(expected)


@pytest.mark.parametrize('text, message', [
    ('z + x', "column 1: 'z': unknown name 'z' (names given a value: x, y)"),
    ('x + foo(y)', "column 5: 'foo': unknown function 'foo' (allowed: exp, log, sqrt, sigmoid, tanh, "
                   'softplus, relu, abs, sin, cos, step, sign)'),
    ('x.real', "column 1: 'x.real': attribute access is not allowed"),
    ('x[0]', 'indexing is not allowed'),
    ('lambda: x', 'lambda is not allowed'),
    ('import os', "column 1: 'import os': an import is not an expression"),
    ('from os import system', 'an import is not an expression'),
    ('x = 3', 'an assignment is not an expression'),
    ('x; y', "column 4: 'y': only one expression is allowed"),
    ('*x', "column 1: '*x': unpacking is not allowed"),
    ('sigmoid(x=1)', "column 9: 'x=1': sigmoid() takes no keyword arguments"),
    ('sigmoid(x, y)', 'sigmoid() takes exactly one argument, got 2'),
    ('sigmoid()', 'takes exactly one argument, got 0'),
    ('x < y', 'comparison is not allowed'),
    ('x and y', '`and` / `or` is not allowed'),
    ('x if y else 1', 'a conditional expression is not allowed'),
    ('(x := 3)', 'assignment is not allowed'),
    ("'text'", 'only numbers are allowed as constants, not str'),
    ('True', 'only numbers are allowed as constants, not bool'),
    ('None', 'only numbers are allowed as constants, not NoneType'),
    ('1j', 'only numbers are allowed as constants, not complex'),
    ('1e999', "'1e999': the number is too large"),
    ('9' * 400, 'the number is too large'),
    ('x // 2', 'the operator // is not supported (use + - * / **)'),
    ('x % 2', 'the operator % is not supported'),
    ('~x', 'the operator ~ is not supported'),
    ('not x', 'the operator not is not supported'),
    ('x +', 'invalid syntax'),
    ('sigmoid(x', "'(' was never closed"),
    ('x $ y', "column 3: '$ y': invalid syntax"),
    ('', 'the expression is empty'),
    ('[x for x in y]', 'a comprehension is not allowed'),
    ("f'{x}'", 'a string is not allowed'),
    ('(x).__class__.__bases__', 'attribute access is not allowed'),
    ('exp(1000)', "column 1: 'exp(1000)': the result is too large for a float"),
    ('  x + z', "column 7: 'z': unknown name 'z'"),
    ('  x +', "column 3: 'x +': invalid syntax"),
    ('9 ** 9 ** 9', 'the result is too large for a float'),
    ('log(-x)', 'log needs a positive input'),
    ('x / 0', "'x / 0': div(x=2.0, 0.0): division by zero"),
    ('x(y)', 'unknown function'),
    ('(lambda: 1)()', "column 2: 'lambda: 1': lambda is not allowed; only calls of the functions exp, log"),
    ("os.system('ls')", "column 1: 'os.system': attribute access is not allowed; only calls of"),
    ('x ^ 2', 'the operator ^ is not supported (use + - * / **); for a power write **'),
])
def test_refused_with_a_message_pointing_at_the_problem(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, {'x': 2.0, 'y': 3.0})
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_unknown_name_error_says_which_names_were_set():
    with pytest.raises(UnknownNameError) as caught:
        parse_expression('w * q', {'w': 1.0, 'b': 2.0})
    assert (caught.value.name, caught.value.known, caught.value.column) == ('q', ['b', 'w'], 5)


def test_columns_count_characters_not_bytes():
    with pytest.raises(UnknownNameError) as caught:
        parse_expression('θ + φ', {'θ': 1.0})
    assert caught.value.column == 5


def test_size_is_bounded():
    with pytest.raises(ExpressionError, match=f'too long .* the limit is {MAX_LENGTH}'):
        parse_expression('x+' * MAX_LENGTH + 'x', {'x': 1.0})
    with pytest.raises(ExpressionError, match='nested too deeply'):
        parse_expression('-' * (MAX_DEPTH + 5) + 'x', {'x': 1.0})
    with pytest.raises(ExpressionError, match='nested too deeply|never closed|too many nested'):
        parse_expression('(' * 500 + 'x' + ')' * 500, {'x': 1.0})
    with pytest.raises(ExpressionError, match='nested too deeply'):
        parse_expression('sigmoid(' * (MAX_DEPTH + 1) + 'x' + ')' * (MAX_DEPTH + 1), {'x': 1.0})
    long_sum = ' + '.join(['x'] * 300)  # a flat chain is one level, however long
    assert parse_expression(long_sum, {'x': 1.0}).data == 300.0


def test_bad_values_mapping_is_named():
    with pytest.raises(ValueError, match="'2x' cannot be a name"):
        parse_expression('x', {'2x': 1.0})
    with pytest.raises(TypeError, match="the value of 'x' must be a number, not 'a'"):
        parse_expression('x', {'x': 'a'})
    with pytest.raises(TypeError, match='the expression must be a str'):
        parse_expression(3, {})


# -- proof that nothing outside the whitelist runs -------------------------------------------

TRIPPED: list[str] = []


def _sentinel(*args, **kwargs):
    TRIPPED.append('ran')
    return 1.0


DANGEROUS = [
    "__import__('os').system('echo pwned')", 'sentinel()', 'sentinel', 'exp(sentinel())',
    '(lambda: sentinel())()', '[sentinel() for _ in (1,)]', 'x.__class__.__init__.__globals__',
    "getattr(x, '__class__')", 'eval("sentinel()")', 'exec("sentinel()")', 'sigmoid(x, sentinel())',
    'sigmoid(*[sentinel()])', 'sigmoid(x=sentinel())', '(sentinel := 1)', 'x if sentinel() else x',
    'sentinel() and x', '{sentinel(): 1}', 'sentinel.__call__()', 'breakpoint()', 'exp.__call__(1)',
    "open('/etc/passwd')", 'x; sentinel()', 'import os; sentinel()', 'f"{sentinel()}"',
    'exp(1)(sentinel())', 'sentinel() if 1 else 2', 'sentinel()[0]', 'await sentinel()',
    '(yield sentinel())', 'sigmoid(x)(sentinel())',
]

TOKENS = ['x', 'y', '1', '2.5', '-', '+', '*', '/', '**', '(', ')', ',', '.', '[', ']', ':', '=', '"',
          "'", 'lambda', 'sentinel', '__import__', 'os', 'system', 'exp', 'sigmoid', 'abs', 'for', 'in',
          'if', 'else', 'not', '__class__', '__globals__', ';', 'import', '{', '}', ' ', '@', '%', 'eval']


@pytest.fixture
def guarded(monkeypatch):
    """A `sentinel` reachable from anywhere, and eval/exec/compile-to-code that fail loudly."""
    TRIPPED.clear()
    monkeypatch.setattr(builtins, 'sentinel', _sentinel, raising=False)
    real_compile = builtins.compile

    def only_ast(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, 'compile() to code object called while parsing'
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, 'compile', only_ast)
    monkeypatch.setattr(builtins, 'eval', lambda *a, **k: _sentinel())
    monkeypatch.setattr(builtins, 'exec', lambda *a, **k: _sentinel())
    yield
    assert not TRIPPED, 'something outside the whitelist ran'


def _outcome(text: str) -> Value | None:
    try:
        result = parse_expression(text, {'x': 2.0, 'y': 3.0})
    except ExpressionError:
        return None
    assert isinstance(result, Value)
    return result


@pytest.mark.parametrize('text', DANGEROUS)
def test_known_dangerous_snippets_are_refused_and_never_run(guarded, text):
    assert _outcome(text) is None
    assert not TRIPPED


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map(''.join))
def test_random_token_soup_never_runs_anything(text):
    # The guard is applied per example: hypothesis does not reuse function-scoped fixtures.
    with pytest.MonkeyPatch.context() as patch:
        TRIPPED.clear()
        patch.setattr(builtins, 'sentinel', _sentinel, raising=False)
        patch.setattr(builtins, 'eval', lambda *a, **k: _sentinel())
        patch.setattr(builtins, 'exec', lambda *a, **k: _sentinel())
        outcome = _outcome(text)
        assert not TRIPPED, text
    if outcome is not None:  # accepted: then only whitelisted syntax was in it
        allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load,
                   ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
        for node in ast.walk(ast.parse(text.strip(), mode='eval')):
            assert isinstance(node, allowed), (text, node)
            if isinstance(node, ast.Call):
                assert node.func.id in FUNCTIONS
            if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
                assert node.id in ('x', 'y')


def _expressions():
    """Random whitelisted expressions, each with the Value built directly through the engine."""
    leaves = st.sampled_from([('x', lambda v: v['x']), ('y', lambda v: v['y']),
                              ('1.5', lambda v: 1.5), ('2', lambda v: 2.0)])

    def extend(children):
        binary = st.tuples(children, st.sampled_from(['+', '-', '*', '/']), children).map(
            lambda t: (f'({t[0][0]} {t[1]} {t[2][0]})',
                       lambda v, t=t: _apply(t[1], t[0][1](v), t[2][1](v))))
        unary = st.tuples(st.sampled_from(['sigmoid', 'tanh', 'sin', 'cos', 'abs', 'relu', '-']),
                          children).map(
            lambda t: (f'{t[0]}({t[1][0]})', lambda v, t=t: _call(t[0], t[1][1](v))))
        square = children.map(lambda c: (f'({c[0]}) ** 2', lambda v, c=c: _as_value(c[1](v)) ** 2))
        return st.one_of(binary, unary, square)

    return st.recursive(leaves, extend, max_leaves=12)


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


def _apply(symbol, a, b):
    a = _as_value(a)
    return {'+': a.__add__, '-': a.__sub__, '*': a.__mul__, '/': a.__truediv__}[symbol](b)


def _call(name, a):
    a = _as_value(a)
    return -a if name == '-' else abs(a) if name == 'abs' else getattr(a, name)()


@settings(max_examples=150, deadline=None)
@given(_expressions())
def test_whitelisted_expressions_compute_what_the_engine_computes(case):
    text, build = case
    x, y = Value(0.7, 'x'), Value(-1.3, 'y')
    try:
        expected = _as_value(build({'x': x, 'y': y}))
    except (ArithmeticError, ValueError):
        with pytest.raises(ExpressionError):
            parse_expression(text, {'x': 0.7, 'y': -1.3})
        return
    result = parse_expression(text, {'x': 0.7, 'y': -1.3})
    assert result.data == expected.data or (math.isnan(result.data) and math.isnan(expected.data))
