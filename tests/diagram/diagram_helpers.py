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


# -- measuring rendered pictures ------------------------------------------------------------

_SVG = '{http://www.w3.org/2000/svg}'


def svg_size(svg: bytes) -> tuple[float, float]:
    """The SVG's width and height in points (Graphviz writes ``width="123pt"``)."""
    from xml.etree import ElementTree
    root = ElementTree.fromstring(svg)
    return float(root.get('width', '0').removesuffix('pt')), float(root.get('height', '0').removesuffix('pt'))


def svg_texts(svg: bytes) -> list[tuple[str, str, float]]:
    """Every text of the SVG: (its group's class: node, edge, cluster or graph; the text; its size in pt)."""
    from xml.etree import ElementTree
    root = ElementTree.fromstring(svg)
    found = []
    for group in root.iter(f'{_SVG}g'):
        kind = group.get('class')
        if kind not in ('node', 'edge', 'cluster', 'graph'):
            continue
        for text in group.findall(f'{_SVG}text'):
            found.append((kind, text.text or '', float(text.get('font-size', '14'))))
    return found


def pixels_per_point(svg: bytes, png: bytes) -> float:
    """How many pixels of the PNG one point of the SVG is (both rendered from the same DOT)."""
    import struct
    width_px = struct.unpack('>I', png[16:20])[0]  # the PNG's IHDR chunk
    return width_px / svg_size(svg)[0]


def png_size(png: bytes) -> tuple[int, int]:
    import struct
    return struct.unpack('>II', png[16:24])


def _groups(svg: bytes, kind: str):
    """The SVG's <g class="kind"> elements (Graphviz draws each node, edge and cluster as one)."""
    from xml.etree import ElementTree
    return [group for group in ElementTree.fromstring(svg).iter(f'{_SVG}g') if group.get('class') == kind]


def _extent(shapes) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) around the points of these SVG shapes (and the anchors of texts)."""
    points: list[float] = []
    for shape in shapes:
        coordinates = shape.get('points') or shape.get('d')
        if coordinates:
            points += [float(n) for n in re.findall(r'-?\d+\.?\d*', coordinates)]
        elif shape.get('x') is not None:
            points += [float(shape.get('x')), float(shape.get('y'))]
    xs, ys = points[0::2], points[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def cluster_boxes(svg: bytes) -> dict[str, tuple[float, float, float, float]]:
    """Each cluster's label -> its frame (left, top, right, bottom) in SVG units."""
    return {' '.join(t.text or '' for t in group.findall(f'{_SVG}text')):
            _extent([shape for shape in group if shape.tag in (f'{_SVG}path', f'{_SVG}polygon')][:1])
            for group in _groups(svg, 'cluster')}


def node_boxes(svg: bytes) -> dict[str, tuple[float, float, float, float]]:
    """Each node's id (its <title>) -> the box around everything drawn for it, in SVG units."""
    return {group.find(f'{_SVG}title').text: _extent(list(group)) for group in _groups(svg, 'node')}


def edge_spans(svg: bytes) -> list[float]:
    """How far each arrow reaches, in SVG units: the larger side of the box around it."""
    return [max(right - left, bottom - top)
            for left, top, right, bottom in (_extent(list(group)) for group in _groups(svg, 'edge'))]
