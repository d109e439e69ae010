"""A graph compiled into straight-line code that replays its forward and backward passes.

``python`` writes the Python function (``compile``); every line comes from the operation
table's formulas, so the code reads like the hand derivation. ``javascript`` writes the
same rows as JavaScript, for the live walkthrough page (imported when that page is made).

>>> from microgradnode import Value
>>> x = Value(2.0, 'x'); y = x * x
>>> step = compile(y)
>>> _ = step(); x.grad
4.0
"""

from .python import COMPACT_ABOVE, MAX_NODES, CompileCache, Compiled, compile

__all__ = ['compile', 'Compiled', 'CompileCache', 'MAX_NODES', 'COMPACT_ABOVE']
