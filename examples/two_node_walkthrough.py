"""The seed notebook's four steps of backpropagation, with the engine doing the calculus.

The notebook derives the weight updates of a two-node network on paper. Here the
network is built from Values, and one backward pass gives every gradient.

Run: python examples/two_node_walkthrough.py [figure.png]
"""

import sys

from microgradnode import Value
from microgradnode.twonode import build, gradient_chain, order_gap, save_figure, train

print('Step 1. Choose initial weights.')
w0, w1, w2 = 2.0, 1.0, 0.5
print(f'  w0 = {w0}, w1 = {w1}, w2 = {w2}')

print('\nStep 2. Fix the input and calculate the output (the feedforward pass).')
print(f'  sigmoid(0.5) = {Value(0.5).sigmoid().data!r}')
net = build(s0=2.0, w0=w0, w1=w1, w2=w2, target=0.7)
for node in (net.s0, net.x1, net.s1, net.x2, net.s2, net.out):
    print(f'  {node.label:>3} = {node.data!r}')

print('\nStep 3. Update the weights.')
print('  The loss is 0.5*(out - target)**2; one backward pass fills in every gradient:')
net.loss.backward()
for weight in (net.w2, net.w1, net.w0):
    print(f'  d loss / d {weight.label} = {weight.grad!r}')

# The notebook's question, "What is the expression for w0?", answered from the graph:
# the gradient reaching w0 is the error times one local derivative per edge on the way
# down. The engine recorded each one's number; the operation table says how it is
# computed, so gradient_chain can write it in the network's own names too.
print('\n  What is the expression for w0? Follow the gradient down to it:')
factor = net.out.grad
print(f'    {"d loss/d out":<12} = {"out - target":<17} = {factor:+.6f}')
terms = ['(out - target)']
for link in gradient_chain(net, 'w0'):
    factor *= link.local
    terms.append(link.formula)
    edge = f'd {link.child.label}/d {link.parent.label}'
    print(f'    {edge:<12} = {link.formula:<17} = {link.local:+.6f}')
print(f'  Their product is {factor!r}, the engine\'s w0.grad: {net.w0.grad!r}')
print(f'  So  w0 = w0 - alpha · {" · ".join(terms)}')

alpha = 0.1
print(f'\n  With learning rate alpha = {alpha}, each weight moves by -alpha * gradient:')
for weight in (net.w2, net.w1, net.w0):
    print(f'    {weight.label}: {weight.data} -> {weight.data - alpha * weight.grad!r}')

print('\nStep 4. Repeat steps 2 and 3 many times.')
result = train(steps=1000, alpha=alpha, target=0.7, s0=2.0, weights=(w0, w1, w2), order='notebook')
print('  iteration        w2        w1        w0       out   (weights after the update, out before)')
for row in (*result.rows[:3], result.rows[-1]):
    print(f'  {row.iteration:>9}  {row.w2:.6f}  {row.w1:.6f}  {row.w0:.6f}  {row.out:.6f}')
print(f'  final output {result.final_out:.6f} (target 0.7), loss {result.final_loss:.3g}')

exact = train(steps=1000, alpha=alpha, target=0.7, s0=2.0, weights=(w0, w1, w2), order='simultaneous')
print(f'\n  The notebook updates w2 first and uses the new w2 in the other updates; with all'
      f'\n  three updated from the same gradients the weights end at most '
      f'{order_gap(result, exact).largest_weight_gap:.3g} away.')

if len(sys.argv) > 1:
    print(f'\nThe notebook\'s figure: {save_figure(result, sys.argv[1])}')
