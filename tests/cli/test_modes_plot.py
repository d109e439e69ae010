"""Issue 23: the modes plot measured (a straight forward-mode line, log axes, plain numbers)."""

from __future__ import annotations

import math
import re

from microgradnode.calculus.jacobian import jacobian_of
from microgradnode.cli.modes import cost_figure, full_pass_cost, mlp_loss_case, trajectory_case

from ..conftest import require_module


def test_forward_mode_is_one_full_pass_per_input_a_straight_line():
    require_module('matplotlib')
    cases = [mlp_loss_case(2), trajectory_case(30)]
    figure = cost_figure(cases)
    figure.canvas.draw()
    left, right = figure.axes
    one_pass = full_pass_cost(cases[0].outputs)
    lines = {line.get_label(): line for line in left.get_lines()}
    full = next(line for label, line in lines.items() if label.startswith('forward mode: n full passes'))
    counts, costs = full.get_data()
    assert [int(c) for c in costs] == [n * one_pass for n in counts]   # cost ∝ n: straight
    # The zero-skipping count (what jacobian_of does) is a second, labelled line.
    skipping = next(line for label, line in lines.items() if 'skipping zero tangents' in label)
    _, forward_costs = jacobian_of(cases[0].outputs, cases[0].inputs, mode='forward')
    assert int(skipping.get_data()[1][-1]) == sum(forward_costs)
    for axes in (left, right):
        assert axes.get_yscale() == 'log' and axes.get_xscale() == 'log'
        ticks = axes.get_yticklabels() + axes.get_xticklabels()
        labels = [tick.get_text() for tick in ticks if tick.get_text()]
        # Plain numbers: 1,000, not 1e3 or 10^3.
        assert labels and all(re.fullmatch(r'[\d,]+(\.\d+)?', text) for text in labels), labels
        assert axes.yaxis.get_offset_text().get_text() == ''   # no "1e5" above the axis
    # On a log scale the cheap line no longer lies on the axis: it climbs a good part of the
    # height (on the linear scale it rose 120 / 2,325 = 5% of it: flat on the axis).
    bottom, top = right.get_ylim()
    forward_line = next(line for line in right.get_lines() if line.get_label().startswith('forward'))
    low, high = min(forward_line.get_data()[1]), max(forward_line.get_data()[1])
    assert (math.log(high) - math.log(low)) / (math.log(top) - math.log(bottom)) > 0.3
