"""Newton's method against gradient descent on a small logistic regression.

Run: python examples/newton_logistic_regression.py

Two overlapping clouds of 40 points each, a logistic regression ``sigmoid(w1*x1 + w2*x2 + b)``
trained with cross-entropy and a little L2. Newton's method needs the Hessian of the loss:
``microgradnode.hessian`` builds the gradient as a graph (``grad(..., create_graph=True)``)
and differentiates it again. Both methods run until the loss is within 1e-10 of its minimum;
the script prints how many steps each needed.
"""

import random

import numpy as np

from microgradnode import Value, grad, hessian
from microgradnode.nn.losses import binary_cross_entropy

TOLERANCE = 1e-10
GD_STEPS = 20_000


def clouds(seed: int = 0, per_class: int = 40) -> tuple[list[tuple[float, float]], list[int]]:
    """Two Gaussian clouds, centred at (-1, -0.5) and (1, 0.5): they overlap, so the
    optimum is finite (separable data would send the weights to infinity)."""
    generator = random.Random(seed)
    points, labels = [], []
    for label, (cx, cy) in ((0, (-1.0, -0.5)), (1, (1.0, 0.5))):
        for _ in range(per_class):
            points.append((generator.gauss(cx, 1.0), generator.gauss(cy, 1.0)))
            labels.append(label)
    return points, labels


POINTS, LABELS = clouds()


def loss_at(weights: list[float]) -> tuple[Value, list[Value]]:
    w1, w2, b = parameters = [Value(w, name) for w, name in zip(weights, ('w1', 'w2', 'b'))]
    logits = [w1 * x1 + w2 * x2 + b for x1, x2 in POINTS]
    return binary_cross_entropy(logits, LABELS, l2=1e-3, parameters=[w1, w2]), parameters


def newton(weights: list[float], steps: int = 50) -> list[float]:
    """Newton steps w -= H⁻¹ g; returns the loss before each step and after the last."""
    losses = []
    for _ in range(steps):
        loss, parameters = loss_at(weights)
        losses.append(loss.data)
        g = np.array([d.data for d in grad(loss, parameters)])
        if np.abs(g).max() < 1e-15:
            break
        # The L2 term keeps this Hessian positive definite: no damping needed here, unlike
        # the two-node network (one sample, three weights), whose Hessian is singular.
        step = np.linalg.solve(np.array(hessian(loss, parameters)), -g)
        weights = [w + s for w, s in zip(weights, step)]
    return losses


def gradient_descent(weights: list[float], alpha: float, minimum: float) -> int | None:
    """Steps until the loss is within TOLERANCE of ``minimum`` (None if not in GD_STEPS)."""
    for step in range(GD_STEPS):
        loss, parameters = loss_at(weights)
        if loss.data - minimum <= TOLERANCE:
            return step
        loss.backward()
        weights = [p.data - alpha * p.grad for p in parameters]
    return None


start = [0.0, 0.0, 0.0]
losses = newton(start)
minimum = min(losses)
newton_steps = next(i for i, loss in enumerate(losses) if loss - minimum <= TOLERANCE)
print(f'{len(POINTS)} points, logistic regression with 3 parameters, cross-entropy + 1e-3 L2')
print(f'Minimum loss {minimum:.12f}')
for i, loss in enumerate(losses[:newton_steps + 1]):
    print(f'  Newton step {i}: loss {loss:.12f}  (above the minimum by {loss - minimum:.3g})')
# The largest safe learning rate is 1 / (largest eigenvalue of the Hessian) at most; use it.
loss, parameters = loss_at(start)
alpha = 1.0 / max(np.linalg.eigvalsh(np.array(hessian(loss, parameters))))
gd_steps = gradient_descent(start, alpha, minimum)
print(f'Steps to reach the minimum within {TOLERANCE:g}:')
print(f'  Newton:           {newton_steps}')
print(f'  gradient descent: {gd_steps if gd_steps is not None else f"not reached in {GD_STEPS}"} '
      f'(alpha = {alpha:.3g}, 1 / the largest curvature)')
