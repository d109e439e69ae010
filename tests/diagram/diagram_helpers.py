"""Reading diagrams back: DOT text -> what a reader of the picture would see.

Shared by the diagram tests; it parses with pygraphviz, which the project depends on.
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass

import pygraphviz

from microgradnode import Value, twonode

_CELL = re.compile(r'<TD[^>]*>(.*?)</TD>', re.S)
_TAG = re.compile(r'<[^>]+>')


def label_text(label: str) -> str:
    """The characters an HTML-like label shows, read as Graphviz does.

    Tags dropped, entities decoded, then a doubled backslash drawn as one.
    """
    return html.unescape(_TAG.sub('', label.replace('<BR/>', '\n'))).replace('\\\\', '\\')


def number(text: str) -> float:
    return float(text.replace('−', '-'))


@dataclass
class Box:
    name: str
    data: float
    grad: str


@dataclass
class ParsedDiagram:
    graph: pygraphviz.AGraph
    boxes: dict[str, Box]               # value node id -> its box
    operations: dict[str, str]          # operation node id -> symbol
    inputs: dict[str, list[tuple[str, str]]]  # operation id -> [(value id, edge label)], in DOT order
    output_of: dict[str, str]           # operation id -> value id it makes


def parse(source: str) -> ParsedDiagram:
    graph = pygraphviz.AGraph(string=source)
    boxes, operations = {}, {}
    for node in graph.nodes():
        label = node.attr['label']
        if node.startswith('v'):
            cells = [label_text(cell) for cell in _CELL.findall(label)]
            name = '' if cells[0].startswith('data ') else cells.pop(0)
            data = number(cells[0].removeprefix('data '))
            grad = cells[1].removeprefix('grad ') if len(cells) > 1 else ''
            boxes[str(node)] = Box(name, data, grad)
        elif node.startswith('o'):
            operations[str(node)] = label_text(label)
    inputs: dict[str, list[tuple[str, str]]] = {op: [] for op in operations}
    output_of = {}
    for edge in graph.edges():
        tail, head = str(edge[0]), str(edge[1])
        if head in operations:
            number_on_edge = edge.attr.get('label') or edge.attr.get('xlabel') or ''
            inputs[head].append((tail, label_text(number_on_edge)))
        else:
            output_of[tail] = head
    return ParsedDiagram(graph, boxes, operations, inputs, output_of)


def two_node_network() -> dict[str, Value]:
    """The seed notebook's network (microgradnode.twonode), after one backward pass."""
    net = twonode.build()
    net.loss.backward()
    return {field.name: getattr(net, field.name) for field in dataclasses.fields(net)}


def micrograd_expression() -> Value:
    """The expression of micrograd's README: reuse, relu, powers and division."""
    a, b = Value(-4.0, 'a'), Value(2.0, 'b')
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g
