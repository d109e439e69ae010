"""The progress bar: animated on a terminal, a few plain lines to a file or pipe."""

import io
import os
import subprocess
import sys

from microgradnode._support.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_line_redrawn_in_place_and_ended():
    screen = FakeTerminal()
    with Progress(3, 'training', stream=screen) as bar:
        for step in range(3):
            bar.update(f'loss {step}')
    text = screen.getvalue()
    assert text.startswith('\rtraining: 1/3 steps (33%)')
    assert 'training: 3/3 steps (100%)' in text and text.endswith('loss 2\x1b[K\n')
    assert text.count('\n') == 1  # one line, redrawn with carriage returns


def test_a_file_gets_plain_lines_at_quarters():
    log = io.StringIO()
    with Progress(1000, 'fit', stream=log) as bar:
        for _ in range(1000):
            bar.update()
    assert log.getvalue() == ('fit: 250/1000 steps (25%)\nfit: 500/1000 steps (50%)\n'
                              'fit: 750/1000 steps (75%)\nfit: 1000/1000 steps (100%)\n')


def test_a_tiny_total_writes_one_line_per_step_at_most():
    log = io.StringIO()
    with Progress(1, 'fit', stream=log) as bar:
        bar.update('done')
    assert log.getvalue() == 'fit: 1/1 steps (100%), done\n'
    empty = io.StringIO()
    with Progress(0, 'fit', stream=empty):
        pass
    assert empty.getvalue() == ''


def test_a_closed_stream_does_not_stop_training():
    log = io.StringIO()
    bar = Progress(4, 'fit', stream=log)
    log.close()
    for _ in range(4):
        bar.update()
    bar.close()
    assert bar.count == 4


def test_no_stderr_at_all_is_no_error(monkeypatch):
    monkeypatch.setattr(sys, 'stderr', None)  # what Python sets when fd 2 was closed at start
    with Progress(3, 'fit') as bar:
        for _ in range(3):
            bar.update('loss 0')
    assert bar.count == 3
    command = [sys.executable, '-m', 'microgradnode', 'fit', '--dataset', 'xor', '--steps', '3']
    result = subprocess.run(command, stderr=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                            timeout=120, preexec_fn=lambda: os.close(2))
    assert result.returncode == 0 and result.stdout.startswith('xor: 4 points')


def test_fit_to_a_pipe_writes_plain_progress_lines():
    result = subprocess.run(
        [sys.executable, '-m', 'microgradnode', 'fit', '--dataset', 'xor', '--layers', '4', '--steps', '8',
         '--seed', '0'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '\r' not in result.stderr and '\x1b' not in result.stderr
    assert [line.split(',')[0] for line in result.stderr.splitlines()] == [
        'training: 2/8 steps (25%)', 'training: 4/8 steps (50%)', 'training: 6/8 steps (75%)',
        'training: 8/8 steps (100%)']
