"""draw(): the DOT structure, the numbers on it, the options, and rendering without system Graphviz."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from microgradnode import Value, draw, topological_order, twonode
from microgradnode.diagram import DEFAULT_MAX_NODES, RendererUnavailableError
from microgradnode.diagram.renderers import render
from microgradnode.ops import OPS

from ..conftest import require_module, require_program
from .diagram_helpers import label_text, micrograd_expression, number, parse, two_node_network

MAGIC = {'svg': b'<?xml', 'png': b'\x89PNG\r\n\x1a\n', 'pdf': b'%PDF-'}


def expected_counts(root: Value) -> tuple[int, int, int]:
    """Values, operations and edges the diagram must have, counted on the graph itself."""
    order = topological_order(root)
    operations = [node for node in order if not node.is_leaf]
    edges = sum(len(node.parents) for node in operations) + len(operations)
    return len(order), len(operations), edges


@pytest.mark.parametrize('build', [lambda: two_node_network()['loss'], micrograd_expression],
                         ids=['two-node network', 'micrograd expression'])
def test_dot_has_one_box_per_value_one_circle_per_operation_and_every_edge(build):
    root = build()
    parsed = parse(draw(root).source)
    values, operations, edges = expected_counts(root)
    assert (len(parsed.boxes), len(parsed.operations), parsed.graph.number_of_edges()) == (
        values, operations, edges)


def test_two_node_network_boxes_show_labels_data_and_grads():
    net = two_node_network()
    parsed = parse(draw(net['loss'], number_format='.6g').source)
    by_name = {box.name: box for box in parsed.boxes.values() if box.name}
    # The unlabelled values are named as the walkthrough names them.
    assert set(by_name) == set(net) | {'(out − target)', '(out − target)^2'}
    for name, value in net.items():
        assert by_name[name].data == pytest.approx(value.data, rel=1e-5)
        assert number(by_name[name].grad) == pytest.approx(value.grad, rel=1e-5)
    # The gradient the seed notebook derives by hand for w2: (out - target) * s2.
    assert number(by_name['w2'].grad) == pytest.approx(
        (net['out'].data - 0.7) * net['s2'].data, rel=1e-5)
    symbols = sorted(parsed.operations.values())
    assert symbols == sorted(['×', '×', '×', '×', OPS['sigmoid'].symbol, OPS['sigmoid'].symbol,
                              OPS['sub'].symbol, '^2'])


def test_edges_carry_the_recorded_local_derivatives_in_parent_order():
    x, y = Value(3.0, 'x'), Value(-2.0, 'y')
    z = x / y
    parsed = parse(draw(z, number_format='.12g').source)
    (operation,) = parsed.operations
    locals_on_edges = [number(label) for _, label in parsed.inputs[operation]]
    assert locals_on_edges == pytest.approx(list(z.local_grads))
    assert [parsed.boxes[v].name for v, _ in parsed.inputs[operation]] == ['x', 'y']


def test_x_times_x_draws_two_edges_from_x():
    x = Value(3.0, 'x')
    y = x * x
    y.backward()
    parsed = parse(draw(y).source)
    (operation,) = parsed.operations
    edges = [(parsed.boxes[v].name, label) for v, label in parsed.inputs[operation]]
    assert edges == [('x', '3'), ('x', '3')]
    assert parsed.boxes['v0'].grad == '6'


@pytest.mark.parametrize('build', [lambda: two_node_network()['loss'], micrograd_expression],
                         ids=['two-node network', 'micrograd expression'])
def test_chain_rule_can_be_checked_on_the_picture(build):
    """Each value's grad = sum over its outgoing edges of (grad of the op's result) × (number on edge)."""
    parsed = parse(draw(build(), number_format='.15g').source)
    flowing_back = {box: 0.0 for box in parsed.boxes}
    for operation, edges in parsed.inputs.items():
        downstream = number(parsed.boxes[parsed.output_of[operation]].grad)
        for parent, label in edges:
            flowing_back[parent] += downstream * number(label)
    outputs = set(parsed.output_of.values())
    root = [box for box in parsed.boxes if not any(box == v for edges in parsed.inputs.values()
                                                   for v, _ in edges)]
    assert len(root) == 1 and number(parsed.boxes[root[0]].grad) == 1.0
    for box, total in flowing_back.items():
        if box != root[0]:
            assert number(parsed.boxes[box].grad) == pytest.approx(total, rel=1e-9, abs=1e-12), box
    assert outputs <= set(parsed.boxes)


def test_pow_shows_its_constant_and_kinds_are_styled_apart():
    x = Value(2.0, 'x')
    y = 3.0 * x ** 2
    source = draw(y).source
    parsed = parse(source)
    assert sorted(parsed.operations.values()) == ['^2', '×']
    fills = {}
    for node_id, box in parsed.boxes.items():
        label = parsed.graph.get_node(node_id).attr['label']
        fills['output' if node_id == 'v3' else box.name or str(box.data)] = label.split('BGCOLOR="')[1][:7]
    # input, constant, intermediate (named as the walkthrough names it) and output: each its own colour
    assert len({fills['x'], fills['3.0'], fills['x^2'], fills['output']}) == 4


def test_same_graph_gives_byte_identical_dot_and_ids_do_not_depend_on_memory():
    first = draw(two_node_network()['loss']).source
    second = draw(two_node_network()['loss']).source
    assert first == second
    assert 'v0' in first and str(id(Value)) not in first


def test_options_change_what_is_drawn():
    net = two_node_network()
    loss = net['loss']
    plain = draw(loss).source
    assert 'rankdir=LR' in plain
    assert 'rankdir=TB' in draw(loss, rankdir='TB').source
    no_grad = parse(draw(loss, show_grad=False).source)
    assert all(box.grad == '' for box in no_grad.boxes.values())
    no_local = parse(draw(loss, show_local=False).source)
    assert all(label == '' for edges in no_local.inputs.values() for _, label in edges)
    fixed = parse(draw(loss, number_format='.2f').source)
    shown = {box.name: box.grad for box in fixed.boxes.values()}['w2']
    assert shown == format(net['w2'].grad, '.2f').replace('-', '−')
    assert 'key' not in plain and 'key' in draw(loss, legend=True).source
    titled = parse(draw(loss, title='step 1: <forward>').source)
    assert label_text(titled.graph.graph_attr['label']) == 'step 1: <forward>'


def test_color_by_grad_uses_sign_for_hue():
    x, y = Value(1.0, 'x'), Value(2.0, 'y')
    z = x - y  # dz/dx = 1 (positive), dz/dy = -1 (negative)
    z.backward()
    parsed = parse(draw(z, color_by_grad=True).source)
    fill = {box.name: parsed.graph.get_node(node_id).attr['label'].split('BGCOLOR="')[1][:7]
            for node_id, box in parsed.boxes.items()}
    red, _, blue = (int(fill['x'][i:i + 2], 16) for i in (1, 3, 5))
    assert red > blue
    red, _, blue = (int(fill['y'][i:i + 2], 16) for i in (1, 3, 5))
    assert blue > red


def test_highlight_and_grads_override_for_walkthrough_frames():
    net = two_node_network()
    loss, out, w2, s2 = net['loss'], net['out'], net['w2'], net['s2']
    source = draw(loss, highlight=[out], highlight_edges=[(w2, out)],
                  grads={w2: None, s2: 0.25}).source
    parsed = parse(source)
    box_ids = {box.name: node_id for node_id, box in parsed.boxes.items()}
    assert parsed.boxes[box_ids['w2']].grad == '?'
    assert parsed.boxes[box_ids['s2']].grad == '0.25'
    assert number(parsed.boxes[box_ids['out']].grad) == pytest.approx(out.grad, rel=1e-3)  # not overridden
    red = '#f03e3e'
    assert red in parsed.graph.get_node(box_ids['out']).attr['label']
    assert red not in parsed.graph.get_node(box_ids['w2']).attr['label']
    emphasised = [(str(e[0]), str(e[1])) for e in parsed.graph.edges() if e.attr.get('color') == red]
    operation = next(op for op, v in parsed.output_of.items() if v == box_ids['out'])
    assert sorted(emphasised) == sorted([(box_ids['w2'], operation), (operation, box_ids['out'])])


def test_emphasis_options_refuse_values_not_in_the_graph():
    net = two_node_network()
    stranger = Value(1.0, 'stranger')
    with pytest.raises(ValueError, match='highlight: .*stranger.* not a Value of the graph'):
        draw(net['loss'], highlight=[stranger])
    with pytest.raises(ValueError, match='highlight_edges: .* not an edge'):
        draw(net['loss'], highlight_edges=[(net['w0'], net['out'])])
    with pytest.raises(ValueError, match='highlight_edges: expected'):
        draw(net['loss'], highlight_edges=[net['w0']])
    with pytest.raises(ValueError, match='grads: .*stranger'):
        draw(net['loss'], grads={stranger: 1.0})
    with pytest.raises(TypeError, match='grads: .*number or None'):
        draw(net['loss'], grads={net['w0']: 'big'})


def test_bad_options_are_named():
    x = Value(1.0)
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT, not 'XY'"):
        draw(x, rankdir='XY')
    with pytest.raises(ValueError, match='number_format'):
        draw(x, number_format='%d')
    with pytest.raises(ValueError, match='max_nodes must be a positive int'):
        draw(x, max_nodes=0)
    with pytest.raises(TypeError, match='draw needs a Value, not float'):
        draw(1.0)
    with pytest.raises(TypeError):
        draw(x, 'TB')  # options are keyword-only


def test_draw_refuses_graphs_beyond_the_limit_and_says_how_to_raise_it():
    x = Value(0.5, 'x')
    y = x
    for _ in range(DEFAULT_MAX_NODES):
        y = y * 1.0001
    count = len(topological_order(y))
    with pytest.raises(ValueError, match=f'has {count} values, more than max_nodes={DEFAULT_MAX_NODES}.*'
                                         f'max_nodes={count}.*--max-nodes {count}'):
        draw(y)
    assert draw(y, max_nodes=count).value_count == count


@pytest.fixture
def no_dot_on_path(monkeypatch):
    """PATH without any directory holding a `dot` program: only pip-installed renderers remain."""
    kept = [d for d in os.environ.get('PATH', '').split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, 'dot'))]
    monkeypatch.setenv('PATH', os.pathsep.join(kept))
    assert shutil.which('dot') is None


@pytest.mark.parametrize('fmt', ['svg', 'png', 'pdf'])
def test_renders_without_system_graphviz(no_dot_on_path, tmp_path, fmt):
    diagram = draw(two_node_network()['loss'])
    path = diagram.save(tmp_path / f'net.{fmt}')
    data = path.read_bytes()
    assert data.startswith(MAGIC[fmt]) and len(data) > 1000
    if fmt == 'svg':
        texts = set(re.findall(r'>([^<>]+)</text>', data.decode('utf-8')))
        net = two_node_network()
        assert set(net) | {'σ', '^2', '×', 'data', 'grad'} <= texts
        assert f' {net["w2"].grad:.4g}'.replace('-', '−') in texts


def test_system_dot_renders_the_same_diagram(tmp_path):
    require_program('dot')
    diagram = draw(two_node_network()['loss'])
    for fmt in ('svg', 'png', 'pdf'):
        assert diagram.pipe(fmt, renderer='dot').startswith(MAGIC[fmt])
    assert 'target' in diagram.pipe('svg', renderer='dot').decode('utf-8')


def test_without_any_renderer_the_error_says_how_to_get_one_and_source_still_works(
        monkeypatch, no_dot_on_path, tmp_path):
    monkeypatch.setitem(sys.modules, 'pygraphviz', None)  # makes `import pygraphviz` fail
    diagram = draw(two_node_network()['loss'])
    assert 'digraph' in diagram.source
    with pytest.raises(RendererUnavailableError, match='pip install "pygraphviz>=2".*apt install graphviz'):
        diagram.save(tmp_path / 'net.svg')
    assert not (tmp_path / 'net.svg').exists()
    assert diagram.save(tmp_path / 'net.dot').read_text(encoding='utf-8') == diagram.source
    with pytest.raises(RendererUnavailableError, match="renderer 'pygraphviz' is unavailable"):
        diagram.pipe('png', renderer='pygraphviz')
    bundle = diagram._repr_mimebundle_()
    assert 'image/svg+xml' not in bundle and 'pip install' in bundle['text/plain']


def test_save_and_pipe_reject_unknown_formats(tmp_path):
    diagram = draw(Value(1.0, 'x'))
    with pytest.raises(ValueError, match=r"'.*net\.jpg' from its suffix: use \.svg, \.png, \.pdf or \.dot"):
        diagram.save(tmp_path / 'net.jpg')
    with pytest.raises(ValueError, match='format must be one of svg, png, pdf, dot'):
        diagram.save(tmp_path / 'net.svg', format='gif')
    with pytest.raises(ValueError, match="cannot render 'gif'"):
        diagram.pipe('gif')
    with pytest.raises(ValueError, match="renderer must be 'auto'"):
        diagram.pipe('svg', renderer='magic')


def test_jupyter_display_is_svg_with_the_labels():
    loss = two_node_network()['loss']
    diagram = draw(loss)
    bundle = diagram._repr_mimebundle_()
    assert bundle['image/svg+xml'].lstrip().startswith('<?xml')
    assert 'target' in bundle['image/svg+xml']
    values, operations, _ = expected_counts(loss)
    assert repr(diagram) == f'<Diagram: {values} values, {operations} operations>'
    assert diagram.digraph.source == diagram.source


def test_notebook_shows_the_diagram_inline():
    nbformat = require_module('nbformat')
    nbclient = require_module('nbclient')
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'from microgradnode import Value, draw\n'
        "x = Value(2.0, 'x'); y = (x * x).sigmoid(); y.backward()\n"
        'draw(y)')])
    nbclient.NotebookClient(notebook, timeout=60, kernel_name='python3',
                            resources={'metadata': {'path': os.getcwd()}}).execute()
    outputs = notebook.cells[0].outputs
    assert outputs and 'image/svg+xml' in outputs[0]['data']
    assert '>x<' in outputs[0]['data']['image/svg+xml']


def test_import_microgradnode_does_not_import_graphviz():
    code = ('import sys, microgradnode; assert "graphviz" not in sys.modules; '
            'microgradnode.draw; assert "graphviz" not in sys.modules; '
            'microgradnode.draw(microgradnode.Value(1.0) * 2); assert "graphviz" in sys.modules; print("ok")')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == 'ok', result.stderr


def test_render_passes_native_warnings_on_but_drops_fontconfig_noise(capfd):
    svg = render('digraph { a [shape=nonsense]; a -> b }', 'svg')
    assert svg.startswith(b'<?xml')
    err = capfd.readouterr().err
    assert 'Fontconfig' not in err
    assert 'nonsense' in err  # Graphviz's own warning about the unknown shape reaches the user


def test_example_draws_the_two_node_network(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    result = subprocess.run([sys.executable, 'examples/draw_two_node.py', '--out', str(tmp_path)],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / 'two_node_graph.png').read_bytes().startswith(MAGIC['png'])
    svg = (tmp_path / 'two_node_graph.svg').read_text(encoding='utf-8')
    assert '>target</text>' in svg and '>key</text>' in svg


def test_gradient_colours_are_scaled_to_the_values_not_the_output_seed():
    from microgradnode.diagram.style import grad_fill
    x, w = Value(0.01, 'x'), Value(0.02, 'w')
    y = x * w  # grads 0.02 and 0.01, far below the output's own grad of 1
    y.backward()
    parsed = parse(draw(y, color_by_grad=True).source)
    labels = {box.name: parsed.graph.get_node(node_id).attr['label'] for node_id, box in parsed.boxes.items()}
    assert f'BGCOLOR="{grad_fill(1.0, 1.0)}"' in labels['x']
    assert f'BGCOLOR="{grad_fill(0.01, 0.02)}"' in labels['w']


def test_names_option_shows_display_names_and_checks_them():
    x = Value(2.0, 'x')
    hidden = x * 3.0
    out = hidden.tanh()
    source = draw(out, names={hidden: '(x·3)'}).source
    assert '(x·3)' in source
    with pytest.raises(ValueError, match='names: .* is not a Value of the graph'):
        draw(out, names={Value(1.0): 'stranger'})
    with pytest.raises(TypeError, match='must be a str'):
        draw(out, names={hidden: 3})


def test_walkthrough_diagrams_name_unlabelled_values_as_its_text_does():
    from microgradnode import walkthrough
    net = twonode.build()
    walk = walkthrough(net.loss)
    source = walk.diagram(len(walk.frames) - 1).source
    # the same name, written with the diagrams' one minus sign (U+2212), as the page writes it
    assert '(out − target)' in source and '(out - target)' not in source
