"""Bounded drawing (issue 11): every graph renders in seconds or is refused at once,
Ctrl-C stops any command within 2 s, and a failed render or write leaves no file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from microgradnode import Value, draw
from microgradnode.diagram import GraphTooLargeError, LayoutTimeoutError
from microgradnode.diagram.build import BENDS_PER_NODE, layout_bends
from microgradnode.engine import topological_order

ROOT = Path(__file__).resolve().parent.parent


def repeated_sum(x: Value, terms: int) -> Value:
    total = x
    for _ in range(terms - 1):
        total = total + x
    return total


def product_of_sums(terms: int, factors: int = 2) -> Value:
    x = Value(1.0, 'x')
    result = repeated_sum(x, terms)
    for _ in range(factors - 1):
        result = result * repeated_sum(x, terms)
    result.backward()
    return result


def sum_text(terms: int) -> str:
    return '(' + '+'.join(['x'] * terms) + ')'


def test_layout_bends_counts_the_layers_reused_values_cross():
    x = Value(1.0, 'x')
    # x feeds the k-th addition, 2k - 1 layers after itself: sum of (2k - 2) for k = 1..5.
    assert layout_bends(topological_order(repeated_sum(x, 6))) == (2 + 4 + 6 + 8, x)
    assert layout_bends(topological_order((x * 2).tanh()))[0] == 0


def test_a_value_reused_along_a_long_chain_renders_in_seconds():
    # Issue 11: 112 values, 45 to 146 s before; three 58-term sums ran past 600 s.
    for graph in (product_of_sums(56), product_of_sums(58, factors=3)):
        start = time.monotonic()
        svg = draw(graph).pipe('svg')
        assert time.monotonic() - start < 8
        assert svg.count(b'class="node"') == 2 * len(topological_order(graph)) - 1


def test_a_hopelessly_tangled_graph_is_refused_at_once_with_what_to_do():
    graph = product_of_sums(400)
    start = time.monotonic()
    with pytest.raises(GraphTooLargeError) as caught:
        draw(graph)
    assert time.monotonic() - start < 2
    message = str(caught.value)
    assert "'x' is used by operations far apart" in message
    bends = layout_bends(topological_order(graph))[0]
    needed = -(-bends // BENDS_PER_NODE)
    assert f'max_nodes={needed}' in message and f'--max-nodes {needed}' in message
    assert isinstance(caught.value, ValueError)  # callers that caught ValueError still do
    assert draw(graph, max_nodes=needed).value_count == 800


def test_the_time_limit_stops_graphviz_and_says_what_to_do():
    diagram = draw(product_of_sums(400), max_nodes=100_000, time_limit=0.5)
    start = time.monotonic()
    with pytest.raises(LayoutTimeoutError, match=r'within 0\.5 s.*--time-limit'):
        diagram.pipe('svg')
    assert time.monotonic() - start < 2.5


@pytest.mark.parametrize('time_limit', [0, -1, float('nan'), float('inf'), '5', True])
def test_a_bad_time_limit_is_refused(time_limit):
    with pytest.raises(ValueError, match='time_limit must be a number of seconds'):
        draw(Value(1.0, 'x') * 2, time_limit=time_limit)


def _cli(*args: str, cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, '-m', 'microgradnode', *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# The command line bounds its input (2,000 characters, 60 levels of nesting), and within
# those, every drawing takes a few seconds; a PNG of this one, about 6 s.
SLOW_DRAW = ('draw', '*'.join([sum_text(40)] * 21), '--set', 'x=1', '--max-nodes', '100000',
             '--time-limit', '100')


@pytest.mark.parametrize('command', [
    SLOW_DRAW,
    ('walkthrough', sum_text(30) + '*' + sum_text(30), '--set', 'x=1', '--time-limit', '100'),
], ids=['draw', 'walkthrough'])
def test_ctrl_c_ends_a_slow_render_within_two_seconds(tmp_path, command):
    output = ('-o', 'g.png') if command[0] == 'draw' else ('--html', 'walk.html')
    process = _cli(*command, *output, cwd=tmp_path)
    time.sleep(1.5)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    start = time.monotonic()
    stdout, stderr = process.communicate(timeout=10)
    assert time.monotonic() - start < 2
    assert process.returncode == 130
    assert stderr == 'microgradnode: interrupted\n'
    assert list(tmp_path.iterdir()) == []


def test_the_time_limit_on_the_command_line_is_one_line_and_writes_nothing(tmp_path):
    process = _cli(*SLOW_DRAW[:-1], '1', '-o', 'g.png', cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.startswith('microgradnode draw: error: Graphviz did not finish the layout within 1 s')
    assert stderr.count('\n') == 1
    assert list(tmp_path.iterdir()) == []
