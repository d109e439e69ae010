"""Bounded drawing (issue 11): every graph renders in seconds or is refused at once,
Ctrl-C stops any command within 2 s, and a failed render or write leaves no file."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from microgradnode import Value, draw, walkthrough
from microgradnode.diagram import GraphTooLargeError, LayoutTimeoutError
from microgradnode.diagram.build import BENDS_PER_NODE, layout_bends
from microgradnode.diagram.labels import LONGEST_TEXT
from microgradnode.diagram.renderers import PNG_SIZE
from microgradnode.engine import topological_order

ROOT = Path(__file__).resolve().parents[2]


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


def renderer_children(cwd: Path) -> list[int]:
    """Renderer child processes still alive whose working folder is ``cwd``."""
    found = []
    for entry in Path('/proc').iterdir():
        try:
            if (entry.name.isdigit() and b'json.load(sys.stdin)' in (entry / 'cmdline').read_bytes()
                    and (entry / 'cwd').resolve() == cwd.resolve()):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours
            continue
    return found


def test_the_time_limit_stops_graphviz_and_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    diagram = draw(product_of_sums(400), max_nodes=100_000, time_limit=0.5)
    start = time.monotonic()
    with pytest.raises(LayoutTimeoutError, match=r'within 0\.5 s.*--time-limit'):
        diagram.pipe('svg')
    assert time.monotonic() - start < 2.5
    assert renderer_children(tmp_path) == []
    # In Jupyter: the reason and the DOT text instead of a traceback.
    bundle = diagram._repr_mimebundle_()
    assert 'image/svg+xml' not in bundle and bundle['text/plain'].startswith('Graphviz did not finish')


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
    # (the walkthrough's page draws its own picture in moments; its GIF still renders with Graphviz)
    output = ('-o', 'g.png') if command[0] == 'draw' else ('--gif', 'walk.gif')
    process = _cli(*command, *output, cwd=tmp_path)
    time.sleep(1.0)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    start = time.monotonic()
    stdout, stderr = process.communicate(timeout=10)
    assert time.monotonic() - start < 2
    assert process.returncode == 130
    assert stderr == f'microgradnode {command[0]}: interrupted\n'
    assert list(tmp_path.iterdir()) == []
    assert renderer_children(tmp_path) == []  # Graphviz was stopped too, not left running


def test_the_time_limit_on_the_command_line_is_one_line_and_writes_nothing(tmp_path):
    process = _cli(*SLOW_DRAW[:-1], '1', '-o', 'g.png', cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.startswith('microgradnode draw: error: Graphviz did not finish the layout within 1 s')
    assert stderr.count('\n') == 1
    assert list(tmp_path.iterdir()) == []


def test_a_png_is_scaled_down_to_a_bounded_bitmap():
    # An 18,643 x 30,119 PNG took 48 s to paint; the drawing's own size is far larger than the cap.
    diagram = draw(product_of_sums(100))
    svg = diagram.pipe('svg')
    points = [float(svg.split(f'{side}="'.encode(), 1)[1].split(b'pt"', 1)[0])
              for side in ('width', 'height')]
    assert max(points) * 96 / 72 > 1.5 * PNG_SIZE * 96
    png = diagram.pipe('png')
    width, height = int.from_bytes(png[16:20], 'big'), int.from_bytes(png[20:24], 'big')
    assert max(width, height) <= PNG_SIZE * 96 and min(width, height) > 100


# -- number formats ------------------------------------------------------------------------------

UNBOUNDED = ['>100000000', '.100000000f', '100000000', '.21f', '41', '0100', 'd', 'x', 's', 'n', '.2f}',
             '{:.2f}', '.2g\n']


@pytest.mark.parametrize('spec', UNBOUNDED)
def test_an_unbounded_or_non_float_number_format_is_refused_at_once(spec):
    x = Value(1.5, 'x')
    for make in (lambda: draw(x * 2, number_format=spec), lambda: walkthrough(x * 2, number_format=spec)):
        start = time.monotonic()
        with pytest.raises(ValueError, match='number_format'):
            make()
        assert time.monotonic() - start < 1


@pytest.mark.parametrize('spec, shown', [('.3f', '3.000'), ('+.2e', '+3.00e+00'), ('>8.1f', '     3.0'),
                                         ('_.1f', '3.0'), ('.1%', '300.0%'), ('', '3.0'), ('.20f', None),
                                         ('40', None)])
def test_bounded_float_formats_still_work(spec, shown):
    diagram = draw(Value(1.5, 'x') * 2, number_format=spec)
    if shown is not None:
        assert f'</FONT> {shown}</TD>' in diagram.source


@pytest.mark.parametrize('spec', ['>100000000', '.100000000f', 'd'])
def test_the_command_line_refuses_an_unbounded_number_format(tmp_path, spec):
    process = _cli('draw', 'x*2', '--set', 'x=1', '-o', 'g.svg', '--number-format', spec, cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr.startswith(f'microgradnode draw: error: --number-format {spec!r}')
    assert stderr.count('\n') == 1
    assert list(tmp_path.iterdir()) == []


# -- the walkthrough page ------------------------------------------------------------------------

def test_a_walkthrough_gif_that_would_render_too_long_is_refused_at_once():
    root = product_of_sums(30)
    walk = walkthrough(root)
    # the inputs and each operation computed; the start and each operation passing back
    # (its one leaf, x, passes nothing on: no frame of its own)
    operations = sum(not node.is_leaf for node in topological_order(root))
    frames = 2 * (1 + operations)
    start = time.monotonic()
    with pytest.raises(GraphTooLargeError, match=rf'{frames} diagrams.*time_limit=\d+') as caught:
        walk.gif()
    assert time.monotonic() - start < 2
    # Allowing the time it asks for is enough to pass the check.
    asked = int(re.search(r'time_limit=(\d+)', str(caught.value)).group(1))
    walkthrough(product_of_sums(30), time_limit=asked)._check_render_time()


def test_a_thirty_term_sum_walkthrough_renders_in_seconds():
    # Issue 11: 24 s before.
    root = repeated_sum(Value(1.0, 'x'), 30)
    walk = walkthrough(root)
    start = time.monotonic()
    page = walk.html()
    assert time.monotonic() - start < 8
    # one picture (two layouts) for all 60 steps (the inputs and 29 additions computed, the
    # start and 29 additions passing back): no Graphviz, no diagram per step
    operations = sum(not node.is_leaf for node in topological_order(root))
    assert page.count('<svg class="graph"') == 2 and len(walk.frames) == 2 * (1 + operations) == 60


@pytest.mark.parametrize('name', ['w.pdf', 'w', 'w.html.svg'])
def test_walkthrough_html_refuses_another_suffix(tmp_path, name):
    process = _cli('walkthrough', '--html', name, cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stderr == (f"microgradnode walkthrough: error: --html {name!r}: the page is HTML; give a file "
                      "name ending in .html\n")
    assert list(tmp_path.iterdir()) == []


# -- writes ---------------------------------------------------------------------------------------

def _limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # `ulimit -f 4`


@pytest.mark.parametrize('command, name', [
    (('draw', 'tanh(w*x + b)', '--set', 'w=1', '--set', 'x=2', '--set', 'b=0', '-o'), 'g.svg'),
    (('walkthrough', '--html'), 'walk.html'),
], ids=['draw', 'walkthrough'])
def test_a_write_that_fails_part_way_keeps_the_previous_file(tmp_path, command, name):
    (tmp_path / name).write_text('previous')
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, '-m', 'microgradnode', *command, name], cwd=tmp_path, env=env,
                            preexec_fn=_limit_file_size, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    # Graphviz writes its picture to a temporary file of its own: that may be what fails first.
    assert 'cannot write' in result.stderr and result.stderr.endswith(': File too large\n')
    assert result.stderr.count('\n') == 1
    assert (tmp_path / name).read_text() == 'previous'
    assert [path.name for path in tmp_path.iterdir()] == [name]


def test_walkthrough_save_under_a_file_size_limit_keeps_the_previous_page(tmp_path):
    # The page is written only once it is complete; here the write itself fails part way.
    target = tmp_path / 'walk.html'
    target.write_text('previous')
    code = ('import sys; from microgradnode import Value, walkthrough\n'
            'walk = walkthrough(Value(2.0, "x") * 3)\n'
            'walk.html = lambda **options: "<p>" * 100_000\n'
            'walk.save(sys.argv[1])\n')
    result = subprocess.run([sys.executable, '-c', code, str(target)], cwd=ROOT, preexec_fn=_limit_file_size,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and 'File too large' in result.stderr
    assert target.read_text() == 'previous'
    assert [path.name for path in tmp_path.iterdir()] == ['walk.html']


@pytest.mark.parametrize('length', [16_385, 100_000])
def test_a_huge_label_is_cut_short_and_still_renders(length):
    # Graphviz refuses an HTML-like label longer than 16,384 characters.
    diagram = draw(Value(1.0, 'x' * length) * 2, title='t' * length)
    svg = diagram.pipe('svg').decode()
    assert 'x' * (LONGEST_TEXT - 1) + '…' in svg and 'x' * LONGEST_TEXT not in svg
    assert 't' * (LONGEST_TEXT - 1) + '…' in svg


def test_save_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / 'target.svg'
    target.write_text('previous')
    (tmp_path / 'link.svg').symlink_to(target)
    draw(Value(1.0, 'x') * 2).save(tmp_path / 'link.svg')
    assert (tmp_path / 'link.svg').is_symlink() and target.read_bytes().startswith(b'<?xml')
    assert sorted(path.name for path in tmp_path.iterdir()) == ['link.svg', 'target.svg']


@pytest.mark.parametrize('save', [
    lambda path: draw(Value(1.0, 'x') * 2).save(path, format='dot'),
    lambda path: walkthrough(Value(1.0, 'x') * 2).save(path),
], ids=['draw', 'walkthrough'])
def test_save_into_a_stream_writes_into_it_rather_than_replacing_it(tmp_path, save):
    # What `-o /dev/stdout` does: replacing /dev/stdout (a link to a stream) with a file,
    # as root, would break it for every process on the machine. A named pipe stands in.
    fifo = tmp_path / 'stream'
    os.mkfifo(fifo)
    (tmp_path / 'stdout').symlink_to(fifo)
    received = bytearray()
    # Non-blocking, with a deadline: if save replaced the link instead, nobody ever
    # writes into the pipe, and the test must fail rather than wait forever.
    descriptor = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    def read_all() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                chunk = os.read(descriptor, 65536)
            except BlockingIOError:
                chunk = None
            if chunk:
                received.extend(chunk)
            elif chunk == b'' and received:
                return  # the writer closed the pipe
            time.sleep(0.01)

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    save(tmp_path / 'stdout')
    reader.join()
    os.close(descriptor)
    assert received.startswith(b'// microgradnode') or b'<html' in received
    assert fifo.is_fifo() and (tmp_path / 'stdout').is_symlink()


def test_walkthrough_checks_its_options_before_any_work():
    x = Value(1.0, 'x')
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT, not 'up'"):
        walkthrough(x * 2, rankdir='up')
    with pytest.raises(ValueError, match='time_limit must be a number of seconds'):
        walkthrough(x * 2, time_limit=0)


def test_in_jupyter_the_page_of_a_graph_too_slow_for_graphviz_shows_inline():
    # 121 steps of 119 values: too slow as a diagram per step, in moments as the live page
    start = time.monotonic()
    shown = walkthrough(product_of_sums(30))._repr_html_()
    assert shown.startswith('<iframe srcdoc=') and time.monotonic() - start < 8


def test_drawing_into_a_closed_pipe_ends_quietly(tmp_path):
    # `microgradnode draw ... -o /dev/stdout --format svg | head -c 20`
    expression = sum_text(56) + '*' + sum_text(56)  # an SVG larger than a pipe's buffer
    process = _cli('draw', expression, '--set', 'x=1', '-o', '/dev/stdout', '--format', 'svg', cwd=tmp_path)
    assert process.stdout.read(20) == '<?xml version="1.0" '
    process.stdout.close()
    assert process.wait(timeout=30) == 141  # as for any closed pipe: quiet, SIGPIPE's status
    assert process.stderr.read() == ''
