"""CI smoke test of an installed microgradnode, run from outside the repository.

    python smoke.py core   # after `pip install .` alone: no third-party package at all
    python smoke.py all    # after installing the built wheel with [all]: pictures work

Exits non-zero, with the reason, on the first thing that is wrong.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tempfile
from pathlib import Path


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f'smoke test failed: {message}')


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = Path(sys.executable).parent / 'microgradnode'
    return subprocess.run([str(command), *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def main(mode: str) -> None:
    import microgradnode
    from microgradnode import Value
    from microgradnode.nn import MLP
    from microgradnode.nn.optim import SGD

    here = Path(microgradnode.__file__).resolve()
    check('site-packages' in here.parts, f'microgradnode imported from {here}, not from the install')
    check(importlib.metadata.version('microgradnode') == microgradnode.__version__,
          'the installed version differs from microgradnode.__version__')
    check((here.parent / 'py.typed').is_file(), 'py.typed is not installed')

    # A training step of the engine and nn.
    model = MLP(2, [8, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=0.1)
    before = ((model([1.0, -1.0]) - 1.0) ** 2)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after = ((model([1.0, -1.0]) - 1.0) ** 2)
    check(after.data < before.data, f'a training step did not lower the loss ({before.data} -> {after.data})')
    x = Value(2.0, 'x')
    check(str(microgradnode.explain((x * x).tanh(), x)).startswith('d '), 'explain')

    folder = Path(tempfile.mkdtemp())
    drawn = cli('draw', 'x*y', '--set', 'x=2', '--set', 'y=3', '-o', 'graph.svg', cwd=folder)
    trained = cli('train', '--steps', '5', '--csv', 'results.csv', '--plot', 'results.png', cwd=folder)
    gif = cli('walkthrough', 'x*y', '--set', 'x=2', '--set', 'y=3', '--gif', 'walk.gif', cwd=folder)
    if mode == 'core':
        installed = sorted(d.metadata['Name'].lower() for d in importlib.metadata.distributions())
        check(set(installed) <= {'microgradnode', 'pip', 'setuptools'},
              f'pip install . installed third-party packages: {installed}')
        # one line naming the one extra that covers everything missing (the GIF: [gif])
        for done, extra in ((drawn, 'draw'), (trained, 'plot'), (gif, 'gif')):
            what = f'{done.args[1]} without [{extra}]'
            check(done.returncode == 2, f'{what} exited {done.returncode}: {done.stderr}')
            check(done.stderr.strip().endswith(f"pip install 'microgradnode[{extra}]'")
                  and done.stderr.count('\n') == 1, f'{what} said: {done.stderr!r}')
        check(list(folder.iterdir()) == [], f'files written without their extra: {list(folder.iterdir())}')
        try:
            from microgradnode import draw  # noqa: F401
        except ImportError as error:
            check(type(error).__name__ == 'MissingExtraError', f'draw raised {error!r}')
        else:
            check(False, 'draw imported without graphviz')
        walk = cli('walkthrough', cwd=folder)
        check(walk.returncode == 0 and 'backward' in walk.stdout.lower(), f'walkthrough text: {walk.stderr}')
        # the live page draws its own picture: no extra needed
        page_folder = Path(tempfile.mkdtemp())
        page = cli('walkthrough', '--network', 'two-node', '--html', 'walk.html', cwd=page_folder)
        written = page_folder / 'walk.html'
        check(page.returncode == 0 and '<svg' in written.read_text(encoding='utf-8'),
              f'walkthrough --html without extras: {page.stderr}')
    else:
        check(drawn.returncode == 0, f'draw: {drawn.stderr}')
        check(trained.returncode == 0, f'train: {trained.stderr}')
        check((folder / 'graph.svg').read_bytes().lstrip().startswith(b'<?xml'), 'graph.svg is no SVG')
        check((folder / 'results.png').read_bytes().startswith(b'\x89PNG'), 'results.png is no PNG')
        check((folder / 'results.csv').read_text().count('\n') == 6, 'results.csv')
        check(gif.returncode == 0 and (folder / 'walk.gif').read_bytes().startswith(b'GIF89a'),
              f'walkthrough --gif: {gif.stderr}')
    print(f'smoke test ({mode}) passed: microgradnode {microgradnode.__version__} from {here.parent}')


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'core')
