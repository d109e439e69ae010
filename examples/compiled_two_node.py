"""The notebook's two-node network, with backprop written out by microgradnode.compile.

Run: python examples/compiled_two_node.py

It prints the generated code (compare it with the hand derivation in the notebook:
x1 = w0*s0, s1 = sigmoid(x1), ..., and the weight updates built from out - target),
then trains the network with that code for 1000 steps, as the notebook does.
"""

from microgradnode import Value, compile

# Step 1: initial weights, the input and the target, as in the notebook.
w0, w1, w2 = Value(2.0, 'w0'), Value(1.0, 'w1'), Value(0.5, 'w2')
s0, target = Value(2.0, 's0'), Value(0.7, 'target')

# Step 2: the forward pass, once, to record the graph. Labels become variable names.
x1 = w0 * s0;       x1.label = 'x1'   # noqa: E702
s1 = x1.sigmoid();  s1.label = 's1'   # noqa: E702
x2 = w1 * s1;       x2.label = 'x2'   # noqa: E702
s2 = x2.sigmoid();  s2.label = 's2'   # noqa: E702
out = w2 * s2;      out.label = 'out'  # noqa: E702
loss = 0.5 * (out - target) ** 2
loss.label = 'loss'

backprop = compile(loss)
print(backprop.source)

# Steps 3 and 4: update the weights, many times. Each call re-reads the weights' .data.
alpha = 0.1
weights = (w0, w1, w2)
for step in range(1000):
    for w in weights:
        w.grad = 0.0
    value = backprop()
    for w in weights:
        w.data -= alpha * w.grad
    if step % 250 == 0:
        print(f'step {step:4d}: loss {value:.6f}')
print('weights after 1000 steps:', ', '.join(f'{w.label}={w.data:.4f}' for w in weights))
