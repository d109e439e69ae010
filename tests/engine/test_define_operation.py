"""define_operation: a new row of the operation table works everywhere a built-in one does.

The examples of docs/operations.md (leaky_relu with a constant k, gelu in its tanh form,
atan, softsign) are defined here and run through every view: backward against PyTorch,
grad with create_graph (second derivatives against PyTorch), forward mode, gradcheck,
diagrams (the symbol in the circle, the local derivative on the edge), explain, compile
and the walkthrough. Wrong definitions are refused with a message that says why.
tests/conftest.py removes every defined operation after each test.
"""

from __future__ import annotations

import math

import pytest

import microgradnode
from microgradnode import Value, define_operation, explain, grad, gradcheck, jvp, remove_operation
from microgradnode.engine import method_source
from microgradnode.ops.table import FUNCTIONS, OPS

from ..conftest import require_module

GELU_C = math.sqrt(2.0 / math.pi)
EXAMPLES = {
    'leaky_relu': dict(forward='a if a > 0.0 else k * a', local='1.0 if a > 0.0 else k', constant=True),
    'gelu': dict(forward='0.5 * a * (1.0 + tanh(c * (a + 0.044715 * a * a * a)))',
                 local='0.5 * (1.0 + tanh(c * (a + 0.044715 * a * a * a))) + 0.5 * a * '
                       '(1.0 - tanh(c * (a + 0.044715 * a * a * a)) * tanh(c * (a + 0.044715 * a * a * a))) '
                       '* c * (1.0 + 3.0 * 0.044715 * a * a)',
                 functions={'c': GELU_C}),
    'atan': dict(forward='atan(a)', local='1.0 / (1.0 + a * a)', functions={'atan': math.atan}),
    'softsign': dict(forward='a / (1.0 + fabs(a))', local='1.0 / ((1.0 + fabs(a)) * (1.0 + fabs(a)))'),
}


def define(name: str):
    return define_operation(name, **EXAMPLES[name])  # type: ignore[arg-type]


def torch_twin(torch, name: str, x):
    functional = torch.nn.functional
    return {'leaky_relu': lambda: functional.leaky_relu(x, 0.1),
            'gelu': lambda: functional.gelu(x, approximate='tanh'),
            'atan': lambda: torch.atan(x), 'softsign': lambda: functional.softsign(x)}[name]()


def apply(name: str, x: Value) -> Value:
    method = getattr(x, name)
    return method(0.1) if EXAMPLES[name].get('constant') else method()


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_the_new_method_computes_and_backpropagates(name):
    op = define(name)
    assert OPS[name] is op and op.symbol == name
    for point in (-1.3, -0.2, 0.4, 2.1):
        x = Value(point, 'x')
        y = apply(name, x * 1.5) * x   # the new node inside a graph, its input used twice
        y.backward()
        report = gradcheck(lambda v: apply(name, v * 1.5) * v, [point], raise_on_failure=False)
        assert report.ok, str(report)
        assert y.op == 'mul' and y.parents[0].op == name


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_first_and_second_derivatives_match_pytorch(name):
    torch = require_module('torch')
    define(name)
    for point in (-1.3, -0.2, 0.4, 2.1):
        x = Value(point, 'x')
        y = apply(name, x) * x
        (dy,) = grad(y, [x], create_graph=True)
        (d2y,) = grad(dy, [x])
        t = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        ty = torch_twin(torch, name, t) * t
        (tdy,) = torch.autograd.grad(ty, t, create_graph=True)
        (td2y,) = torch.autograd.grad(tdy, t)
        assert math.isclose(y.data, ty.item(), rel_tol=1e-13, abs_tol=1e-15)
        assert math.isclose(dy.data, tdy.item(), rel_tol=1e-12, abs_tol=1e-14)
        assert math.isclose(d2y.data, td2y.item(), rel_tol=1e-10, abs_tol=1e-12), (d2y.data, td2y.item())


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_forward_mode_gives_the_gradient(name):
    define(name)
    value, slope = jvp(lambda v: apply(name, v) * v, [0.7], [1.0])
    x = Value(0.7)
    y = apply(name, x) * x
    y.backward()
    assert (value, slope) == (y.data, x.grad)


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_compiled_code_gives_the_eager_numbers(name):
    define(name)
    x = Value(0.7, 'x')
    y = apply(name, x) * x + apply(name, x * -2.0)
    step = microgradnode.compile(y)
    assert name in step.source
    y.backward()
    eager = (y.data, x.grad)
    x.grad = 0.0
    assert (step(), x.grad) == eager


