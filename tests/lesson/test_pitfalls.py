"""The pitfalls lab: each mistake really is wrong on its example and right on its lucky one.

Each pitfall runs the textbook engine with the mistake (an engine variant, or the script
written the wrong way) and without it. The expected numbers here are worked out by hand
(for ``a = 1; b = a + a; c = b + b``, dc/da = 4), and the runs without the mistake are
checked against the real engine, so that "right" means right.
"""

from __future__ import annotations

import html
import math
import sys

import pytest

import microgradnode
from microgradnode import Value
from microgradnode.cli import main
from microgradnode.lesson import pitfalls as lab
from microgradnode.lesson.pitfalls import PITFALLS, pitfalls

from ..conftest import require_module

# pitfall -> (value, grad with the mistake, right grad) on its example, worked out by hand.
WRONG = {
    'assign': ('a', 1.0, 2.0),          # b = a + a: each share overwrites the other
    'no-order': ('a', 8.0, 4.0),        # c = b + b: b is run once per path, 2 × (2 + 2)
    'zero-grad': ('w', 5.0, 3.0),       # step 1 left 2 in w.grad, step 2 adds 3
    'twice': ('x', 12.0, 6.0),          # d(x²)/dx = 6 at 3, added twice
    'drawn-early': ('e', 0.0, -2.0),    # y = e², e = x - 3 = -1: dy/de = 2e
    'stale-data': ('x', 4.0, 6.0),      # 2x at the old x = 2, not at the new 3
}


def test_there_are_the_seven_pitfalls_of_the_issue():
    assert [p.name for p in PITFALLS] == ['assign', 'no-order', 'recursion', 'zero-grad', 'twice',
                                          'drawn-early', 'stale-data']


@pytest.mark.parametrize('name', sorted(WRONG))
def test_each_mistake_is_wrong_on_its_example(name):
    (report,) = pitfalls(name)
    value, wrong, right = WRONG[name]
    assert report.example.wrong[value] == wrong
    assert report.example.right[value] == right
    assert report.example.first_difference == value


def test_recursion_stops_with_no_gradient_at_all():
    (report,) = pitfalls('recursion')
    assert report.example.wrong == {} and report.example.error.startswith('RecursionError')
    assert report.example.right == {'x': 1.0}
    assert report.example.first_difference == 'x'
    assert 'x      none     1      <- first difference' in report.text()


@pytest.mark.parametrize('name', [p.name for p in PITFALLS])
def test_each_mistake_is_right_on_its_lucky_graph(name):
    (report,) = pitfalls(name)
    assert report.lucky.first_difference is None
    assert report.lucky.wrong == report.lucky.right and report.lucky.right
    assert not report.lucky.error


@pytest.mark.parametrize('pitfall', PITFALLS, ids=lambda p: p.name)
def test_right_means_what_the_real_engine_computes(pitfall):
    for example in (pitfall.example, pitfall.lucky):
        mine = pitfall.run(example, lab.textbook.Value, False)
        real = pitfall.run(example, Value, False)
        assert [(name, v.grad) for name, v in mine.items()] == [(name, v.grad) for name, v in real.items()]


def test_the_engine_variants_differ_from_the_textbook_in_one_method_each():
    for variant, method in ((lab.AssignValue, '_propagate'), (lab.NoOrderValue, 'backward'),
                            (lab.RecursiveValue, 'backward')):
        own = {name for name in vars(variant) if not name.startswith('__')}
        assert own == {method}, variant


def test_the_recursive_variant_works_below_the_limit_and_fails_above_it():
    def chain(engine, depth):
        x = engine(0.5)
        y = x
        for _ in range(depth):
            y = y.tanh()
        y.backward()
        return x.grad

    assert chain(lab.RecursiveValue, 100) == chain(microgradnode.Value, 100)
    with pytest.raises(RecursionError):
        chain(lab.RecursiveValue, sys.getrecursionlimit())


def test_the_text_shows_both_runs_side_by_side():
    text = pitfalls('no-order')[0].text()
    assert text.startswith('no-order: no topological sort')
    assert 'a      8        4      <- first difference' in text
    assert 'c = b + b' in text and 'mistake' not in text.split('Goes wrong on:')[1].split('value')[0]


