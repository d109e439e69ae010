"""walkthrough --gif / Walkthrough.save('x.gif'): one frame per step, Pillow behind the [gif] extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from microgradnode import Value, topological_order
from microgradnode.lesson.walkthrough import walkthrough
from microgradnode.twonode import build

from ..conftest import require_module

HIDE_PIL = textwrap.dedent('''
    import sys
    class _Hidden:
        def find_spec(self, name, path=None, target=None):
            if name.partition('.')[0] == 'PIL':
                raise ModuleNotFoundError(f'No module named {name!r}', name=name)
    sys.meta_path.insert(0, _Hidden())
    from microgradnode.cli import main
''')


def test_two_node_gif_has_a_frame_per_step_and_stays_small(tmp_path):
    image = require_module('PIL.Image')
    loss = build().loss
    walk = walkthrough(loss)
    path = walk.save(tmp_path / 'walk.gif', frame_seconds=0.75)
    assert path.stat().st_size < 5 * 1024 * 1024
    # The inputs, then each operation computed; the start, then each operation passing back
    # (a leaf passes nothing: no frame of its own): 2 × (1 + 8 operations).
    operations = sum(not node.is_leaf for node in topological_order(loss))
    with image.open(path) as gif:
        assert gif.format == 'GIF' and gif.n_frames == len(walk.frames) == 2 * (1 + operations) == 18
        assert gif.info['duration'] == 750 and gif.info['loop'] == 0
        sizes = set()
        for index in range(gif.n_frames):
            gif.seek(index)
            sizes.add(gif.size)
        assert len(sizes) == 1 and 640 <= gif.size[0] <= 1600
    assert [p.name for p in tmp_path.iterdir()] == ['walk.gif']  # no temporary file left


def test_frames_differ_where_the_step_does(tmp_path):
    image = require_module('PIL.Image')
    x = Value(3.0, 'x')
    y = x * x
    y.label = 'y'
    walk = walkthrough(y)
    path = walk.save(tmp_path / 'x.gif')
    with image.open(path) as gif:
        pictures = []
        for index in range(gif.n_frames):
            gif.seek(index)
            pictures.append(gif.convert('RGB').tobytes())
    assert len(pictures) == len(walk.frames)
    assert all(a != b for a, b in zip(pictures, pictures[1:]))  # each step changes the picture


@pytest.mark.parametrize('seconds', [0, -1, float('nan'), 61, 'fast', True])
def test_bad_frame_seconds(tmp_path, seconds):
    with pytest.raises(ValueError, match='frame_seconds'):
        walkthrough(Value(2.0, 'x') * 3).save(tmp_path / 'x.gif', frame_seconds=seconds)
    assert list(tmp_path.iterdir()) == []


def test_cli_gif_without_pillow_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / 'walk.gif').write_bytes(b'previous')
    code = HIDE_PIL + "sys.exit(main(['walkthrough', '--gif', 'walk.gif']))"
    result = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr == ("microgradnode walkthrough: error: GIF files need the package 'PIL', which is "
                             "not installed: pip install 'microgradnode[gif]'\n")
    assert (tmp_path / 'walk.gif').read_bytes() == b'previous' and len(list(tmp_path.iterdir())) == 1


def test_cli_gif(tmp_path):
    require_module('PIL')
    result = subprocess.run([sys.executable, '-m', 'microgradnode', 'walkthrough', 'x*y', '--set', 'x=2',
                             '--set', 'y=-3', '--gif', 'w.gif', '--frame-seconds', '0.5'],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # The inputs, x*y computed; the start at x*y, x*y passing back (x and y pass nothing on).
    assert result.stdout == 'wrote w.gif: 4 frames of 0.5 s\n'
    assert (tmp_path / 'w.gif').read_bytes()[:6] == b'GIF89a'


@pytest.mark.parametrize('args, message', [
    (['--gif', 'w.png'], "give a file name ending in .gif"),
    (['--frame-seconds', '1'], '--frame-seconds goes with --gif'),
    (['--gif', 'w.gif', '--frame-seconds', '0'], 'from 0.02 to 60 seconds'),
    (['--quiz'], 'give --html FILE too'),
    (['--quiz', '--html', 'w.html', '--mode', 'forward'], 'goes with --mode reverse'),
])
def test_cli_bad_options(tmp_path, args, message):
    result = subprocess.run([sys.executable, '-m', 'microgradnode', 'walkthrough', *args],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count('\n') == 1
    assert list(tmp_path.iterdir()) == []
