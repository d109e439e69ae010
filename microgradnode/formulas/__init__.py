"""Formulas for people: the table's derivatives printed as words, LaTeX and MathML, the
chain rule of a gradient spelled out (``explain``), and typed expressions read into graphs.

- ``printing``: one formula printer (names, numbers, precedence) for every notation;
- ``explain``: a gradient as the sum over paths of products of local derivatives;
- ``expression``: the text a user types (``'w*x + b'``) read into a graph of Values.

>>> from microgradnode import Value
>>> x = Value(2.0, 'x'); y = x * x
>>> local_formula(y, 0, NodeNames(y)).text
'x'
"""

from .printing import Formula, NodeNames, escape_latex, format_number, latex, local_formula, mathml

__all__ = ['NodeNames', 'Formula', 'local_formula', 'format_number', 'latex', 'mathml', 'escape_latex']
