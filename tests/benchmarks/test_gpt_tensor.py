"""The scalar GPT on tensors: the same losses as the scalar engine's, step for step, to 1e-9."""

from __future__ import annotations

from benchmarks import gpt, gpt_tensor

from ..conftest import require_module


def test_tensor_gpt_trains_with_the_scalar_gpts_losses():
    scalar = gpt_tensor.scalar_training(3)
    tensor = gpt_tensor.tensor_training('microgradnode.tensor', 3)
    assert tensor['parameters'] == scalar['parameters'] == 4192
    assert max(abs(a - b) for a, b in zip(tensor['losses'], scalar['losses'])) <= 1e-9
    assert tensor['losses'][0] != tensor['losses'][1]  # it did train


def test_pytorch_runs_the_same_tensor_program_with_the_same_losses():
    require_module('torch')
    ours = gpt_tensor.tensor_training('microgradnode.tensor', 3)
    theirs = gpt_tensor.tensor_training('pytorch.tensor', 3)
    assert max(abs(a - b) for a, b in zip(ours['losses'], theirs['losses'])) <= 1e-9


def test_the_moons_step_on_tensors_matches_the_scalar_demo():
    from benchmarks import workload
    engine = workload.value_engine('microgradnode', __import__('microgradnode').Value)
    points, labels = workload.moons()
    mlp = workload.init_mlp(engine)
    scalar = [workload.train_step(engine, mlp, points, labels) for _ in range(3)]
    tensor = gpt_tensor.moons_tensor_training('microgradnode.tensor', 2)['losses']
    assert max(abs(a - b) for a, b in zip(scalar, tensor)) <= 1e-9


def test_a_wider_model_widens_the_scalar_module_too():
    saved = gpt.EMBED, gpt.HIDDEN, gpt.HEAD_SIZE
    try:
        gpt_tensor.widen(2)
        assert (gpt.EMBED, gpt.HIDDEN, gpt.HEAD_SIZE) == (32, 128, 8)
        tensor = gpt_tensor.tensor_training('microgradnode.tensor', 1)
        scalar = gpt_tensor.scalar_training(1)
        assert tensor['parameters'] == scalar['parameters'] > 4192
        assert max(abs(a - b) for a, b in zip(tensor['losses'], scalar['losses'])) <= 1e-9
    finally:
        gpt.EMBED, gpt.HIDDEN, gpt.HEAD_SIZE = saved
