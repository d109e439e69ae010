"""The bottom layer: the operation table and the small language its formulas are written in.

``table`` holds one row per primitive operation (its forward formula and its local
derivatives, written once); ``syntax`` reads those formula strings for every layer above
(the engine, both modes of differentiation, explanations, the compiler). Nothing here
imports anything else of the package.

>>> OPS['sigmoid'].local
('out * (1.0 - out)',)
"""

from .table import FUNCTIONS, OPS, Op, StrongZero, power, sigmoid, slope_power, softplus, strong_zero

__all__ = ['Op', 'OPS', 'FUNCTIONS', 'sigmoid', 'softplus', 'power', 'slope_power', 'StrongZero',
           'strong_zero']
