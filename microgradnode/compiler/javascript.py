"""Backprop as JavaScript: the operation table's rows translated for a web page.

The live walkthrough page recomputes the forward and backward passes in the browser
whenever the learner moves a slider. It must compute exactly what the Python engine
computes, and it must not know a derivative of its own. So its arithmetic is
generated here from the rows of :data:`~microgradnode.ops.table.OPS`: each row's
forward formula and local derivatives, read by the same formula reader
(:func:`microgradnode.ops.syntax.parse`) as the Python compiler, are written as
JavaScript functions. The loop that runs them (:data:`ENGINE_JS`) knows only the
graph's shape: value ``i`` is ``forward(parents)``, and its gradient reaches each parent
as ``upstream × local``, added in the order the Python engine adds them.

What JavaScript lacks is written once, in :data:`HELPERS_JS`: the table's helper
functions (``sigmoid``, ``softplus``, ``power``, ``slope_power``), numerically the same
as their Python versions. Where Python raises (``log(-1)``, ``1 / 0``) JavaScript gives
NaN or an infinity, which the page reports with the row's ``problem``.

>>> print(javascript_formula('0.0 if a <= 0.0 else 1.0'))
(a <= 0.0 ? 0.0 : 1.0)
>>> print(javascript_formula('k * slope_power(a, k - 1.0) if k else 0.0'))
(truth(k) ? (k * H.slope_power(a, (k - 1.0))) : 0.0)
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Collection

from ..engine import Value, topological_order
from ..ops.syntax import OPERANDS, called_name, inline, parse
from ..ops.table import FUNCTIONS, OPS

__all__ = ['javascript_formula', 'ops_javascript', 'HELPERS_JS', 'ENGINE_JS', 'graph_arrays',
           'to_javascript']

HELPERS_JS = {
    'exp': 'Math.exp', 'log': 'Math.log', 'sqrt': 'Math.sqrt', 'tanh': 'Math.tanh',
    'sin': 'Math.sin', 'cos': 'Math.cos', 'fabs': 'Math.abs',
    # exp() only ever sees a non-positive number, as in ops.sigmoid.
    'sigmoid': 'x => { if (x >= 0.0) return 1.0 / (1.0 + Math.exp(-x)); const e = Math.exp(x); '
               'return e / (1.0 + e); }',
    'softplus': 'x => (x > 0.0 ? x : 0.0) + Math.log1p(Math.exp(-Math.abs(x)))',
    # Python raises where the result is not a real number; the page gets NaN and says why.
    'power': '(a, k) => (a < 0.0 && Number.isFinite(k) && !Number.isInteger(k)) || (a === 0.0 && k < 0.0) '
             '? NaN : a ** k',
    'slope_power': '(a, k) => (a === 0.0 && k < 0.0) ? Infinity : Math.pow(a, k)',
}
"""The table's helper functions in JavaScript (the names of :data:`microgradnode.ops.FUNCTIONS`)."""

# strong_zero (a slope through which nothing flows: a dead ReLU) is an object JavaScript
# can recognise: the engine's loop passes 0 back along its edge whatever arrives, as
# Python's StrongZero does; stored as a number it is 0.
_CONSTANTS_JS = {'inf': 'Infinity', 'nan': 'NaN', 'strong_zero': 'STRONG_ZERO'}

# Helpers a user's operation may bring (define_operation(..., functions={'atan': math.atan})):
# when one is the math module's own function, JavaScript's Math has the same one.
_MATH_JS = ('atan', 'asin', 'acos', 'sinh', 'cosh', 'atanh', 'asinh', 'acosh', 'log1p', 'expm1',
            'cbrt', 'atan2', 'hypot', 'log2', 'log10')


def helper_javascript(name: str) -> str | None:
    """The JavaScript of a helper the table's formulas call, or None when there is none.

    >>> helper_javascript('fabs'), helper_javascript('no_such_helper')
    ('Math.abs', None)
    """
    if name in HELPERS_JS:
        return HELPERS_JS[name]
    if name in _MATH_JS and FUNCTIONS.get(name) is getattr(math, name, None):
        return f'Math.{name}'
    return None


def _helpers_called(formula: str) -> set[str]:
    return {called_name(node) for node in ast.walk(inline(parse(formula))) if isinstance(node, ast.Call)}
