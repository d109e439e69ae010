"""Newton's method for the two-node network: twonode.train_newton and ``train --method newton``."""

from __future__ import annotations

import math

import pytest

from microgradnode import hessian, twonode
from microgradnode.cli import main
from microgradnode.twonode import steps_to_target, train, train_newton


def run(capsys, *arguments):
    try:
        status = main(['train', *map(str, arguments)])
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize('settings', [
    {},
    {'target': 0.2, 's0': -1.0, 'weights': (0.5, -2.0, 1.5)},
    {'weights': (0.0, 0.0, 0.0)},
    {'target': -3.0},
    {'s0': 0.0},
])
def test_newton_reaches_the_target_to_1e_10_in_far_fewer_steps_than_gradient_descent(settings):
    result = train_newton(**settings)
    assert result.reached
    assert abs(result.final_out - result.target) <= 1e-10
    newton = steps_to_target(result)
    gd = steps_to_target(train(steps=5000, **settings))
    assert newton == result.steps <= 10
    assert gd is not None and gd > 20 * newton


def test_every_newton_step_lowers_the_loss_and_the_damping_adapts():
    result = train_newton()
    losses = [0.5 * (row.out - result.target) ** 2 for row in result.rows] + [result.final_loss]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert result.dampings == pytest.approx((1e-3, 1e-4, 1e-5, 1e-6), rel=1e-12)


def test_the_hessian_is_singular_at_the_solution():
    # One sample, three weights: at the solution H = J Jᵀ (rank 1) up to rounding.
    w0, w1, w2 = train_newton().final_weights
    net = twonode.build(w0=w0, w1=w1, w2=w2)
    h = hessian(net.loss, net.weights)
    determinant = (h[0][0] * (h[1][1] * h[2][2] - h[1][2] * h[2][1])
                   - h[0][1] * (h[1][0] * h[2][2] - h[1][2] * h[2][0])
                   + h[0][2] * (h[1][0] * h[2][1] - h[1][1] * h[2][0]))
    trace = h[0][0] + h[1][1] + h[2][2]
    assert trace > 0.5
    assert abs(determinant) < 1e-20 * trace ** 3


def test_a_plateau_is_reported_not_looped_on():
    # Saturated sigmoids: every derivative underflows to 0, no step can lower the loss.
    with pytest.raises(ArithmeticError, match='found no damping that lowers the loss'):
        train_newton(weights=(1e6, -1e6, 1e-9))


@pytest.mark.parametrize('settings, error, message', [
    ({'damping': 0.0}, ValueError, 'damping must be positive'),
    ({'tolerance': -1.0}, ValueError, 'tolerance must be positive'),
    ({'steps': -1}, ValueError, 'steps must be 0 or more'),
    ({'steps': 1.5}, TypeError, 'steps must be an integer'),
    ({'target': math.nan}, ValueError, 'target must be a finite number'),
    ({'weights': (1.0, 2.0)}, ValueError, 'weights must be three numbers'),
])
def test_bad_settings_are_named(settings, error, message):
    with pytest.raises(error, match=message):
        train_newton(**settings)


def test_cli_newton_prints_steps_next_to_gradient_descent(capsys, tmp_path):
    status, out, err = run(capsys, '--method', 'newton', '--csv', tmp_path / 'newton.csv')
    assert status == 0 and err == ''
    assert 'damped Newton steps' in out
    assert 'Steps to reach the target within 1e-10:' in out
    assert '  Newton:           4\n' in out
    assert f'  gradient descent: {steps_to_target(train())} (alpha = 0.1)' in out
    assert len(twonode.read_csv(tmp_path / 'newton.csv')) == 4


def test_cli_newton_says_when_gradient_descent_does_not_get_there(capsys):
    status, out, _ = run(capsys, '--method', 'newton', '--steps', '50')
    assert status == 0
    assert '  Newton:           4\n' in out
    assert '  gradient descent: not reached in 50 (alpha = 0.1)' in out


@pytest.mark.parametrize('arguments, message', [
    (['--method', 'newton', '--order', 'notebook'], '--order applies to --method gd only'),
    (['--method', 'newton', '--weights', '1000000', '-1000000', '1e-9'],
     "Newton's method stopped"),
    (['--method', 'bfgs'], "argument --method: invalid choice: 'bfgs'"),
    (['--method', 'newton', '--target', '1e300'],
     'argument --target: must be a number from -1000000 to 1000000'),
])
def test_cli_newton_errors_are_one_line(capsys, arguments, message):
    status, out, err = run(capsys, *arguments)
    assert status == 2
    assert message in err and err.count('\n') == 1 and 'Traceback' not in err


def test_cli_newton_reports_a_diverging_gradient_descent_without_failing(capsys):
    status, out, err = run(capsys, '--method', 'newton', '--alpha', '1000', '--steps', '3000')
    assert status == 0 and err == ''
    assert '  Newton:           4\n' in out
    assert '  gradient descent: diverged (alpha = 1000)' in out


def test_gradient_descent_stays_the_default_and_unchanged(capsys):
    default = run(capsys)
    explicit = run(capsys, '--method', 'gd')
    ordered = run(capsys, '--method', 'gd', '--order', 'simultaneous')
    assert default == explicit == ordered
    assert 'Newton' not in default[1]


def test_the_docs_show_the_report_the_command_prints(capsys):
    from pathlib import Path
    docs = (Path(__file__).resolve().parents[2] / 'docs' / 'higher_order.md').read_text()
    shown = docs.split('$ microgradnode train --method newton\n', 1)[1].split('```', 1)[0]
    status, out, _ = run(capsys, '--method', 'newton')
    assert status == 0 and out == shown


def test_the_docs_python_examples_print_what_they_say():
    import contextlib
    import io
    from pathlib import Path
    docs = (Path(__file__).resolve().parents[2] / 'docs' / 'higher_order.md').read_text()
    first = docs.split('```python\n', 1)[1].split('```', 1)[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(first, {})
    expected = first.split('print(dy.data, d2y.data, d3y.data)', 1)[1].split('#', 1)[1].strip()
    assert printed.getvalue().strip() == expected
