"""Labels can hold any text: it shows verbatim and can never break or inject into the DOT."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microgradnode import Value, draw
from microgradnode.diagram.escape import SPELLED_OUT, html_text
from microgradnode.formulas.printing import NodeNames, minus_signs

from .diagram_helpers import parse

# Characters with a meaning in DOT, in record labels, in HTML-like labels or in escString.
SPECIAL = ['"', "'", '<', '>', '{', '}', '|', '\\', '\n', '\r', '\t', '&', ';', '[', ']', '=', '-', '>',
           '\x00', '\x07', '\ufffe', '\ud800', '</TD>', '<BR/>', '&amp;', '\\N', '\\G', '\\l', '"];',
           '--', '->', '}; x -> y; {', '>]; evil [label=<', 'σ', '∂', '漢字', '🙂', '\u202e',
           # line and paragraph separators, and invisible format characters (Cf)
           '\u2028', '\u2029', '\x85', '\u200b', '\ufeff', '\u2066', '\U000e0001', '\xad', '\u00a0']
LINE_BREAKS = ('\n', '\u2028', '\u2029')

labels = st.lists(st.one_of(st.sampled_from(SPECIAL), st.characters()), max_size=12).map(''.join)


def shown(label: str) -> str:
    """What the picture must show for ``label``: the text itself, invisible characters spelled out."""
    return ''.join(
        '\n' if char in LINE_BREAKS
        else repr(char)[1:-1] if unicodedata.category(char) in SPELLED_OUT else char
        for char in label)


def labelled_graph(first: str, second: str, result: str) -> Value:
    a, b = Value(1.5, first), Value(-2.0, second)
    c = a * b
    c.label = result
    c.backward()
    return c


@settings(max_examples=200, deadline=None)
@given(labels, labels, labels)
def test_any_label_round_trips_through_the_dot(first, second, result):
    parsed = parse(draw(labelled_graph(first, second, result)).source)
    assert (len(parsed.boxes), len(parsed.operations), parsed.graph.number_of_edges()) == (3, 1, 3)
    names = [parsed.boxes[node].name for node in ('v0', 'v1', 'v2')]
    graph = labelled_graph(first, second, result)
    # An unlabelled result is called by its formula, as the walkthrough calls it.
    computed = shown(minus_signs(NodeNames(graph)[graph])) if not result else shown(result)
    assert names == [shown(first), shown(second), computed]


def _svg_text(svg: bytes) -> str:
    root = ElementTree.fromstring(svg)  # also proves the SVG is well-formed XML
    return '\n'.join(element.text or '' for element in root.iter('{http://www.w3.org/2000/svg}text'))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels)
def test_any_label_renders_verbatim_without_graphviz_complaints(capfd, label):
    svg = draw(labelled_graph(label, 'b', 'c')).pipe('svg')
    text = _svg_text(svg)
    for line in shown(label).split('\n'):
        assert line.strip() in text
    assert capfd.readouterr().err == ''  # not even a warning


def test_injection_attempt_stays_text():
    attack = '>]; evil [label="pwned"]; x -> y; z [label=<'
    source = draw(labelled_graph(attack, '"quoted"', 'a\\nb')).source
    parsed = parse(source)
    assert set(parsed.boxes) == {'v0', 'v1', 'v2'} and 'evil' not in parsed.graph
    assert parsed.boxes['v0'].name == attack
    assert parsed.boxes['v2'].name == 'a\\nb'  # a backslash-n stays two characters


@pytest.mark.parametrize('text, escaped', [
    ('<b>', '&lt;b&gt;'), ('"', '&quot;'), ('&lt;', '&amp;lt;'), ('a\nb', 'a<BR/>b'), ('\x00', '\\\\x00'),
    ('{|}\\', '{|}\\\\'), ('\\N', '\\\\N'), ('\ud800', '\\\\ud800'),
    ('a\u2028b\u2029c', 'a<BR/>b<BR/>c'), ('\u202eevil', '\\\\u202eevil'), ('\u200b', '\\\\u200b'),
])
def test_html_text_escapes(text, escaped):
    assert html_text(text) == escaped
