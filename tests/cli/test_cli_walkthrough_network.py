"""``microgradnode walkthrough --network mlp --html FILE``: the network page from the command line."""

from __future__ import annotations

import json
import re

import pytest

from microgradnode.cli import main
from microgradnode.nn.datasets import circles, xor


def run_cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def page_live(path) -> dict:
    data = re.search(r'const WALK = (.*?);\n', path.read_text('utf-8')).group(1)
    return json.loads(data.replace('\\u003c', '<').replace('\\u003e', '>'))['live']


def test_default_network_page(capsys, tmp_path):
    target = tmp_path / 'mlp.html'
    status, out, err = run_cli(capsys, 'walkthrough', '--network', 'mlp', '--html', str(target))
    assert status == 0 and not err
    assert out == (f'wrote {target}: an MLP 2-6-6-1 (tanh, 67 parameters) on 60 points, hinge loss; '
                   'Train runs gradient descent with its decision boundary; open it in a browser '
                   '(it needs no network)\n')
    live = page_live(target)
    assert len(live['network']['points']) == 60 and live['network']['rate'] == 1.0


def test_dataset_samples_layers_seed_and_rate_are_used(capsys, tmp_path):
    target = tmp_path / 'c.html'
    status, out, _ = run_cli(capsys, 'walkthrough', '--network', 'mlp', '--dataset', 'circles',
                             '--samples', '40', '--layers', '4', '3', '--seed', '2', '--lr', '0.3',
                             '--html', str(target))
    assert status == 0 and 'an MLP 2-4-3-1 (tanh, 31 parameters) on 40 points' in out
    network = page_live(target)['network']
    points, labels = circles(40, noise=0.05, seed=2)
    assert network['points'] == [[x, y, label] for (x, y), label in zip(points, labels)]
    assert network['rate'] == 0.3
    status, out, _ = run_cli(capsys, 'walkthrough', '--network', 'mlp', '--dataset', 'xor', '--samples', '8',
                             '--html', str(target))
    assert status == 0
    points, _ = xor(8, noise=0.1, seed=0)
    assert [p[:2] for p in page_live(target)['network']['points']] == points


@pytest.mark.parametrize('argv, words', [
    (['--network', 'mlp'], '--network mlp is a live page: give --html FILE'),
    (['--network', 'mlp', '--html', 'x.html', '--gif', 'x.gif'], '--gif does not go with --network mlp'),
    (['--network', 'mlp', '--html', 'x.html', '--quiz'], '--quiz does not go with --network mlp'),
    (['--network', 'mlp', '--html', 'x.html', '--set', 'x0=1'], '--set does not go with --network mlp'),
    (['--network', 'mlp', '--html', 'x.html', '--mode', 'forward'], '--mode forward does not go with'),
    (['--network', 'mlp', '--html', 'x.html', '--dataset', 'xor', '--samples', '6'],
     'xor needs a multiple of 4'),
    (['--network', 'mlp', '--html', 'x.html', '--layers', '16', '16', '16'], 'reads at most 400'),
    (['--network', 'mlp', '--html', 'x.html', '--layers', '17'], 'must be a whole number from 1 to 16'),
    (['--network', 'mlp', '--html', 'x.html', '--samples', '501'], 'must be a whole number from 1 to 500'),
    (['--network', 'mlp', '--html', 'x.html', '--lr', 'nan'], 'must be a number above 0'),
    (['--layers', '3', '--html', 'x.html'], '--layers goes with --network mlp'),
    (['--dataset', 'moons'], '--dataset goes with --network mlp'),
    (['a*b', '--network', 'mlp', '--html', 'x.html'], '--network mlp is a graph of its own'),
])
def test_what_does_not_go_with_the_network_page_is_one_line_and_writes_nothing(
        capsys, tmp_path, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    try:
        status = main(['walkthrough', *argv])
    except SystemExit as exit:  # argparse's own checks of an option's value
        status = exit.code
    err = capsys.readouterr().err
    assert status == 2
    assert words in err and err.count('\n') == 1, err
    assert list(tmp_path.iterdir()) == []
