"""The engine: values, every operation's derivative, backward semantics, errors."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import pytest

from microgradnode import GradcheckError, Value, backward_steps, gradcheck, no_grad, topological_order
from microgradnode.engine import is_grad_enabled
from microgradnode.ops import OPS

from ..conftest import require_module

# -- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize('data, expected', [
    (3, 3.0), (2.5, 2.5), (True, 1.0), (False, 0.0), (Fraction(1, 4), 0.25), (-0.0, -0.0),
])
def test_value_converts_real_numbers_to_float(data, expected):
    v = Value(data)
    assert type(v.data) is float and v.data == expected
    assert v.grad == 0.0 and type(v.grad) is float
    assert v.label == '' and v.op == '' and v.parents == () and v.local_grads == ()
    assert v.is_leaf


def test_value_converts_numpy_scalars():
    np = require_module('numpy')
    assert Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(7)).data == 7.0
    assert type(Value(np.float64(1.5)).data) is float


@pytest.mark.parametrize('bad', ['1.0', None, [1.0], (1.0,), 1 + 2j, {'x': 1}])
def test_value_rejects_non_real_data_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match='label must be a str, not int'):
        Value(1.0, 3)
    with pytest.raises(TypeError, match=r"^Value\(\) missing 1 required positional argument: 'data'$"):
        Value()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"^Value\(\) got an unexpected keyword argument 'lable'$"):
        Value(1.0, lable='x')  # type: ignore[call-arg]


def test_repr_and_conversions():
    v = Value(0.25, label='w')
    assert repr(v) == "Value(data=0.25, grad=0.0, label='w')"
    assert float(v) == 0.25 and v.item() == 0.25
    assert f'{v:.3f}' == '0.250'
    assert Value(1) < Value(2) and Value(2) >= 2 and Value(3) > 1.5 and Value(1) <= 1
    assert max([Value(1), Value(5), Value(3)]).data == 5.0


# -- each operation: value and gradient against closed forms ------------------------------

def sig(x):
    return 1 / (1 + math.exp(-x))


# (description, function of one Value, x, expected value, expected d/dx)
UNARY_CASES = [
    ('x + 3', lambda x: x + 3, 1.5, 4.5, 1.0),
    ('3 + x', lambda x: 3 + x, 1.5, 4.5, 1.0),
    ('x - 3', lambda x: x - 3, 1.5, -1.5, 1.0),
    ('3 - x', lambda x: 3 - x, 1.5, 1.5, -1.0),
    ('x * 3', lambda x: x * 3, 1.5, 4.5, 3.0),
    ('3 * x', lambda x: 3 * x, 1.5, 4.5, 3.0),
    ('x / 4', lambda x: x / 4, 1.5, 0.375, 0.25),
    ('3 / x', lambda x: 3 / x, 1.5, 2.0, -3 / 1.5 ** 2),
    ('-x', lambda x: -x, 1.5, -1.5, -1.0),
    ('x ** 3', lambda x: x ** 3, 1.5, 3.375, 3 * 1.5 ** 2),
    ('x ** -2', lambda x: x ** -2, 1.5, 1.5 ** -2, -2 * 1.5 ** -3),
    ('x ** 0.5', lambda x: x ** 0.5, 2.25, 1.5, 0.5 / 1.5),
    ('2 ** x', lambda x: 2 ** x, 1.5, 2 ** 1.5, 2 ** 1.5 * math.log(2)),
    ('x ** x', lambda x: x ** x, 1.5, 1.5 ** 1.5, 1.5 ** 1.5 * (math.log(1.5) + 1)),
    ('exp', lambda x: x.exp(), 0.7, math.exp(0.7), math.exp(0.7)),
    ('log', lambda x: x.log(), 0.7, math.log(0.7), 1 / 0.7),
    ('sqrt', lambda x: x.sqrt(), 0.7, math.sqrt(0.7), 0.5 / math.sqrt(0.7)),
    ('sigmoid', lambda x: x.sigmoid(), 0.7, sig(0.7), sig(0.7) * (1 - sig(0.7))),
    ('tanh', lambda x: x.tanh(), 0.7, math.tanh(0.7), 1 - math.tanh(0.7) ** 2),
    ('relu+', lambda x: x.relu(), 0.7, 0.7, 1.0),
    ('relu-', lambda x: x.relu(), -0.7, 0.0, 0.0),
    ('relu0', lambda x: x.relu(), 0.0, 0.0, 0.0),
    ('abs+', lambda x: abs(x), 0.7, 0.7, 1.0),
    ('abs-', lambda x: abs(x), -0.7, 0.7, -1.0),
    ('abs0', lambda x: abs(x), 0.0, 0.0, 0.0),
    ('softplus', lambda x: x.softplus(), 0.7, math.log1p(math.exp(0.7)), sig(0.7)),
    ('softplus-', lambda x: x.softplus(), -40.0, math.exp(-40.0), sig(-40.0)),
    ('sin', lambda x: x.sin(), 0.7, math.sin(0.7), math.cos(0.7)),
    ('cos', lambda x: x.cos(), 0.7, math.cos(0.7), -math.sin(0.7)),
    ('x * x', lambda x: x * x, -1.5, 2.25, -3.0),
    ('x / x', lambda x: x / x, 1.5, 1.0, 0.0),
]


@pytest.mark.parametrize('name, f, x, value, grad', UNARY_CASES, ids=[c[0] for c in UNARY_CASES])
def test_operation_value_and_gradient(name, f, x, value, grad):
    xv = Value(x)
    y = f(xv)
    y.backward()
    assert y.data == pytest.approx(value, rel=1e-14, abs=1e-15)
    assert xv.grad == pytest.approx(grad, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize('name, f, x, value, grad',
                         [c for c in UNARY_CASES if c[2] != 0.0],
                         ids=[c[0] for c in UNARY_CASES if c[2] != 0.0])
def test_operation_gradient_matches_finite_differences(name, f, x, value, grad):
    report = gradcheck(f, [x], rtol=1e-6, atol=1e-8)
    assert report.ok and len(report.rows) == 1


def test_binary_operations_give_both_gradients():
    a, b = Value(1.5, 'a'), Value(-0.5, 'b')
    for expr, da, db in [
        (lambda: a + b, 1.0, 1.0), (lambda: a - b, 1.0, -1.0), (lambda: a * b, -0.5, 1.5),
        (lambda: a / b, 1 / -0.5, -1.5 / 0.25),
    ]:
        a.grad = b.grad = 0.0
        expr().backward()
        assert (a.grad, b.grad) == (da, db)


def test_zero_base_and_zero_exponent_follow_pytorch():
    # PyTorch: d(x**2)/dx = 0 and d(x**0)/dx = 0 at 0, d(sqrt x)/dx = inf at 0,
    # d(0**y)/dy = 0, and d(x**y)/dy = nan for a negative base.
    cases = [(lambda x: x ** 2, 0.0, 0.0), (lambda x: x ** 0, 0.0, 0.0),
             (lambda x: x.sqrt(), 0.0, math.inf), (lambda x: x ** 0.5, 0.0, math.inf)]
    for f, x, expected in cases:
        xv = Value(x)
        f(xv).backward()
        assert xv.grad == expected
    base, exponent = Value(0.0), Value(2.0)
    (base ** exponent).backward()
    assert (base.grad, exponent.grad) == (0.0, 0.0)
    base, exponent = Value(-2.0), Value(3.0)
    y = base ** exponent
    y.backward()
    assert y.data == -8.0 and base.grad == 12.0 and math.isnan(exponent.grad)


def test_sigmoid_and_tanh_are_numerically_stable():
    assert Value(1000).softplus().data == 1000.0 and Value(-1000).softplus().data == 0.0
    assert Value(-1000).sigmoid().data == 0.0
    assert Value(1000).sigmoid().data == 1.0
    assert Value(-1000).tanh().data == -1.0 and Value(1000).tanh().data == 1.0
    for x in (-1000.0, 1000.0):
        v = Value(x)
        v.sigmoid().backward()
        assert v.grad == 0.0
    assert Value(0.5).sigmoid().data == 1 / (1 + math.exp(-0.5))


def test_operations_record_parents_in_order_and_local_grads():
    x, y = Value(2.0, 'x'), Value(5.0, 'y')
    p = x * y
    assert p.op == 'mul' and p.parents == (x, y) and p.local_grads == (5.0, 2.0)
    q = 3 - x
    assert q.op == 'sub' and q.parents[1] is x and q.parents[0].data == 3.0
    assert q.local_grads == (1.0, -1.0)
    sq = x * x
    assert sq.parents == (x, x) and sq.local_grads == (2.0, 2.0)
    cube = x ** 3
    assert cube.op == 'pow' and cube.constant == 3.0 and cube.parents == (x,)
    assert cube.local_grads == (12.0,)
    s = x.sigmoid()
    assert s.local_grads == (s.data * (1 - s.data),)


def test_every_table_row_is_a_method_with_one_rule_per_parent():
    for name, op in OPS.items():
        assert callable(getattr(Value, name))
        assert op.arity in (1, 2)
        assert op.forward in getattr(Value, name).__doc__


def test_unsupported_operands_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) * 'a'
    with pytest.raises(TypeError):
        Value(1.0) + None
    with pytest.raises(TypeError):
        [1.0] - Value(2.0)
    with pytest.raises(TypeError):
        Value(2.0) ** 'x'


# -- domain errors -----------------------------------------------------------------------------

@pytest.mark.parametrize('f, error, words', [
    (lambda: Value(-1.0, 'w0').log(), ValueError, ['log', '-1.0', 'w0', 'positive']),
    (lambda: Value(0.0, 'z').log(), ValueError, ['log', '0.0', 'z']),
    (lambda: Value(-4.0, 'v').sqrt(), ValueError, ['sqrt', '-4.0', 'v']),
    (lambda: Value(-8.0, 'b') ** (1 / 3), ValueError, ['pow', '-8.0', 'b', 'negative base']),
    (lambda: Value(-8.0, 'b') ** Value(0.5, 'e'), ValueError, ['powv', '-8.0', 'b', 'e', '0.5']),
    (lambda: Value(1.0, 'n') / Value(0.0, 'd'), ZeroDivisionError, ['div', 'd', '0.0']),
    (lambda: 1 / Value(0.0, 'd'), ZeroDivisionError, ['div', 'd']),
    (lambda: Value(0.0, 'z') ** -1, ZeroDivisionError, ['pow', 'z']),
    (lambda: Value(1000.0, 'x').exp(), OverflowError, ['exp', '1000.0', 'x']),
    (lambda: Value(1e200, 'big') ** 2, OverflowError, ['pow', 'big', 'too large']),
])
def test_domain_errors_name_the_operation_value_and_label(f, error, words):
    with pytest.raises(error) as info:
        f()
    message = str(info.value)
    for word in words:
        assert word in message
    assert 'math domain error' not in message and 'math range error' not in message


def test_domain_errors_are_raised_under_no_grad_too():
    with no_grad(), pytest.raises(ValueError, match='log'):
        Value(-1.0).log()


# -- backward semantics ------------------------------------------------------------------------

def test_backward_accumulates_into_leaves_but_not_intermediates():
    x = Value(2.0, 'x')
    y = x * 3
    z = y * 2
    z.backward()
    z.backward()
    assert x.grad == 12.0       # leaves accumulate, as in PyTorch
    assert y.grad == 2.0        # intermediates show this pass only
    assert z.grad == 1.0


def test_backward_on_a_leaf_and_with_a_seed_gradient():
    x = Value(3.0)
    x.backward()
    x.backward(2.5)
    assert x.grad == 3.5
    y = Value(2.0)
    (y * y).backward(gradient=0.5)
    assert y.grad == 2.0
    with pytest.raises(TypeError, match='gradient must be a number'):
        (y * y).backward('1')


def test_zero_grad_resets_the_whole_graph():
    x, w = Value(2.0), Value(3.0)
    y = (x * w).tanh()
    y.backward()
    assert x.grad != 0.0
    y.zero_grad()
    assert all(v.grad == 0.0 for v in topological_order(y))


def test_reused_nodes_sum_their_paths():
    x = Value(1.5, 'x')
    a = x * x            # dx: 2x
    b = a + x            # + 1
    c = b * a            # c = (x^2 + x) x^2 = x^4 + x^3
    c.backward()
    assert c.data == 1.5 ** 4 + 1.5 ** 3
    assert x.grad == pytest.approx(4 * 1.5 ** 3 + 3 * 1.5 ** 2, rel=1e-15)


def test_diamond_with_many_reuses():
    x = Value(0.3)
    y = x
    for _ in range(40):
        y = y * y * 0.0 + y + y * 0.5    # y -> 1.5 y, 2^40 paths through reused nodes
    y.backward()
    assert x.grad == pytest.approx(1.5 ** 40, rel=1e-12)


def test_million_node_chain_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0, 'x')
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert y.data == 1_000_001.0 and x.grad == 1.0


def test_topological_order_lists_each_node_once_parents_first():
    x, w = Value(1.0, 'x'), Value(2.0, 'w')
    h = x * w
    out = h * h + x
    order = topological_order(out)
    assert order[-1] is out and len(order) == len(set(map(id, order))) == 5
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for p in v.parents:
            assert position[id(p)] < position[id(v)]


def test_backward_steps_record_what_backward_did():
    x, w = Value(1.5, 'x'), Value(-2.0, 'w')
    h = x * w
    out = h * h + x
    steps = backward_steps(out)
    assert steps[0].node is out and steps[0].grad == 1.0
    done = set()
    for step in steps:          # every consumer is processed before its parents
        for p in step.node.parents:
            assert id(p) not in done
        done.add(id(step.node))
    # summing each step's contributions gives the final gradients
    totals = {}
    for step in steps:
        for parent, local, contribution, _ in step.contributions:
            assert contribution == step.grad * local
            totals[id(parent)] = totals.get(id(parent), 0.0) + contribution
    assert totals[id(x)] == x.grad == 2 * h.data * w.data + 1
    assert totals[id(w)] == w.grad == 2 * h.data * x.data
    hh = steps[1]               # h * h passes to h twice, one record per edge
    assert [c[0] for c in hh.contributions] == [h, h]
    assert hh.contributions[0][3] == hh.grad * h.data and hh.contributions[1][3] == 2 * hh.grad * h.data


# -- no_grad -----------------------------------------------------------------------------------

def test_no_grad_records_no_graph_and_restores_the_mode():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y.data == 5.0 and y.is_leaf and y.op == ''
    z = x * x
    assert z.parents == (x, x)


def test_no_grad_restores_after_an_exception_and_works_as_decorator():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError('boom')
    assert is_grad_enabled()

    @no_grad()
    def double(v):
        return v * 2

    assert double(Value(3.0)).is_leaf and is_grad_enabled()


# -- gradcheck --------------------------------------------------------------------------------

def test_gradcheck_reports_each_input():
    report = gradcheck(lambda x, w: (x * w).tanh(), {'x': 0.5, 'w': -1.5})
    assert report.ok and [row.name for row in report.rows] == ['x', 'w']
    t = math.tanh(-0.75)
    assert report.rows[0].analytic == pytest.approx(-1.5 * (1 - t * t), rel=1e-14)
    assert report.rows[0].abs_error < 1e-8
    text = str(report)
    assert 'backward()' in text and 'finite diff.' in text and 'all gradients agree' in text


def test_gradcheck_catches_a_wrong_gradient():
    # Treating one factor as a constant hides half of d(x*x)/dx from the engine.
    def wrong(x):
        return x * Value(x.data)

    report = gradcheck(wrong, [3.0], raise_on_failure=False)
    assert not report.ok
    assert report.rows[0].analytic == 3.0 and report.rows[0].numeric == pytest.approx(6.0)
    with pytest.raises(GradcheckError, match='FAIL'):
        gradcheck(wrong, [3.0])


def test_gradcheck_rejects_bad_arguments():
    with pytest.raises(ValueError, match='at least one input'):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match='must return a Value'):
        gradcheck(lambda x: 1.0, [1.0])
    with pytest.raises(TypeError, match='str'):
        gradcheck(lambda x: x, ['a'])
    with pytest.raises(ValueError, match='eps'):
        gradcheck(lambda x: x, [1.0], eps=0)


# -- micrograd compatibility and import weight -------------------------------------------------

def test_micrograd_style_code_runs_unchanged():
    # The shape of micrograd's own examples: a neuron with a Value(0) bias, relu, sum().
    w = [Value(0.5), Value(-1.0)]
    b = Value(0)
    x = [2.0, 3.0]
    act = sum((wi * xi for wi, xi in zip(w, x)), b)
    out = act.relu() + (act * 2) ** 2 / 4 - act
    out.backward()
    assert out.data == 0.0 + 4.0 - (-2.0)
    assert w[0].grad == 2.0 * (2 * act.data) * 2 / 4 * 2 - 2.0
    b.grad = 0
    assert b.grad == 0


def test_import_is_light():
    code = ('import sys, microgradnode; '
            'heavy = [m for m in ("numpy", "graphviz", "matplotlib", "pygraphviz", "torch", "tqdm") '
            'if m in sys.modules]; print(heavy)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'


# -- how Values are made --------------------------------------------------------------------

def test_nodes_are_made_without_running_python_code():
    # The generated methods call the class bound to type.__call__; that runs in C only
    # while Value defines neither __init__ nor __new__ (see _ValueType in engine.py).
    from microgradnode.engine import _blank_value
    assert Value.__init__ is object.__init__ and Value.__new__ is object.__new__
    blank = _blank_value()
    assert type(blank) is Value and not hasattr(blank, 'data')
    node = Value(2.0) * 3
    assert (node.data, node.grad, node.label, node.op, node.local_grads) == (6.0, 0.0, '', 'mul', (3.0, 2.0))


def test_the_constructor_checks_and_fills_a_leaf():
    import inspect
    leaf = Value(True, 'flag')
    assert (leaf.data, leaf.grad, leaf.label, leaf.is_leaf, leaf.parents) == (1.0, 0.0, 'flag', True, ())
    assert str(inspect.signature(Value)) == "(data: 'Number', label: 'str' = '') -> 'Value'"
    with pytest.raises(TypeError, match='label must be a str, not int'):
        Value(1.0, 3)
    with pytest.raises(TypeError, match='real number'):
        Value('1.0')


def test_a_subclass_may_add_methods_but_not_a_constructor():
    class Scaled(Value):
        def doubled(self) -> Value:
            return self * 2

    x = Scaled(1.5, 'x')
    y = x.doubled()
    y.backward()
    assert type(x) is Scaled and (y.data, x.grad, x.label) == (3.0, 2.0, 'x')
    with pytest.raises(TypeError, match='Broken defines __init__, which Value subclasses cannot'):
        class Broken(Value):
            def __init__(self, data: float, extra: int) -> None:
                pass