_BINARY = {ast.Add: '+', ast.Sub: '-', ast.Mult: '*', ast.Div: '/'}
_COMPARE = {ast.Gt: '>', ast.GtE: '>=', ast.Lt: '<', ast.LtE: '<=', ast.Eq: '===', ast.NotEq: '!=='}


def _number(value: float) -> str:
    if math.isnan(value):
        return 'NaN'
    if math.isinf(value):
        return 'Infinity' if value > 0 else '(-Infinity)'
    text = repr(float(value))
    return f'({text})' if text.startswith('-') else text


def _value(tree: ast.expr) -> str:
    """A formula's number-valued part as JavaScript, every compound part in brackets."""
    if isinstance(tree, ast.Constant) and isinstance(tree.value, (int, float)):
        return _number(float(tree.value))
    if isinstance(tree, ast.Name):
        if tree.id in OPERANDS:
            return tree.id
        if tree.id in _CONSTANTS_JS:
            return _CONSTANTS_JS[tree.id]
        raise ValueError(f'the helper {tree.id!r} is not a number')
    if isinstance(tree, ast.BinOp) and type(tree.op) in _BINARY:
        return f'({_value(tree.left)} {_BINARY[type(tree.op)]} {_value(tree.right)})'
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, (ast.USub, ast.UAdd)):
        return f'({"-" if isinstance(tree.op, ast.USub) else "+"}{_value(tree.operand)})'
    if isinstance(tree, ast.IfExp):
        return f'({_test(tree.test)} ? {_value(tree.body)} : {_value(tree.orelse)})'
    if isinstance(tree, ast.Call):
        name = called_name(tree)
        if helper_javascript(name) is None:
            raise ValueError(f'no JavaScript for the ops table helper {name!r}: add it to HELPERS_JS')
        return f'H.{name}({", ".join(_value(argument) for argument in tree.args)})'
    raise ValueError(f'formula form with no JavaScript translation: {ast.unparse(tree)}')


def _test(tree: ast.expr) -> str:
    """A condition as a JavaScript boolean, true exactly when Python's would be.

    A bare number tests as Python does: true unless zero (NaN is true), hence ``truth()``.
    """
    if isinstance(tree, ast.Compare):
        parts, left = [], _value(tree.left)
        for op, comparator in zip(tree.ops, tree.comparators):
            if type(op) not in _COMPARE:
                raise ValueError(f'comparison with no JavaScript translation: {ast.unparse(tree)}')
            right = _value(comparator)
            parts.append(f'{left} {_COMPARE[type(op)]} {right}')
            left = right
        return parts[0] if len(parts) == 1 else '(' + ' && '.join(parts) + ')'
    if isinstance(tree, ast.BoolOp):
        joiner = ' && ' if isinstance(tree.op, ast.And) else ' || '
        return '(' + joiner.join(_test(value) for value in tree.values) + ')'
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not):
        return f'!{_test(tree.operand)}'
    return f'truth({_value(tree)})'


def javascript_formula(formula: str) -> str:
    """One formula of the operation table as a JavaScript expression over a, b, k, out.

    >>> javascript_formula('out * (1.0 - out)')
    '(out * (1.0 - out))'
    """
    return _value(inline(parse(formula)))


