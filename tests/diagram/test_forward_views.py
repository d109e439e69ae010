"""Seeing forward mode: tangents on diagrams, the forward mode walkthrough and its command."""

from __future__ import annotations

import json
import re

import pytest

from microgradnode import Value, draw, grad, twonode, walkthrough
from microgradnode.calculus.forward import forward_tangents
from microgradnode.cli import main


def _graph():
    x = Value(0.5, 'x')
    w = Value(-1.5, 'w')
    y = (w * x + 2.0).tanh() * x
    y.label = 'y'
    return x, w, y


def _tangent_cells(source: str) -> dict[str, str]:
    """value box id -> the tangent it shows, read from the DOT text."""
    return dict(re.findall(r'(v\d+) \[label=<.*?tangent</FONT> <FONT COLOR="[^"]+">([^<]+)</FONT>', source))


def test_draw_shows_each_values_tangent_pushed_from_the_seeds():
    x, w, y = _graph()
    source = draw(y, tangents={x: 1.0}).source
    cells = _tangent_cells(source)
    order = list(forward_tangents(y, {x: 1.0}).items())
    assert len(cells) == len(order)
    for index, (node, tangent) in enumerate(order):
        assert cells[f'v{index}'] == format(tangent, '.4g').replace('-', '−'), node
    (slope,) = grad(y, [x])
    assert cells[f'v{len(order) - 1}'] == format(slope.data, '.4g').replace('-', '−')
    assert 'tangent' not in draw(y).source  # only when asked


def test_tangent_values_show_as_given_and_none_as_not_known_yet():
    x, w, y = _graph()
    cells = _tangent_cells(draw(y, tangent_values={x: 1.0, y: None}).source)
    position = list(forward_tangents(y, {})).index(x)  # the diagram numbers values in this order
    assert cells[f'v{position}'] == '1' and cells[f'v{len(cells) - 1}'] == '?'
    assert set(cells.values()) == {'1', '?', '0'}  # a Value not in the mapping does not move


@pytest.mark.parametrize('options, error, message', [
    ({'tangents': {Value(1.0): 1.0}}, ValueError, 'draw: tangents: Value(data=1.0'),
    ({'tangents': [1.0]}, TypeError, 'draw: tangents must be a mapping'),
    ({'tangents': {'x': 1.0}}, ValueError, "draw: tangents: 'x' is not a Value of the graph"),
    ({'tangent_values': {Value(1.0): 1.0}}, ValueError, 'tangent_values: Value(data=1.0'),
    ({'tangent_values': 3}, TypeError, 'tangent_values must be a mapping'),
    ({'tangents': {}, 'tangent_values': {}}, ValueError, 'not both'),
])
def test_bad_tangent_options_are_named(options, error, message):
    x, w, y = _graph()
    with pytest.raises(error) as raised:
        draw(y, **options)
    assert message in str(raised.value)


def test_bad_tangent_values_entries_are_named():
    x, w, y = _graph()
    with pytest.raises(TypeError, match='tangent shown for .* must be a number or None'):
        draw(y, tangent_values={x: 'fast'})
    with pytest.raises(TypeError, match='the tangent of .* must be a real number, not str'):
        draw(y, tangents={x: 'fast'})


def test_forward_mode_walkthrough_steps_through_one_pass_of_tangents():
    x, w, y = _graph()
    walk = walkthrough(y, mode='forward', wrt=x)
    tangents = forward_tangents(y, {x: 1.0})
    operations = [node for node in walk.order if not node.is_leaf]
    assert len(walk.frames) == 1 + len(operations)
    assert all(frame.phase == 'forward' for frame in walk.frames)
    assert [frame.title for frame in walk.frames] == [
        f'Forward {i}/{len(walk.frames)}: ' + ('the inputs and their tangents' if i == 1 else
                                               f'compute {walk.names[node]} and {walk.names[node]}′')
        for i, node in enumerate([None, *operations], 1)]
    assert 'So x′ = 1; w, 2 stay still: tangent 0.' in walk.frames[0].text
    for frame in walk.frames:
        assert frame.tangents == {node: tangents[node] for node in frame.computed}
    last = walk.frames[-1]
    assert 'y′ = d y / d tanh((w·x) + 2) × tanh((w·x) + 2)′ + d y / d x × x′' in last.lines
    (slope,) = grad(y, [x])
    assert f'Done in one pass: d y / d x = y′ = {slope.data:.4g}' in last.text
    assert 'd y / d w would need another pass' in last.text
    assert x.grad == 0.0 and w.grad == 0.0  # forward mode leaves .grad alone
    assert '>tangent</FONT>' in walk.diagram(1).source and '>grad</FONT>' not in walk.diagram(1).source


