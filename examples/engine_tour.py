"""A first look at the engine: build an expression, run backward, check the gradients.

Run: python examples/engine_tour.py
"""

from microgradnode import Value, gradcheck

x = Value(2.0, label='x')
w = Value(-0.5, label='w')
y = (w * x).sigmoid() + x ** 2

y.backward()
print(f'y = {y.data:.6f}')
print(f'dy/dx = {x.grad:.6f}   dy/dw = {w.grad:.6f}')

# The same gradients, measured by nudging each input: they should agree.
print(gradcheck(lambda x, w: (w * x).sigmoid() + x ** 2, [x, w]))