def test_the_diagram_shows_the_symbol_and_the_local_derivative():
    require_module('graphviz')
    define_operation('atan', 'atan(a)', '1.0 / (1.0 + a * a)', symbol='arctan', functions={'atan': math.atan})
    define('leaky_relu')
    x = Value(2.0, 'x')
    y = x.atan() + (x * -1.0).leaky_relu(0.1)
    y.backward()
    source = microgradnode.draw(y).source
    assert '<B>arctan</B>' in source and '<B>leaky_relu(0.1)</B>' in source
    edges = [line for line in source.splitlines() if '->' in line and 'label=' in line]
    assert any('>0.2<' in line for line in edges)   # d atan(x) / dx = 1 / (1 + x²) at 2
    assert any('>0.1<' in line for line in edges)   # leaky_relu's slope k below 0


def test_explain_writes_the_rule_of_the_new_operation():
    define('softsign')
    x = Value(3.0, 'x')
    y = x.softsign() * 2.0
    explanation = explain(y, x)
    assert '= 2 · (1 / ((1 + |x|)·(1 + |x|)))' in explanation.text()  # the row's derivative, x put in
    assert explanation.gradient == 0.125
    define('atan')
    assert r'\operatorname{atan}\left(x\right)' in explain(x.atan(), x).latex()


def test_the_walkthrough_steps_through_the_new_operation():
    define('softsign')
    x = Value(3.0, 'x')
    text = microgradnode.walkthrough(x.softsign() * 2.0).text()
    assert 'd (x / (1 + |x|)) / d x = 1 / ((1 + |x|)·(1 + |x|)) = 0.0625' in text  # recorded, forward
    assert 'x receives 2 × (1 / ((1 + |x|)·(1 + |x|))) = 2 × 0.0625 = 0.125' in text  # passed, backward


def test_method_source_shows_the_generated_method():
    define('softsign')
    source = method_source('softsign')
    assert source.startswith('def softsign(self):')
    assert 'out = a / (1.0 + fabs(a))' in source


def test_a_helper_without_a_derivative_of_its_own_is_named_where_it_is_needed():
    define_operation('gelu_erf', '0.5 * a * (1.0 + erf(a / sqrt(2.0)))',
                     '0.5 * (1.0 + erf(a / sqrt(2.0))) + a * exp(-0.5 * a * a) / sqrt(2.0 * pi)',
                     functions={'erf': math.erf, 'pi': math.pi})
    x = Value(0.3, 'x')
    y = x.gelu_erf()
    y.backward()
    expected = (0.5 * (1.0 + math.erf(0.3 / math.sqrt(2.0)))
                + 0.3 * math.exp(-0.045) / math.sqrt(2.0 * math.pi))
    assert math.isclose(x.grad, expected, rel_tol=1e-15)
    # As a graph, the local derivative would need erf applied to a Value: erf has no row.
    with pytest.raises(NotImplementedError, match="helper 'erf'.*define_operation"):
        grad(y, [x], create_graph=True)


