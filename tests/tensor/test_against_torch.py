"""Tensor programs against PyTorch float64: values and gradients to 1e-10, broadcasting included."""

from __future__ import annotations

import numpy as np
import pytest

from ..conftest import require_module
from .programs import BINARY, STRUCTURAL, UNARY, random_program, replay

TOLERANCE = 1e-10


def _agree(seed: int, torch, *, ops: list[str] | None = None, steps: int = 8) -> set[str]:
    builder, program = random_program(seed, steps=steps, ops=ops)
    ours = builder.nodes[program.output]
    ours.backward()
    theirs, leaves = replay(program, torch)
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=TOLERANCE, abs=TOLERANCE), program.steps
    for tensor, leaf in zip(builder.leaf_tensors, leaves):
        expected = leaf.grad.numpy() if leaf.grad is not None else np.zeros(tensor.shape)
        np.testing.assert_allclose(tensor.grad, expected, rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f'seed {seed}: {program.steps}')
    return program.ops


def test_random_programs_over_every_operation_match_pytorch():
    torch = require_module('torch')
    seen: set[str] = set()
    for seed in range(150):
        seen |= _agree(seed, torch)
    assert seen >= {*UNARY, *BINARY, 'pow', *STRUCTURAL}, 'some operation was never drawn'


@pytest.mark.parametrize('name', BINARY)
def test_broadcasting_patterns_match_pytorch(name):
    torch = require_module('torch')
    for seed in range(25):  # each program: a binary operation against a partner of another shape
        _agree(1000 + seed, torch, ops=[name, 'sum'], steps=3)


def test_matmul_of_vectors_matrices_and_batches_matches_pytorch():
    torch = require_module('torch')
    rng = np.random.default_rng(0)
    shapes = [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
              ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4))]
    from microgradnode.tensor import Tensor
    for left, right in shapes:
        a, b = rng.normal(size=left), rng.normal(size=right)
        ta, tb = Tensor(a), Tensor(b)
        (ta @ tb).sin().sum().backward()
        pa = torch.tensor(a, requires_grad=True)
        pb = torch.tensor(b, requires_grad=True)
        (pa @ pb).sin().sum().backward()
        np.testing.assert_allclose(ta.grad, pa.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE)
        np.testing.assert_allclose(tb.grad, pb.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE)