def ops_javascript(required: Collection[str] | None = None) -> str:
    """``const H = {...}; const OPS = {...};``: every row of the table as JavaScript functions.

    Each operation has ``arity``, ``forward(a, b, k)`` and ``local``, one function
    ``(a, b, k, out)`` per parent, and ``problem`` (what makes it undefined). A row whose
    formulas call a helper with no JavaScript (a user's operation) is left out, and is an
    error only when it is ``required`` (the operations a page's graph uses; all, by default).

    >>> 'mul: {arity: 2, forward: (a, b, k) => (a * b), local: [(a, b, k, out) => b' in ops_javascript()
    True
    """
    rows_wanted = []
    called: set[str] = set()
    for op in OPS.values():
        helpers_of_op = {helper for formula in (op.forward, *op.local) for helper in _helpers_called(formula)}
        untranslated = sorted(helper for helper in helpers_of_op if helper_javascript(helper) is None)
        if untranslated and (required is None or op.name in required):
            raise ValueError(f'the live page cannot run the operation {op.name!r}: its formulas call '
                             f'{untranslated[0]!r}, which has no JavaScript translation (its text, diagrams '
                             'and GIF still work)')
        if not untranslated:
            rows_wanted.append(op)
            called |= helpers_of_op
    helpers = ', '.join(f'{name}: {helper_javascript(name)}' for name in sorted(called | set(HELPERS_JS)))
    rows = []
    for op in rows_wanted:
        locals_ = ', '.join(f'(a, b, k, out) => {javascript_formula(local)}' for local in op.local)
        forward = javascript_formula(op.forward)
        rows.append(f'  {op.name}: {{arity: {op.arity}, forward: (a, b, k) => {forward}, '
                    f'local: [{locals_}], problem: {json.dumps(op.problem)}}}')
    return ('const STRONG_ZERO = new Number(0.0);  // the table\'s strong_zero: see ENGINE_JS\n'
            'const truth = x => x !== 0;  // Python\'s truth of a float: NaN is true, 0 and -0 false\n'
            f'const H = {{{helpers}}};\n'
            '// Generated by microgradnode.compiler.javascript from the operation table\'s rows.\n'
            'const OPS = {\n' + ',\n'.join(rows) + '\n};\n')


ENGINE_JS = '''
// The forward and backward passes over a graph given as arrays (node i: operation op[i],
// parents a[i], b[i] (-1: none), constant k[i]); the arithmetic is the table's (OPS).
// Values come in topological order, so a backward loop from the end visits each value
// after all its consumers, in the very order Python's backward() does: the sums are added
// up in the same order, to the same floats.
function makeEngine(graph) {
  const n = graph.op.length, rows = graph.op.map(name => name ? OPS[name] : null);
  const V = new Float64Array(n), G = new Float64Array(n), L = new Float64Array(2 * n);
  const Z = new Uint8Array(2 * n);  // 1 where the slope is strong_zero: nothing flows back
  function forward(leaves) {
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row === null) { V[i] = leaves[i]; continue; }
      const a = V[graph.a[i]], b = row.arity === 2 ? V[graph.b[i]] : undefined, k = graph.k[i];
      const out = row.forward(a, b, k);
      V[i] = out;
      const da = row.local[0](a, b, k, out);
      L[2 * i] = da; Z[2 * i] = da === STRONG_ZERO ? 1 : 0;
      if (row.arity === 2) {
        const db = row.local[1](a, b, k, out);
        L[2 * i + 1] = db; Z[2 * i + 1] = db === STRONG_ZERO ? 1 : 0;
      }
    }
  }
  // What goes through arrow e (slot e % 2 of node e >> 1), backward or forward: x times its
  // slope, or 0 through a strong zero whatever x is (inf, nan).
  function through(e, x) { return Z[e] ? 0.0 : x * L[e]; }
  // What arrow e passes back to its parent: once the node's grad is whole (in backward, and
  // after it), the very number backward added.
  function contribution(e) { return through(e, G[e >> 1]); }
  function backward(seed) {
    G.fill(0.0);
    G[n - 1] = 0.0 + seed;
    for (let i = n - 1; i >= 0; i--) {
      const row = rows[i];
      if (row === null) continue;
      G[graph.a[i]] += contribution(2 * i);
      if (row.arity === 2) G[graph.b[i]] += contribution(2 * i + 1);
    }
  }
  // The values alone, without the local derivatives backward needs: for evaluating the
  // graph at many inputs (the page's decision boundary), about twice as fast.
  function values(leaves) {
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      V[i] = row === null ? leaves[i]
        : row.forward(V[graph.a[i]], row.arity === 2 ? V[graph.b[i]] : undefined, graph.k[i]);
    }
  }
  // Forward mode with the local derivatives forward() recorded: each value's tangent
  // d value / d seed, summed over its parents (reverse mode sums over its children). As in
  // calculus/forward.py, only values the seed reaches carry one (R[i] = 1); the others are 0.
  const T = new Float64Array(n), R = new Uint8Array(n);
  function tangents(seed) {
    T.fill(0.0); R.fill(0);
    for (let i = 0; i < n; i++) {
      const row = rows[i];
      if (row === null) { if (i === seed) { T[i] = 1.0; R[i] = 1; } continue; }
      const a = graph.a[i], b = row.arity === 2 ? graph.b[i] : -1;
      const fromA = R[a] === 1, fromB = b >= 0 && R[b] === 1;
      if (!fromA && !fromB) continue;
      const viaA = fromA ? through(2 * i, T[a]) : 0.0;
      const viaB = fromB ? through(2 * i + 1, T[b]) : 0.0;
      T[i] = fromA && fromB ? viaA + viaB : fromA ? viaA : viaB;
      R[i] = 1;
    }
  }
  return {n, V, G, L, Z, T, R, forward, backward, contribution, values, tangents};
}
'''
"""The loop running a graph's rows: no formula and no derivative of its own."""