def test_walkthrough_mode_errors():
    x, w, y = _graph()
    with pytest.raises(ValueError, match="mode='forward' needs wrt"):
        walkthrough(y, mode='forward')
    with pytest.raises(ValueError, match="needs wrt, a Value of the graph"):
        walkthrough(y, mode='forward', wrt=Value(1.0))
    with pytest.raises(ValueError, match="wrt is for mode='forward'"):
        walkthrough(y, wrt=x)
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward', not 'sideways'"):
        walkthrough(y, mode='sideways')
    # a computed value would keep its tangent 1 whatever its parents: the frames would not add up
    with pytest.raises(ValueError, match=r"wrt must be an input of the graph \(a leaf\), not a computed"):
        walkthrough(y, mode='forward', wrt=y)


def test_the_reverse_mode_page_is_unchanged_by_the_forward_mode_words():
    x, w, y = _graph()
    page = walkthrough(y).html()
    assert 'Backpropagation, live' in page and '<th scope="col">grad</th>' in page
    assert 'tangent d·/d' not in page and '>tangent</text>' not in page


def run(capsys, *arguments):
    try:
        status = main(['walkthrough', *map(str, arguments)])
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_forward_mode_text_and_page(capsys, tmp_path):
    status, out, err = run(capsys, 'sigmoid(w*x + b)', '--set', 'w=0.5', '--set', 'x=2', '--set', 'b=-1',
                           '--mode', 'forward', '--wrt', 'x')
    assert status == 0 and err == ''
    assert out.startswith('Forward 1/4: the inputs and their tangents')
    assert 'Done in one pass: d f / d x = f′ = 0.125' in out
    status, out, err = run(capsys, '--network', 'two-node', '--mode', 'forward',
                           '--html', tmp_path / 'walk.html')
    net = twonode.build()
    (expected,) = grad(net.loss, [net.w0])
    assert status == 0 and err == ''
    assert out.startswith(f'wrote {tmp_path / "walk.html"}: ') and 'd loss / d w0 in one pass' in out
    # as the page's data has it: JSON, with the page's minus sign (U+2212)
    words = json.dumps(f'd loss / d w0 = loss′ = {expected.data:.4g}'.replace('-', '−'))[1:-1]
    assert words in (tmp_path / 'walk.html').read_text()


@pytest.mark.parametrize('arguments, message', [
    (['--mode', 'forward', '--wrt', 'nothing'], "--wrt nothing: no value is named 'nothing'"),
    (['--wrt', 'w0'], '--wrt goes with --mode forward'),
    (['--mode', 'sideways'], "argument --mode: invalid choice: 'sideways'"),
    (['x*x', '--set', 'x=2', '--mode', 'forward', '--wrt', 'f'],
     '--wrt f: f is computed from other values; differentiate with respect to an input: x'),
    (['--network', 'two-node', '--mode', 'forward', '--wrt', 's1'],
     '--wrt s1: s1 is computed from other values; '
     'differentiate with respect to an input: w2, w1, w0, s0, target'),
    (['2*3', '--mode', 'forward'], "EXPR '2*3' has no named input: there is nothing to differentiate"),
])
def test_cli_forward_mode_errors_are_one_line(capsys, arguments, message):
    status, out, err = run(capsys, *arguments)
    assert status == 2 and out == '' and err.count('\n') == 1 and message in err, err
