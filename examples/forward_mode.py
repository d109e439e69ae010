"""Forward mode beside reverse mode on the seed notebook's two-node network.

Run: python examples/forward_mode.py

The gradient of the loss with respect to the three weights, both ways: forward mode
takes one pass per weight (a tangent pushed from that weight to the loss), reverse mode
one backward pass for all three. Then the Hessian times a vector, as reverse over
reverse and as forward over reverse.
"""

from microgradnode import hvp, twonode
from microgradnode.calculus.forward import forward_tangents
from microgradnode.calculus.jacobian import jacobian_of

net = twonode.build()
weights = net.weights

print('Forward mode: one pass per weight, each pushing the tangent w′ = 1 to the loss')
for weight in weights:
    tangents = forward_tangents(net.loss, {weight: 1.0})
    print(f'  {weight.label}′ = 1  →  loss′ = d loss / d {weight.label} = {tangents[net.loss]:.6f}')

for mode in ('forward', 'reverse'):
    (row,), costs = jacobian_of([net.loss], weights, mode=mode)
    print(f'{mode:>7} mode: {len(costs)} pass{"es" if len(costs) > 1 else ""}, '
          f'{sum(costs)} multiply-adds, gradient {[round(g, 6) for g in row]}')

vector = [1.0, 0.0, 0.0]
print('Hessian times', vector)
for mode in ('reverse-over-reverse', 'forward-over-reverse'):
    print(f'  {mode}: {[round(h, 6) for h in hvp(net.loss, weights, vector, mode=mode)]}')