def graph_arrays(root: Value) -> tuple[dict, list[Value]]:
    """The graph below ``root`` as the arrays :data:`ENGINE_JS` reads, and its nodes in that order.

    >>> from microgradnode import Value
    >>> x = Value(3.0, 'x'); arrays, order = graph_arrays(x * x + 1.0)
    >>> arrays['op'], arrays['a'], arrays['b']
    (['', 'mul', '', 'add'], [-1, 0, -1, 1], [-1, 0, -1, 2])
    """
    if not isinstance(root, Value):
        raise TypeError(f'graph_arrays needs a Value, not {type(root).__name__}')
    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    arrays: dict = {'op': [], 'a': [], 'b': [], 'k': [], 'data': []}
    for node in order:
        parents = node.parents
        arrays['op'].append(node.op if parents else '')
        arrays['a'].append(index[parents[0]] if parents else -1)
        arrays['b'].append(index[parents[1]] if len(parents) == 2 else -1)
        arrays['k'].append(node.constant)
        arrays['data'].append(node.data)
    return arrays, order


def _json(data: object) -> str:
    # NaN and infinities are not JSON: written as JavaScript names; '<' never ends a script.
    text = json.dumps(data, allow_nan=True).replace('<', '\\u003c')
    return text.replace('-Infinity', '(-Infinity)')


_JS_WORDS = frozenset(
    'break case catch class const continue debugger default delete do else enum export extends false '
    'finally for function if import in instanceof let new null return static super switch this throw true '
    'try typeof var void while with yield await arguments eval undefined NaN Infinity'.split())
_TAKEN_NAMES = _JS_WORDS | {'STRONG_ZERO', 'truth', 'H', 'OPS', 'makeEngine', 'GRAPH', 'makeBackprop'}
"""Names the function may not have: JavaScript's own, and those the generated code declares."""


def to_javascript(root: Value, *, name: str = 'backprop') -> str:
    """A self-contained JavaScript function ``name(leaves)`` doing ``root``'s forward and backward pass.

    ``leaves`` maps a node's index (its place in ``topological_order(root)``) to its new
    data; nodes not given keep the data they had when traced. The function returns
    ``{data, grad, local}``: every node's value, d root / d value, and two local derivatives
    per node (d node / d first parent, d node / d second parent).

    >>> from microgradnode import Value
    >>> source = to_javascript(Value(2.0, 'x') * 3.0)
    >>> source.splitlines()[-1]
    'const backprop = makeBackprop(GRAPH);'
    """
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise ValueError(f'to_javascript: name must be a JavaScript identifier, not {name!r}'[:200])
    if name in _TAKEN_NAMES:
        raise ValueError(f'to_javascript: name {name!r} is taken: '
                         + ('a word of JavaScript' if name in _JS_WORDS else 'the generated code defines it')
                         + '; choose another')
    arrays, order = graph_arrays(root)
    return '\n'.join((
        ops_javascript({node.op for node in order if node.op}), ENGINE_JS,
        f'const GRAPH = {_json(arrays)};',
        'function makeBackprop(graph) {',
        '  const engine = makeEngine(graph);',
        '  return function (leaves) {',
        '    const data = graph.data.slice();',
        '    for (const [i, value] of Object.entries(leaves || {})) data[Number(i)] = value;',
        '    engine.forward(data);',
        '    engine.backward(1.0);',
        '    return {data: Array.from(engine.V), grad: Array.from(engine.G), local: Array.from(engine.L)};',
        '  };',
        '}',
        f'const {name} = makeBackprop(GRAPH);'))

