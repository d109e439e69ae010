"""MLP.to_torch and MLP.from_torch: the same network in PyTorch, and back."""

from __future__ import annotations

import subprocess
import sys

import pytest

from microgradnode.nn import MLP

from ..conftest import require_module


@pytest.fixture
def torch():
    return require_module('torch')


@pytest.mark.parametrize('activation, output_activation, bias', [
    ('relu', 'linear', True), ('tanh', 'sigmoid', True), ('sigmoid', 'tanh', False),
    ('linear', 'relu', True)])
def test_to_torch_gives_the_same_outputs_and_gradients(torch, activation, output_activation, bias):
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=output_activation, bias=bias, seed=4)
    net = model.to_torch()
    assert isinstance(net, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    x = [0.3, -1.2, 2.5]
    ours = model(x)
    (ours[0] * 2 + ours[1] ** 2).backward()
    theirs = net(torch.tensor(x, dtype=torch.float64))
    (theirs[0] * 2 + theirs[1] ** 2).backward()
    assert [v.data for v in ours] == pytest.approx(theirs.tolist(), rel=1e-12, abs=1e-15)
    torch_grads = []
    for linear in (m for m in net if isinstance(m, torch.nn.Linear)):
        for j in range(linear.out_features):
            torch_grads += linear.weight.grad[j].tolist()
            if bias:
                torch_grads.append(linear.bias.grad[j].item())
    assert [p.grad for p in model.parameters()] == pytest.approx(torch_grads, rel=1e-12, abs=1e-15)


def test_round_trip_keeps_every_weight_bit_for_bit(torch):
    model = MLP(2, [16, 16, 1], activation='tanh', seed=9)
    back = MLP.from_torch(model.to_torch())
    assert repr(back) == repr(model)
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    # The copies are independent: training one leaves the other alone.
    net = model.to_torch()
    with torch.no_grad():
        net[0].weight.zero_()
    assert model.parameters()[0].data != 0.0


def test_from_torch_reads_a_network_built_and_trained_in_torch(torch):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                              torch.nn.Linear(8, 1), torch.nn.Identity())
    model = MLP.from_torch(net)
    assert repr(model).splitlines()[0] == 'MLP(2 -> [8, 8, 1], 105 parameters)'
    for x in ([0.5, -0.25], [3.0, 1e-8], [-2.0, 7.5]):
        expected = net(torch.tensor(x)).item()  # float32 in torch: compare at its precision
        assert model(x).data == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize('build, message', [
    (lambda nn: nn.Linear(2, 1), 'needs a torch.nn.Sequential, not Linear'),
    (lambda nn: nn.Sequential(), 'at least one Linear layer'),
    (lambda nn: nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), r'layer \(0\): cannot convert ReLU here'),
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), r'layer \(2\): cannot convert Tanh'),
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Dropout(), nn.Linear(3, 1)), 'cannot convert Dropout'),
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), r'layer \(1\): Linear takes 4 inputs but'),
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1)),
     'different activations'),
    (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1, bias=False)), 'all or none'),
])
def test_from_torch_names_what_it_cannot_convert(torch, build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        MLP.from_torch(build(torch.nn))


def test_torch_is_imported_only_when_called(tmp_path):
    hide = ("import sys\nclass H:\n    def find_spec(self, name, path=None, target=None):\n"
            "        if name.partition('.')[0] == 'torch': raise ModuleNotFoundError(name, name='torch')\n"
            "sys.meta_path.insert(0, H())\n")
    code = hide + ("from microgradnode.nn import MLP\nm = MLP(2, [1], seed=0)\nprint(m([1.0, 2.0]).data)\n"
                   "try:\n    m.to_torch()\nexcept ImportError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == ("MLP.to_torch and MLP.from_torch need the package 'torch', "
                                             "which is not installed: pip install torch")
