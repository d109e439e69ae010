"""Training end to end: XOR is solved, two moons reaches 95%, and `microgradnode fit`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnode.cli import main
from microgradnode.nn import MLP
from microgradnode.nn.datasets import moons, xor
from microgradnode.nn.optim import SGD, Adam, Momentum
from microgradnode.nn.training import History, accuracy, scores, train

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def run_cli(args: list[str]) -> int:
    try:
        return main(args)
    except SystemExit as stop:  # argparse's own errors
        return stop.code


@pytest.mark.parametrize('optimizer, loss', [(Adam, 'bce'), (Momentum, 'hinge'), (SGD, 'mse')])
def test_xor_is_solved(optimizer, loss):
    points, labels = xor()
    model = MLP(2, [8, 1], activation='tanh', seed=0)
    history = train(model, points, labels, loss=loss, steps=300,
                    optimizer=optimizer(model.parameters(), lr=0.1))
    assert accuracy(scores(model, points), labels) == 1.0
    assert history.losses[-1] < 0.5 * history.losses[0]


def test_two_moons_reaches_95_percent_with_the_fit_defaults():
    """The default `fit` network, optimizer and seed; fewer steps than its 100 to stay quick."""
    points, labels = moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation='relu', seed=0)
    history = train(model, points, labels, loss='hinge', l2=1e-4, steps=35,
                    optimizer=Adam(model.parameters(), lr=0.05))
    assert history.accuracies[0] < 0.9  # it really had to learn
    assert accuracy(scores(model, points), labels) >= 0.95
    assert len(history.seconds) == 35 and history.median_step_seconds > 0


def test_fit_prints_a_summary_shows_progress_and_saves_both_plots(tmp_path, capsys):
    boundary, loss = tmp_path / 'boundary.png', tmp_path / 'loss.png'
    code = run_cli(['fit', '--dataset', 'xor', '--layers', '6', '--activation', 'tanh', '--loss', 'bce',
                    '--optimizer', 'adam', '--lr', '0.1', '--steps', '120', '--seed', '1',
                    '--plot-boundary', str(boundary), '--plot-loss', str(loss)])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.splitlines()
    assert re.fullmatch(r'xor: 4 points, MLP 2-6-1 tanh, bce loss, adam lr=0\.1; after 120 steps: '
                        r'loss \d\.\d{4}, training accuracy 100\.0% \(\d+ ms per step, median\)', lines[0])
    assert lines[1:] == [f'decision boundary: {boundary}', f'loss curve: {loss}']
    for path in (boundary, loss):
        assert path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size > 10_000
    assert 'training' in err and 'loss 0.' in err and 'accuracy 100%' in err  # the tqdm bar


def test_history_median_of_no_steps_is_nan():
    assert History().median_step_seconds != History().median_step_seconds


@pytest.mark.parametrize('args, message', [
    (['--dataset', 'spiral'], "argument --dataset: invalid choice: 'spiral'"),
    (['--optimizer', 'rmsprop'], "argument --optimizer: invalid choice: 'rmsprop'"),
    (['--activation', 'gelu'], "argument --activation: invalid choice: 'gelu'"),
    (['--loss', 'l1'], "argument --loss: invalid choice: 'l1'"),
    (['--steps', 'ten'], "argument --steps: must be a whole number from 1 to 100000, not 'ten'"),
    (['--steps', '0'], "argument --steps: must be a whole number from 1 to 100000, not '0'"),
    (['--lr', '-1'], "argument --lr: must be a number above 0, not '-1'"),
    (['--lr', 'nan'], "argument --lr: must be a number above 0, not 'nan'"),
    (['--samples', '0'], "argument --samples: must be a whole number from 1 to 10000, not '0'"),
    (['--dataset', 'xor', '--samples', '6'], '--samples for xor must be a multiple of 4, not 6'),
    (['--layers', '16', '0'], "argument --layers: must be a whole number from 1 to 1000, not '0'"),
    (['--layers'], 'argument --layers: expected at least one argument'),
    (['--noise', '-0.1'], "argument --noise: must be a number from 0 to 10, not '-0.1'"),
    (['--noise', '1e308'], "argument --noise: must be a number from 0 to 10, not '1e308'"),
    (['--l2', '-1'], "argument --l2: must be a number from 0 to 1, not '-1'"),
    (['--l2', '1e308'], "argument --l2: must be a number from 0 to 1, not '1e308'"),
    (['--plot-boundary', 'out.svg'], "--plot-boundary 'out.svg': the plot is a PNG: give a file name ending "
                                     "in .png"),
    (['--plot-loss', '/no/such/dir/loss.png'],
     "--plot-loss '/no/such/dir/loss.png': the folder '/no/such/dir' does not exist"),
])
def test_bad_options_print_one_line_and_exit_2(args, message, capsys):
    assert run_cli(['fit', *args]) == 2
    out, err = capsys.readouterr()
    assert out == ''
    assert err.count('\n') == 1 and 'error' in err
    assert message in err


def test_bad_option_from_the_shell_has_no_traceback():
    done = subprocess.run([sys.executable, '-m', 'microgradnode', 'fit', '--steps', '-5'],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("microgradnode fit: error: argument --steps: must be a whole number from 1 to "
                           "100000, not '-5'\n")


def test_cli_help_imports_nothing_heavy():
    code = ('import sys; from microgradnode.cli import build_parser; build_parser(); '
            'print(sorted(m for m in ("matplotlib", "tqdm", "torch") if m in sys.modules))')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == '[]', done.stderr


def test_moons_example_runs_and_saves_its_plots(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [str(root),
                                                                        os.environ.get('PYTHONPATH')]))}
    done = subprocess.run([sys.executable, str(root / 'examples' / 'moons.py'), '3'], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('MLP(2 -> [16, 16, 1], 337 parameters)')
    assert 'step   2  loss ' in done.stdout
    assert 'training accuracy after 3 steps: ' in done.stdout
    for name in ('moons_boundary.png', 'moons_loss.png'):
        assert (tmp_path / name).read_bytes()[:8] == PNG_SIGNATURE


def test_every_optimizer_has_a_default_learning_rate():
    from microgradnode.cli.fit import DEFAULT_LR
    from microgradnode.nn.optim import OPTIMIZERS
    assert DEFAULT_LR.keys() == OPTIMIZERS.keys()


def test_divergence_stops_with_one_line_naming_the_step(capsys):
    assert run_cli(['fit', '--dataset', 'xor', '--layers', '4', '--optimizer', 'sgd', '--lr', '1e300',
                    '--loss', 'mse', '--steps', '5', '--no-progress']) == 2
    out, err = capsys.readouterr()
    assert out == ''
    assert re.fullmatch(r'microgradnode fit: error: training diverged at step \d: the loss is (inf|nan); '
                        r'a smaller learning rate may help \(--lr 1e\+300\)\n', err)


def test_train_raises_when_the_loss_stops_being_a_number():
    points, labels = xor()
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(FloatingPointError, match='training diverged at step'):
        train(model, points, labels, loss='mse', steps=5, optimizer=SGD(model.parameters(), lr=1e300))


def test_compiled_training_matches_eager_training_exactly():
    import math

    from microgradnode.nn import MLP
    from microgradnode.nn.datasets import moons
    from microgradnode.nn.optim import Adam
    from microgradnode.nn.training import train

    points, labels = moons(40, seed=3)
    histories = []
    for compiled in (False, True):
        model = MLP(2, [6, 1], activation='tanh', seed=3)
        histories.append((train(model, points, labels, steps=12, loss='bce', compiled=compiled,
                                accuracy_every=5, optimizer=Adam(model.parameters(), lr=0.05)),
                          [p.data for p in model.parameters()]))
    (eager, eager_weights), (compiled, compiled_weights) = histories
    assert compiled.losses == eager.losses          # bit for bit, step by step
    assert compiled_weights == eager_weights
    measured = [i for i, a in enumerate(compiled.accuracies) if not math.isnan(a)]
    assert measured == [0, 5, 10, 11]
    assert [compiled.accuracies[i] for i in measured] == [eager.accuracies[i] for i in measured]


def test_fit_compile_option_trains_and_says_so(capsys):
    status = main(['fit', '--steps', '30', '--samples', '40', '--layers', '8', '--no-progress', '--compile'])
    out = capsys.readouterr().out
    assert status == 0
    assert 'compiled' in out and '30 steps' in out


# -- every number on a line describes one model state (issue 22, item 4) --------------------------

def _fit_lines(args: list[str]) -> tuple[str, list[str]]:
    root = Path(__file__).resolve().parents[2]
    path = os.pathsep.join(filter(None, [str(root), os.environ.get('PYTHONPATH')]))
    env = {**os.environ, 'PYTHONPATH': path}
    done = subprocess.run([sys.executable, '-m', 'microgradnode', 'fit', *args], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr.splitlines()


def _trained(steps: int):
    from microgradnode.nn.optim import Adam
    from microgradnode.nn.training import evaluate
    points, labels = moons(100, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    history = train(model, points, labels, steps=steps, optimizer=Adam(model.parameters(), lr=0.05))
    return history, evaluate(model, points, labels)


def test_the_summary_gives_the_trained_models_loss_and_accuracy():
    # --steps 1 printed the first model's loss beside the updated model's accuracy.
    out, _ = _fit_lines(['--steps', '1', '--seed', '0', '--no-progress'])
    history, (loss, accuracy_now) = _trained(1)
    assert loss != history.losses[-1]  # the two states really differ
    assert f'after 1 step: loss {loss:.4f}, training accuracy {accuracy_now:.1%} (' in out


def test_compiled_progress_shows_a_measured_state_and_says_which():
    # The compiled steps measure accuracy every 10 steps: the bar showed step 0's 50% beside
    # the losses of steps 2 to 4.
    _, eager = _fit_lines(['--steps', '5', '--seed', '0'])
    _, compiled = _fit_lines(['--steps', '5', '--seed', '0', '--compile'])
    history, _ = _trained(5)
    states = {k: f'after {k} update{"" if k == 1 else "s"}: loss {history.losses[k]:.4f}, '
                 f'accuracy {history.accuracies[k]:.0%}' for k in range(5)}
    assert eager == [f'training: {k + 1}/5 steps ({(k + 1) * 20}%), {states[k]}' for k in (1, 2, 3, 4)]
    assert compiled == [f'training: {k + 1}/5 steps ({(k + 1) * 20}%), {states[0 if k < 4 else 4]}'
                        for k in (1, 2, 3, 4)]


# -- a graph larger than the memory left is refused before it is built (issue 22, item 15) --------

@pytest.mark.parametrize('sizes', [[2, 3, 1], [2, 4, 5, 1], [2, 2, 3, 4, 1]])
@pytest.mark.parametrize('loss', ['hinge', 'bce', 'mse'])
@pytest.mark.parametrize('l2', [1e-4, 0.0])
def test_the_estimated_graph_size_is_the_graph_s_size(sizes, loss, l2):
    from microgradnode import topological_order
    from microgradnode.nn.training import batch_loss, graph_nodes
    for samples in (1, 7):
        points, labels = moons(samples, seed=0)
        model = MLP(sizes[0], sizes[1:], seed=0)
        value, _ = batch_loss(model, points, labels, loss=loss, l2=l2)
        real = len(topological_order(value))
        # never less, at most two Values per point more
        assert real <= graph_nodes(sizes, samples, l2=l2) <= real + 2 * samples


def test_the_bytes_per_node_figure_is_what_a_graph_takes():
    import gc
    import tracemalloc

    from microgradnode import topological_order
    from microgradnode.nn.training import BYTES_PER_NODE, batch_loss
    points, labels = moons(30, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        value, _ = batch_loss(model, points, labels)
        value.backward()
        measured = (tracemalloc.get_traced_memory()[0] - before) / len(topological_order(value))
    finally:
        tracemalloc.stop()
    # tracemalloc counts Python's objects, not the allocator's overhead that resident memory adds.
    assert measured <= BYTES_PER_NODE <= 1.5 * measured, measured


def test_fit_too_large_for_the_memory_left_is_one_line_before_training():
    import resource
    root = Path(__file__).resolve().parents[2]
    path = os.pathsep.join(filter(None, [str(root), os.environ.get('PYTHONPATH')]))
    limit = 3 * 2**30  # the tester's 3 GB: --layers 1000 1000 on 100 points needs about 35 GB

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    done = subprocess.run([sys.executable, '-m', 'microgradnode', 'fit', '--layers', '1000', '1000'],
                          capture_output=True, text=True, timeout=60, preexec_fn=limited,
                          env={**os.environ, 'PYTHONPATH': path})
    assert done.returncode == 2 and done.stdout == ''
    assert re.fullmatch(r'microgradnode fit: error: a training step of MLP 2-1000-1000-1 on 100 points '
                        r'records about 204,015,606 values, about 34\.2 GB of memory, and about [0-3]\.\d GB '
                        r'is available: lower --samples to \d or fewer, or make --layers smaller\n',
                        done.stderr), done.stderr
