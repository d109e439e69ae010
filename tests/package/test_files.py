"""Atomic writes: a failed write keeps the previous file and leaves no temporary file."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnode._support.files import atomic_write, replacing

from ..conftest import require_module

ROOT = Path(__file__).resolve().parents[2]


def test_an_error_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / 'report.csv'
    target.write_text('old\n')
    with pytest.raises(RuntimeError), replacing(target, 'w') as file:
        file.write('half of the new')
        raise RuntimeError('disk trouble')
    assert target.read_text() == 'old\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['report.csv']


def test_a_file_size_limit_keeps_the_old_file(tmp_path):
    # `ulimit -f 4` (4 KiB): Python ignores SIGXFSZ, so the write fails with EFBIG.
    target = tmp_path / 'big.bin'
    target.write_bytes(b'previous')
    code = ('import sys; from microgradnode._support.files import atomic_write\n'
            'atomic_write(sys.argv[1], b"x" * 100_000)\n')

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run([sys.executable, '-c', code, str(target)], cwd=ROOT, preexec_fn=limit,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert 'File too large' in result.stderr
    assert target.read_bytes() == b'previous'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['big.bin']


def test_text_and_bytes_and_permissions(tmp_path):
    text = atomic_write(tmp_path / 'a.txt', 'é\n')
    assert text.read_bytes() == 'é\n'.encode()
    assert atomic_write(tmp_path / 'b.bin', b'\x00').read_bytes() == b'\x00'
    assert (text.stat().st_mode & 0o777) != 0o600  # not mkstemp's private mode


def test_bad_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb'"), replacing(tmp_path / 'x', 'a'):
        pass


def test_a_symbolic_link_keeps_pointing_at_its_replaced_target(tmp_path):
    target = tmp_path / 'real.csv'
    target.write_text('old')
    link = tmp_path / 'link.csv'
    link.symlink_to(target)
    atomic_write(link, 'new')
    assert link.is_symlink() and target.read_text() == 'new'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['link.csv', 'real.csv']


def test_a_named_pipe_is_written_into_not_replaced(tmp_path):
    import os
    import threading
    fifo = tmp_path / 'pipe'
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    atomic_write(fifo, b'through the pipe')
    reader.join(10)
    assert received == [b'through the pipe']
    assert fifo.is_fifo()  # still a pipe, not a regular file put in its place


# -- errors name the user's path, never the hidden temporary file (issue 22, item 3) --------------

def _refused(path, error_type):
    with pytest.raises(error_type) as caught:
        atomic_write(path, 'text')
    message = str(caught.value)
    assert '.part' not in message, message
    assert caught.value.filename == str(path)
    return message


def test_a_missing_folder_is_named_with_the_users_path(tmp_path):
    message = _refused(tmp_path / 'no_such_dir' / 'g.svg', FileNotFoundError)
    assert f"the folder '{tmp_path / 'no_such_dir'}' does not exist" in message
    assert not (tmp_path / 'no_such_dir').exists()


def test_a_file_in_place_of_the_folder_is_named(tmp_path):
    (tmp_path / 'notes').write_text('a file')
    message = _refused(tmp_path / 'notes' / 'g.svg', NotADirectoryError)
    assert f"'{tmp_path / 'notes'}' is a file, not a folder" in message


def test_a_folder_in_place_of_the_file_is_named(tmp_path):
    (tmp_path / 'out.svg').mkdir()
    message = _refused(tmp_path / 'out.svg', IsADirectoryError)
    assert 'is a folder; give a file name' in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out.svg']


def test_a_folder_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    # As root every folder is writable: the refusal is made to happen where it would.
    import tempfile

    def refuse(**_):
        raise PermissionError(13, 'Permission denied', str(tmp_path / '.g.svg.x1y2.part'))
    monkeypatch.setattr(tempfile, 'mkstemp', refuse)
    message = _refused(tmp_path / 'g.svg', PermissionError)
    assert f"cannot write in the folder '{tmp_path}': Permission denied" in message


def test_a_long_file_name_that_fits_is_written(tmp_path):
    # The temporary file's name is longer than the user's: it must not be what fails.
    name = 'n' * 250 + '.svg'
    assert atomic_write(tmp_path / name, 'x').read_text() == 'x'
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_diagram_save_into_a_missing_folder_names_it(tmp_path):
    require_module('graphviz')
    from microgradnode import Value, draw
    with pytest.raises(FileNotFoundError, match='does not exist') as caught:
        draw(Value(1.0, 'x') * 2).save(tmp_path / 'no_such_dir' / 'g.svg')
    assert '.part' not in str(caught.value)


def test_walkthrough_save_into_a_missing_folder_names_it_before_rendering(tmp_path, monkeypatch):
    from microgradnode import Value, walkthrough
    walk = walkthrough(Value(2.0, 'x') * 3)
    monkeypatch.setattr(type(walk), 'html', lambda self: pytest.fail('rendered in vain'))
    with pytest.raises(FileNotFoundError, match="the folder '.*no_such_dir' does not exist") as caught:
        walk.save(tmp_path / 'no_such_dir' / 'walk.html')
    assert '.part' not in str(caught.value)