def test_the_helper_becomes_differentiable_when_it_is_an_operation_too():
    define_operation('erf', 'erf(a)', '2.0 / sqrt(pi) * exp(-a * a)',
                     functions={'erf': math.erf, 'pi': math.pi})
    define_operation('gelu_erf', '0.5 * a * (1.0 + erf(a / sqrt(2.0)))',
                     '0.5 * (1.0 + erf(a / sqrt(2.0))) + a * exp(-0.5 * a * a) / sqrt(2.0 * pi)')
    x = Value(0.3, 'x')
    (dy,) = grad(x.gelu_erf(), [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    h = 1e-5
    x1, x2 = Value(0.3 + h), Value(0.3 - h)
    (g1,) = grad(x1.gelu_erf(), [x1])
    (g2,) = grad(x2.gelu_erf(), [x2])
    assert math.isclose(d2y.data, (g1.data - g2.data) / (2 * h), rel_tol=1e-6)


# -- refusals -----------------------------------------------------------------------------------

@pytest.mark.parametrize('name, forward, local, message', [
    ('tanh', 'tanh(a)', '1.0 - out * out', "has an operation 'tanh' already"),
    ('backward', 'a', '1.0', "Value has an attribute 'backward'"),
    ('grad', 'a', '1.0', "Value has an attribute 'grad'"),
    ('double', 'a *', '2.0', 'does not parse'),
    ('double', '2.0 * a', '2.0 +', 'does not parse'),
    ('swish', 'a * logistic(a)', '1.0', "logistic"),
    ('double', '2.0 * a', '2.0 * x', "unknown name 'x'"),
    ('double', '2.0 * a + b', '2.0', 'uses b, which this operation does not have'),
    ('double', '2.0 * a', '2.0 + k', 'uses k'),
    ('Double', '2.0 * a', '2.0', 'not a lowercase'),
    ('_double', '2.0 * a', '2.0', 'not a lowercase'),
    ('double', 'a if a > 0.0 else 0', '1.0 if a > 0.0 else 0.0', 'must give a float'),
    ('double', '__import__("os")', '2.0', 'may only call'),
])
def test_bad_definitions_are_refused_and_nothing_is_added(name, forward, local, message):
    ops_before, functions_before = dict(OPS), dict(FUNCTIONS)
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        define_operation(name, forward, local)
    assert OPS == ops_before and FUNCTIONS == functions_before
    assert name == 'tanh' or name == 'backward' or name == 'grad' or not hasattr(Value, name)


def test_a_wrong_derivative_is_refused_with_the_numbers_that_show_it():
    with pytest.raises(ValueError) as refused:
        define_operation('atan', 'atan(a)', '1.0 / (1.0 - a * a)', functions={'atan': math.atan})
    message = str(refused.value)
    assert "d out / d a = '1.0 / (1.0 - a * a)'" in message
    assert 'at a = -1.7 it gives' in message and 'finite differences' in message
    expected_slope = 1.0 / (1.0 + 1.7 ** 2)
    assert f'{expected_slope:.6g}' in message
    assert 'atan' not in OPS and 'atan' not in FUNCTIONS and not hasattr(Value, 'atan')


def test_a_helper_may_not_replace_one_of_the_tables():
    with pytest.raises(ValueError, match="helper 'exp' already"):
        define_operation('twice', '2.0 * exp(a)', '2.0 * exp(a)', functions={'exp': lambda x: 2.0})


def test_remove_operation_takes_only_defined_ones():
    define('softsign')
    remove_operation('softsign')
    assert 'softsign' not in OPS and not hasattr(Value, 'softsign')
    with pytest.raises(ValueError, match='built in'):
        remove_operation('tanh')
    define('softsign')  # the name is free again
    assert Value(1.0).softsign().data == 0.5


def test_a_helper_stays_while_another_defined_operation_calls_it():
    define_operation('erf', 'erf(a)', '2.0 / sqrt(pi) * exp(-a * a)',
                     functions={'erf': math.erf, 'pi': math.pi})
    define_operation('gelu_erf', '0.5 * a * (1.0 + erf(a / sqrt(2.0)))',
                     '0.5 * (1.0 + erf(a / sqrt(2.0))) + a * exp(-0.5 * a * a) / sqrt(2.0 * pi)')
    remove_operation('erf')
    assert FUNCTIONS['erf'] is math.erf and 'erf' not in OPS
    x = Value(0.3, 'x')
    y = x.gelu_erf()
    step = microgradnode.compile(y)
    assert step() == y.data
    with pytest.raises(NotImplementedError, match="helper 'erf'"):  # erf has no row any more
        grad(y, [x], create_graph=True)
    remove_operation('gelu_erf')
    assert 'erf' not in FUNCTIONS and 'pi' not in FUNCTIONS


def test_a_typed_expression_may_call_a_defined_function():
    from microgradnode.formulas.expression import parse_expression

    define('softsign')
    y = parse_expression('softsign(x) * 2', {'x': 3.0})
    assert (y.data, y.parents[0].op) == (1.5, 'softsign')


def test_an_operation_of_two_values():
    torch = require_module('torch')
    define_operation('hypot', 'sqrt(a * a + b * b)', ['a / out', 'b / out'], symbol='hypot')
    x, y = Value(3.0, 'x'), Value(4.0, 'y')
    z = x.hypot(y) * x.hypot(2.0)          # a number as the second operand becomes a leaf
    (dx, dy) = grad(z, [x, y], create_graph=True)
    (dxx, dxy) = grad(dx, [x, y])
    tx = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(4.0, dtype=torch.float64, requires_grad=True)
    tz = torch.hypot(tx, ty) * torch.hypot(tx, torch.tensor(2.0, dtype=torch.float64))
    tdx, tdy = torch.autograd.grad(tz, [tx, ty], create_graph=True)
    tdxx, tdxy = torch.autograd.grad(tdx, [tx, ty])
    for mine, theirs in ((z, tz), (dx, tdx), (dy, tdy), (dxx, tdxx), (dxy, tdxy)):
        assert math.isclose(mine.data, theirs.item(), rel_tol=1e-13)
    z.backward()
    eager = (x.grad, y.grad)
    x.grad = y.grad = 0.0
    microgradnode.compile(z)()
    assert (x.grad, y.grad) == eager


def test_threads_defining_operations_at_once_each_get_a_true_answer():
    """Eight threads define one name at once: exactly one succeeds; eight distinct names all land."""
    import sys
    import threading
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race showed 5 of 8 winners
    try:
        for names in (['twice'] * 8, [f'times{k}' for k in range(8)]):
            barrier = threading.Barrier(len(names))
            results: list[str] = []

            def define(name: str, barrier: threading.Barrier = barrier, results: list[str] = results) -> None:
                barrier.wait()
                try:
                    define_operation(name, '2.0 * a', '2.0')
                    results.append('defined')
                except ValueError:
                    results.append('refused')
            threads = [threading.Thread(target=define, args=(name,)) for name in names]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            try:
                assert results.count('defined') == len(set(names))
                for name in set(names):
                    assert getattr(Value(3.0), name)().data == 6.0
            finally:
                for name in set(names):
                    remove_operation(name)
    finally:
        sys.setswitchinterval(interval)
