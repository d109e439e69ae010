"""Train a 2-16-16-1 network on two moons with nothing but Values and backward().

Run: python examples/moons.py [STEPS]   (default 100 steps; writes two PNG files here)

The same run from the command line:
    microgradnode fit --dataset moons --layers 16 16 --loss hinge --optimizer adam \\
        --steps 100 --plot-boundary moons_boundary.png --plot-loss moons_loss.png
"""

import sys

from microgradnode.nn import MLP
from microgradnode.nn.datasets import moons
from microgradnode.nn.losses import hinge
from microgradnode.nn.optim import Adam
from microgradnode.nn.training import History, accuracy, plot_decision_boundary, plot_history

points, labels = moons(100, noise=0.1, seed=0)       # labels: -1 upper moon, +1 lower moon
model = MLP(2, [16, 16, 1], activation='relu', seed=0)
print(model)
optimizer = Adam(model.parameters(), lr=0.05)
history = History()
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100

for step in range(steps):
    scores = [model(point) for point in points]       # forward: builds the graph
    loss = hinge(scores, labels, l2=1e-4, parameters=model.parameters())
    optimizer.zero_grad()
    loss.backward()                                    # backward: every weight gets its grad
    optimizer.step()                                   # update: the weights move downhill
    history.losses.append(loss.data)
    history.accuracies.append(accuracy(scores, labels))
    if step % 10 == 0 or step == steps - 1:
        print(f'step {step:3d}  loss {loss.data:.4f}  accuracy {history.accuracies[-1]:.0%}')

final_accuracy = accuracy([model(point) for point in points], labels)  # after the last update
print(f'training accuracy after {steps} steps: {final_accuracy:.0%}')
plot_decision_boundary(model, points, labels, 'moons_boundary.png')
plot_history(history, 'moons_loss.png', title='Two moons, 2-16-16-1 ReLU MLP, Adam')
print('saved moons_boundary.png and moons_loss.png')
