"""Lessons built from the other layers: the walkthrough page, one step of backprop at a time.

>>> from microgradnode import Value
>>> x = Value(2.0, 'x'); y = (x * x).tanh()
>>> len(walkthrough(y).frames) > 0
True
"""

from .network import network_walkthrough
from .walkthrough import DEFAULT_MAX_NODES, Frame, Walkthrough, walkthrough

__all__ = ['walkthrough', 'network_walkthrough', 'Walkthrough', 'Frame', 'DEFAULT_MAX_NODES']