def test_an_unknown_pitfall_is_refused_with_the_list():
    with pytest.raises(ValueError, match='no pitfall named .nope.; the pitfalls are: assign, no-order'):
        pitfalls('nope')


def test_the_diagram_marks_the_first_difference_and_shows_the_right_grad():
    require_module('graphviz')
    source = pitfalls('no-order')[0].diagram().source
    marked = [line for line in source.splitlines() if 'COLOR="#f03e3e"' in line]  # the red outline
    assert len(marked) == 1 and '<B>a (right: 4)</B>' in marked[0] and 'grad</FONT> 8<' in marked[0]
    assert source.count('(right:') == 1        # only a is wrong
    # A stale graph is drawn as the mistaken script left it: x changed to 3, y still 2 · 2.
    stale = pitfalls('stale-data')[0].diagram().source
    assert '<B>x (right: 6)</B>' in stale and 'data</FONT> 3<' in stale and 'grad</FONT> 4<' in stale
    assert stale.count('<FONT COLOR="#a61e4d">2</FONT>') == 2  # the recorded local derivatives
    with pytest.raises(ValueError, match='no gradient to draw'):
        pitfalls('recursion')[0].diagram()


def test_the_page_has_every_pitfall_with_its_runs(tmp_path):
    require_module('graphviz')
    page = lab.html_page()
    for pitfall in PITFALLS:
        assert f'<h2 id="{pitfall.name}">' in page
    assert page.count('<figure>') == 2 * (len(PITFALLS) - 1)  # the recursion's chain has no picture
    assert 'no gradient to draw' in page and 'http' not in page.replace('http://www.w3.org', '')


def test_the_page_keeps_its_tables_without_the_draw_extra(monkeypatch):
    from microgradnode._support.extras import MissingExtraError

    def no_graphviz(self, lucky=False):
        raise MissingExtraError("diagrams need the package 'graphviz', which is not installed: "
                                "pip install 'microgradnode[draw]'")
    monkeypatch.setattr(lab.Report, 'diagram', no_graphviz)
    page = lab.html_page(pitfalls('twice'))
    assert '<figure>' not in page
    assert "no diagram (diagrams need the package 'graphviz'" in html.unescape(page)
    assert '<td>x</td><td>12</td><td>6</td>' in page


def run_cli(capsys, *arguments):
    try:
        status = main(['pitfalls', *arguments])
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_command_prints_every_pitfall(capsys):
    status, out, err = run_cli(capsys)
    assert (status, err) == (0, '')
    assert out.count('<- first difference') == len(PITFALLS)
    assert 'Lucky because' in out


def test_the_command_writes_the_page(capsys, tmp_path):
    require_module('graphviz')
    status, out, err = run_cli(capsys, 'assign', 'twice', '--html', str(tmp_path / 'pitfalls.html'))
    assert (status, err) == (0, '')
    assert out.startswith(f'wrote {tmp_path / "pitfalls.html"}: 2 pitfalls')
    page = (tmp_path / 'pitfalls.html').read_text(encoding='utf-8')
    assert '<h2 id="assign">' in page and '<h2 id="twice">' in page and 'no-order' not in page


@pytest.mark.parametrize('arguments, message', [
    (['nope'], "no pitfall named 'nope'"),
    (['--html', 'page.txt'], 'give a file name ending in .html'),
    (['--html', '/no/such/folder/page.html'], "the folder '/no/such/folder' does not exist"),
])
def test_bad_input_is_one_line_and_exit_status_2(capsys, arguments, message):
    status, out, err = run_cli(capsys, *arguments)
    assert status == 2 and out == ''
    assert message in err and err.count('\n') == 1


def test_the_lucky_graphs_really_are_lucky_and_not_trivial():
    # Each lucky run computes some non-zero gradient, or shows the lesson in its numbers.
    grads = {p.name: pitfalls(p.name)[0].lucky.right for p in PITFALLS}
    assert grads['assign']['w'] == pytest.approx(2.0 * (1 - math.tanh(1.0) ** 2))
    assert grads['no-order'] == {'s': 1.0, 'a': 7.0}
    assert grads['zero-grad'] == {'w': 3.0}
