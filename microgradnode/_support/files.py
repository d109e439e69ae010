"""Writing files so that a failed write never leaves a truncated file behind.

Every file the project writes (diagrams, pages, CSV reports, figures, benchmark
results) goes through :func:`atomic_write` or :func:`replacing`: the content is written
to a temporary file in the destination's own folder and renamed over the destination
only once it is complete. A full disk, a file-size limit or Ctrl-C part way through
leaves the previous file as it was and no temporary file behind.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write(folder / 'note.txt', 'hello\\n').read_text()
'hello\\n'
>>> with replacing(folder / 'note.txt', 'w') as file:
...     _ = file.write('bye\\n')
>>> (folder / 'note.txt').read_text(), sorted(p.name for p in folder.iterdir())
('bye\\n', ['note.txt'])
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ['atomic_write', 'replacing', 'check_destination']


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str], mode: str = 'wb', **open_args: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path``.

    ``mode`` is ``'w'`` (text) or ``'wb'`` (bytes); ``open_args`` go to :func:`open`
    (``encoding``, ``newline``). If the block raises, ``path`` is left untouched and
    the temporary file is removed. A symlink stays a link to the new file; a device or
    a named pipe (``/dev/stdout``) is written to directly, as it cannot be replaced.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / 'data.csv'
    >>> with replacing(target, 'w', newline='') as file:
    ...     _ = file.write('a,b\\n')
    >>> target.read_text()
    'a,b\\n'
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    given = os.fspath(path)
    kind = check_destination(path)
    if kind is not None and not stat.S_ISREG(kind):
        # /dev/stdout, /dev/null, a named pipe: there is nothing to replace (and replacing
        # the name would put a plain file where the device was); write to it as it is.
        with open(path, mode, **open_args) as file:
            yield file
        return
    # Through a symlink, replace the file it points to and keep the link.
    path = Path(os.path.realpath(path))
    # Same folder as the destination, so that the final rename stays on one file system. The
    # name is cut so that a long name that fits does not fail for its temporary file's sake.
    try:
        handle, temporary = tempfile.mkstemp(prefix=f'.{path.name[:100]}.', suffix='.part', dir=path.parent)
    except OSError as error:
        # The user never asked for the temporary file: name their path and folder instead.
        raise type(error)(error.errno, f'cannot write in the folder {str(path.parent)!r}: '
                                       f'{error.strerror or error}', given) from None
    try:
        with open(handle, mode, **open_args) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates the file readable by its owner only: give it the mode the old file
        # had (a private 0600 file stays private), or the usual one for a new file.
        os.chmod(temporary, stat.S_IMODE(kind) if kind is not None else 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def check_destination(path: str | os.PathLike[str]) -> int | None:
    """The ``st_mode`` of what ``path`` names (None if nothing yet), or an error naming ``path``.

    Fails, as :func:`replacing` would, when the folder does not exist, is a file, or
    ``path`` is a folder: callers with slow work to do before writing (rendering a
    diagram) check first, so that the work is not done in vain.

    >>> check_destination('no_such_dir/g.svg')
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] the folder 'no_such_dir' does not exist: 'no_such_dir/g.svg'
    """
    given = os.fspath(path)
    try:
        kind: int | None = os.stat(path).st_mode
    except OSError:  # absent, or its folder absent or not a folder: said below
        kind = None
    if kind is not None:
        if stat.S_ISDIR(kind):
            raise IsADirectoryError(errno.EISDIR, 'is a folder; give a file name', given)
        return kind
    folder = Path(os.path.realpath(path)).parent
    shown = str(Path(given).parent)
    if not folder.exists():
        raise FileNotFoundError(errno.ENOENT, f'the folder {shown!r} does not exist', given)
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f'{shown!r} is a file, not a folder', given)
    return None


def _umask() -> int:
    """The process's umask, read without changing it where the system allows.

    ``os.umask`` can only be read by setting it, which for a moment changes it for every
    thread (another thread creating a file then would get the wrong mode).
    """
    try:
        with open('/proc/self/status', encoding='ascii') as status:
            for line in status:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o22)
    os.umask(umask)
    return umask


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, encoding: str = 'utf-8') -> Path:
    """Write ``data`` (text or bytes) to ``path`` all at once or not at all; returns the path.

    >>> import tempfile, pathlib
    >>> atomic_write(pathlib.Path(tempfile.mkdtemp()) / 'x.bin', b'\\x00\\x01').read_bytes()
    b'\\x00\\x01'
    """
    if isinstance(data, str):
        with replacing(path, 'w', encoding=encoding, newline='') as file:
            file.write(data)
    else:
        with replacing(path, 'wb') as file:
            file.write(data)
    return Path(path)
