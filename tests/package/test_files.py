"""Atomic writes: a failed write keeps the previous file and leaves no temporary file."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnode._support.files import atomic_write, replacing

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
