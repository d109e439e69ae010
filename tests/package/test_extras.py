"""Without its optional extra, a feature fails at once with one line naming the extra.

The packages of the extras are hidden from a child Python by an import hook, which is
what a core-only install looks like to the project (CI also checks a real one: .ci/run).
"""

import subprocess
import sys
import textwrap

import pytest

from microgradnode._support.extras import MissingExtraError, require

HIDE = textwrap.dedent('''
    import sys
    class _Hidden:
        def find_spec(self, name, path=None, target=None):
            if name.partition('.')[0] in {'graphviz', 'pygraphviz', 'matplotlib', 'numpy', 'tqdm', 'torch'}:
                raise ModuleNotFoundError(f'No module named {name!r}', name=name)
    sys.meta_path.insert(0, _Hidden())
''')


def run_hidden(code: str, cwd, also: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    hide = HIDE.replace("'torch'}", "'torch', " + ''.join(f'{name!r}, ' for name in also) + '}')
    return subprocess.run([sys.executable, '-c', hide + textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def run_cli_hidden(args: list[str], cwd, also: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return run_hidden(f'import sys; from microgradnode.cli import main; sys.exit(main({args!r}))', cwd, also)


def test_require_names_the_extra_and_keeps_other_import_errors():
    with pytest.raises(MissingExtraError) as caught:
        require('no_such_package_anywhere.sub', 'diagrams')
    assert isinstance(caught.value, ImportError) and caught.value.name == 'no_such_package_anywhere'
    # A missing module *inside* an installed package is a broken install, not a missing extra.
    with pytest.raises(ModuleNotFoundError) as broken:
        require('json.no_such_submodule', 'diagrams')
    assert not isinstance(broken.value, MissingExtraError)


def test_core_works_without_any_third_party_package(tmp_path):
    result = run_hidden('''
        import sys
        import microgradnode
        from microgradnode import Value, explain, walkthrough, compile
        from microgradnode.nn import MLP
        from microgradnode.nn.optim import SGD
        model = MLP(2, [4, 1], seed=0)
        optimizer = SGD(model.parameters(), lr=0.1)
        loss = (model([1.0, -1.0]) - 1.0) ** 2
        before = loss.data
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        after = ((model([1.0, -1.0]) - 1.0) ** 2).data
        assert after < before, (before, after)
        x = Value(2.0, 'x'); y = (x * x).tanh(); y.backward()
        assert 'x' in str(explain(y, x))
        assert 'backward' in walkthrough(y).text()
        assert compile(y)() == y.data
        heavy = [m for m in ('graphviz', 'pygraphviz', 'matplotlib', 'numpy', 'tqdm') if m in sys.modules]
        print('ok', heavy)
    ''', tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'ok []'


def test_draw_in_python_raises_the_missing_extra(tmp_path):
    result = run_hidden('''
        from microgradnode import Value
        from microgradnode._support.extras import MissingExtraError
        try:
            from microgradnode import draw
        except MissingExtraError as error:
            print(error)
    ''', tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("diagrams need the package 'graphviz', which is not installed: "
                             "pip install 'microgradnode[draw]'\n")


@pytest.mark.parametrize('args, extra', [
    (['draw', 'x*y', '--set', 'x=1', '--set', 'y=2', '-o', 'graph.svg'], 'draw'),
    (['train', '--csv', 'results.csv', '--plot', 'results.png'], 'plot'),
    (['train', '--csv', 'results.csv', '--graph', 'graph.svg'], 'draw'),
    (['fit', '--dataset', 'xor', '--steps', '2', '--plot-loss', 'loss.png'], 'plot'),
])
def test_cli_without_the_extra_is_one_line_exit_2_and_writes_nothing(tmp_path, args, extra):
    result = run_cli_hidden(args, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count('\n') == 1 and 'Traceback' not in result.stderr
    assert result.stderr.endswith(f"which is not installed: pip install 'microgradnode[{extra}]'\n")
    assert result.stdout == ''
    assert list(tmp_path.iterdir()) == []  # nothing half-written (no results.csv without its figure)


def test_cli_features_of_the_core_work_without_extras(tmp_path):
    for args in (['train', '--steps', '3', '--csv', 'results.csv'], ['explain', '--wrt', 'w0'],
                 ['walkthrough'], ['fit', '--dataset', 'xor', '--steps', '2', '--no-progress'],
                 ['walkthrough', '--html', 'walk.html']):  # the live page draws its own picture
        result = run_cli_hidden(args, tmp_path)
        assert result.returncode == 0, (args, result.stderr)
    assert (tmp_path / 'results.csv').read_text().count('\n') == 4
    assert (tmp_path / 'walk.html').read_text(encoding='utf-8').count('<svg class="graph"') == 2


# -- everything missing named at once, with the one extra that covers it (issue 22, item 5) -------

@pytest.mark.parametrize('args, hidden, extra, said', [
    (['walkthrough', 'x*y', '--set', 'x=1', '--set', 'y=2', '--gif', 'walk.gif'], ('PIL',), 'gif',
     "GIF files need the packages 'graphviz' and 'PIL', which are not installed"),
    (['walkthrough', 'x*y', '--set', 'x=1', '--set', 'y=2', '--gif', 'walk.gif'], (), 'draw',
     "GIF files need the package 'graphviz', which is not installed"),  # Pillow is there
    (['train', '--csv', 'r.csv', '--plot', 'r.png', '--graph', 'g.svg'], (), 'all',
     "figures and diagrams need the packages 'matplotlib' and 'graphviz', which are not installed"),
    (['fit', '--dataset', 'xor', '--steps', '2', '--plot-loss', 'l.png', '--graph', 'g.svg'], (), 'all',
     "figures and diagrams need the packages 'matplotlib' and 'graphviz', which are not installed"),
])
def test_one_message_names_the_extra_that_covers_everything_missing(tmp_path, args, hidden, extra, said):
    result = run_cli_hidden(args, tmp_path, hidden)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"microgradnode {args[0]}: error: {said}: pip install 'microgradnode[{extra}]'\n"
    assert list(tmp_path.iterdir()) == []


def test_walkthrough_gif_in_python_names_the_gif_extra(tmp_path):
    result = run_hidden("""
        from microgradnode import Value, walkthrough
        x = Value(2.0, 'x')
        try:
            walkthrough(x * x).gif()
        except ImportError as error:
            print(error)
    """, tmp_path, ('PIL',))
    said = "GIF files need the packages 'graphviz' and 'PIL', which are not installed: "
    assert result.stdout.endswith(said + "pip install 'microgradnode[gif]'\n"), result.stdout + result.stderr


def test_the_extras_table_is_setup_cfg_s():
    import configparser
    from pathlib import Path

    from microgradnode._support.extras import EXTRA_PACKAGES
    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[2] / 'setup.cfg', encoding='utf-8')
    import_name = {'pillow': 'PIL'}
    for extra, packages in EXTRA_PACKAGES.items():
        listed = [line.split('>')[0].split('=')[0].strip() for line in
                  config['options.extras_require'][extra].strip().splitlines()]
        assert tuple(import_name.get(name, name) for name in listed) == packages, extra
