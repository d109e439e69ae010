"""Backprop written out as Python: turn a recorded graph into generated source code.

``compile(root)`` walks the graph below ``root`` once and writes a Python function
that does what the engine would do on a freshly built graph: the forward pass, one
line per operation in topological order, then the chain rule, one line per gradient
contribution (``g_w0 += g_x1 * s0``), from ``root`` back to the leaves. Calling the
result re-reads the leaves' ``.data``, returns the new value of ``root`` and adds the
gradients into the leaves' ``.grad``, exactly like ``root.backward()`` would.

That readable form is for people; for big graphs the compact form computes the same
numbers from a few dozen lines, running each formula as a loop over the nodes that
share it (see :func:`compile` and docs/compile.md).

Every formula in the generated code is a row of :data:`microgradnode.ops.OPS`, the
same strings the engine evaluates: the operands ``a``, ``b``, ``out`` and the constant
``k`` are replaced on the parsed expression (an AST rewrite, with the parsing,
substitution and folding of :mod:`microgradnode.formula_syntax`), never by editing text.

>>> from microgradnode import Value
>>> from microgradnode.compiler import compile
>>> w = Value(2.0, 'w'); s = Value(3.0, 's')
>>> y = (w * s).tanh(); y.label = 'y'
>>> step = compile(y)
>>> w.data = 0.1
>>> round(step(), 6), round(w.grad, 6)
(0.291313, 2.745411)
"""

from __future__ import annotations

import ast
import builtins
import copy
import keyword
import math
import operator
import re
import threading
from collections.abc import Callable, Hashable

from .._support.flags import check_flag
from ..calculus.reverse import FixedWhenBuilt
from ..engine import Value, _grad_lock, collector_paused, no_grad, topological_order
from ..ops import FUNCTIONS, OPS
from ..ops.syntax import FoldNumbers, Substitute, inline, number, parse
from ..ops.user import on_change

__all__ = ['compile', 'Compiled', 'CompileCache', 'MAX_NODES', 'COMPACT_ABOVE']

MAX_NODES = 200_000
"""Largest graph ``compile`` accepts unless given a larger ``max_nodes``.

Readable code is one function of about three lines per node, which CPython compiles
in one piece: 66,000 nodes take seconds and 0.5 GB. Compact code grows with the number
of distinct formulas instead (about 2 s and 0.3 GB for 290,000 nodes, mostly tracing).
A bigger graph is refused with a message rather than leaving the user waiting.
"""

COMPACT_ABOVE = 2_000
"""Graphs with more nodes than this get compact code unless ``compact=`` says otherwise."""

# Deepest expression compact code builds before storing a value in a variable: far
# below the parser's nesting limits, and deep enough to fold a neuron's sum.
_MAX_FOLD_DEPTH = 40

# Roles of the operands in the table's formulas, in the order templates number them.
# ``g`` is the gradient flowing in from the node's consumers.
_ROLES = ('a', 'b', 'out', 'g')
_A, _B, _OUT, _G = range(4)
_A_THEN_B, _A_ONLY = (_A, _B), (_A,)

# In compact code every value lives in the list V and every gradient in G, at the
# node's index; a formula is written once, with V[{}]/G[{}] placeholders, and runs in a
# loop over a table of indices for every node that has that very formula.
_VALUE, _GRADIENT = 'V[{}]', 'G[{}]'

_FUNCTION_NAME = 'backprop'
_LEAVES = 'leaves'
# Names a label may not take: they would shadow what the generated code relies on.
_RESERVED = frozenset(FUNCTIONS) | {_FUNCTION_NAME, _LEAVES} | set(dir(builtins))
_IDENTIFIER = re.compile(r'[A-Za-z][A-Za-z0-9_]{0,39}')
_GENERATED = re.compile(r'v[0-9]+')
_UNSAFE_TEXT = re.compile(r'[^\n\x20-\x7e]')


# -- templates: one formula of the table with its operands made into slots -----------------

def _slot_name(role: int) -> str:
    # A name no formula or identifier can contain, so the unparsed text can be cut
    # exactly where the AST put each operand.
    return f'\x00{role}\x00'


class _FoldConstants(FoldNumbers):
    """Work out the parts that depend only on numbers (``k - 1.0``, ``... if k else``)."""

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:  # noqa: N802 - NodeTransformer API
        self.generic_visit(node)
        test = number(node.test)
        if test is None:
            return node
        return node.body if test else node.orelse


class _SpecialFloats(ast.NodeTransformer):
    """inf and nan have no literal: write them with the helper names ``inf``/``nan``."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, float) and not math.isfinite(value):
            if math.isnan(value):
                return ast.Name('nan', ast.Load())
            infinity = ast.Name('inf', ast.Load())
            return infinity if value > 0 else ast.UnaryOp(ast.USub(), infinity)
        return node


class _Template:
    """A formula with numbered slots, ready for ``str.format`` with operand texts.

    ``pattern.format(a, b, out, g)`` writes the formula for one node. ``sign`` is -1
    when a gradient template is just ``-g`` (so ``x += -g`` can read ``x -= g``), and
    ``term`` is the pattern as one term of a sum: `` + g * b`` or `` - g``; ``slots``
    lists the operands in the order the text mentions them.
    """

    __slots__ = ('pattern', 'term', 'term_shape', 'slots', 'pick', 'tree', 'uses', 'unconditional',
                 'sign', 'is_copy', 'parens')

    def __init__(self, tree: ast.AST, sign: int = 1) -> None:
        self.tree = tree
        self.sign = sign
        self.parens: tuple[dict[_Template, bool], ...] = ({}, {})  # per operand a, b
        text = ast.unparse(tree)
        pieces = text.split('\x00')
        # Even pieces are the formula's own text (no braces in the table, escaped anyway);
        # odd pieces are the slot numbers the AST rewrite put in.
        if any('{' in piece or '}' in piece for piece in pieces[::2]):
            raise ValueError(f'an ops table formula has a brace: {text!r}')
        # Even pieces are the formula's own text; odd pieces are the slot numbers the AST
        # rewrite put in, in the order they appear.
        self.pattern = ''.join(piece if i % 2 == 0 else '{' + piece + '}' for i, piece in enumerate(pieces))
        self.slots = tuple(int(piece) for piece in pieces[1::2])
        # pick((a, b, out, g)) -> those operands in the order the text mentions them
        self.pick = (operator.itemgetter(*self.slots) if len(self.slots) > 1
                     else lambda operands, role=self.slots[0]: (operands[role],))
        # The same as one term of a sum of gradient contributions, and with the operands
        # as places in the lists of values (V) and gradients (G) of compact code.
        # A conditional (relu's ``0.0 if a <= 0.0 else g``) binds less tightly than +.
        bracketed = f'({self.pattern})' if isinstance(tree, ast.IfExp) else self.pattern
        self.term = (' + ' if sign > 0 else ' - ') + bracketed
        self.term_shape = self.term.format(_VALUE, _VALUE, _VALUE, _GRADIENT)
        self.uses = [0] * len(_ROLES)
        self.unconditional = [False] * len(_ROLES)
        self._count(tree, conditional=False)
        self.is_copy = isinstance(tree, ast.Name) and tree.id == _slot_name(_G) and sign == 1

    def _count(self, node: ast.AST, *, conditional: bool) -> None:
        if isinstance(node, ast.Name) and node.id.startswith('\x00'):
            role = int(node.id.strip('\x00'))
            self.uses[role] += 1
            self.unconditional[role] = not conditional
            return
        if isinstance(node, ast.IfExp):
            self._count(node.test, conditional=conditional)
            self._count(node.body, conditional=True)
            self._count(node.orelse, conditional=True)
            return
        if isinstance(node, ast.BoolOp):
            self._count(node.values[0], conditional=conditional)
            for value in node.values[1:]:
                self._count(value, conditional=True)
            return
        for child in ast.iter_child_nodes(node):
            self._count(child, conditional=conditional)

    def needs_parens(self, role: int, inner: _Template) -> bool:
        """Does ``inner``'s formula need brackets in this one's slot? Asks ast.unparse itself.

        The answer is kept in ``parens[role]``, which the generator reads directly.
        """
        answer = self.parens[role].get(inner)
        if answer is None:
            inner_tree = _Relabel().visit(copy.deepcopy(inner.tree))
            inner_text = ast.unparse(inner_tree)
            combined = _Plug(_slot_name(role), inner_tree).visit(copy.deepcopy(self.tree))
            operands = [_slot_name(r) for r in range(len(_ROLES))]
            operands[role] = inner_text
            answer = self.parens[role][inner] = ast.unparse(combined) != self.pattern.format(*operands)
        return answer

    def foldable(self, role: int) -> bool:
        """Can an expression take the place of this operand (evaluated once, always)?"""
        return self.uses[role] == 1 and self.unconditional[role]


_rules: dict[object, _Rule] = {}
on_change(_rules.clear)  # a row defined or removed: its rules are built again


def _formula(expression: str, k: float | None) -> ast.expr:
    """The table's formula with slots for a, b, out, its constant k in place, numbers folded."""
    replacements: dict[str, ast.expr] = {role: ast.Name(_slot_name(_ROLES.index(role)), ast.Load())
                                         for role in ('a', 'b', 'out')}
    if k is not None:
        replacements['k'] = ast.Constant(k)
    return _FoldConstants().visit(Substitute(replacements).visit(inline(parse(expression))))


def _forward_template(op: str, k: float | None) -> _Template:
    return _Template(_SpecialFloats().visit(_formula(OPS[op].forward, k)))


def _gradient_template(op: str, k: float | None, parent: int) -> _Template:
    """``g * local`` for the parent's edge, with ``g * 1.0`` written ``g`` (exactly equal)."""
    local = _formula(OPS[op].local[parent], k)
    upstream = ast.Name(_slot_name(_G), ast.Load())
    value = number(local)
    if value == 1.0:        # g * 1.0 == g, bit for bit
        return _Template(upstream)
    if value == -1.0:       # g * -1.0 == -g, and x + -g == x - g, bit for bit
        return _Template(upstream, sign=-1)
    product = _times(upstream, local)
    if not any(isinstance(node, ast.Name) and node.id.startswith('\x00') for node in ast.walk(product)):
        product = ast.BinOp(upstream, ast.Mult(), local)  # 0.0 whatever g is (step's slope): keep a slot
    return _Template(_SpecialFloats().visit(product))


def _times(upstream: ast.expr, local: ast.expr) -> ast.expr:
    """``upstream * local``, the product taken into each branch of a conditional local.

    Exact rewrites only: ``g * (strong_zero if t else 1.0)`` is ``0.0 if t else g``
    (``strong_zero`` times anything is 0.0; ``g * 1.0`` is ``g``), so a dead ReLU costs a
    comparison, not a call of ``strong_zero``'s multiplication.
    """
    if isinstance(local, ast.IfExp):
        return ast.IfExp(local.test, _times(upstream, local.body), _times(upstream, local.orelse))
    if isinstance(local, ast.Name) and local.id == 'strong_zero':
        return ast.Constant(0.0)
    value = number(local)
    if value == 1.0:
        return upstream
    if value == -1.0:
        return ast.UnaryOp(ast.USub(), upstream)
    return ast.BinOp(upstream, ast.Mult(), local)


class _Rule:
    """Everything the generator needs about one operation (with its constant k, if any)."""

    __slots__ = ('op', 'forward', 'gradients', 'folds', 'stored', 'comments')

    def __init__(self, op: str, k: float | None) -> None:
        self.op = op
        arity = OPS[op].arity
        self.forward = _forward_template(op, k)
        self.gradients = tuple(_gradient_template(op, k, role) for role in range(arity))
        if any(self.forward.uses[_OUT:]) or any(t.uses[_B] for t in (self.forward, *self.gradients)
                                                if arity == 1):
            raise ValueError(f'the ops table row {op!r} uses an operand it does not have')
        # A parent used only here may be written into this node's forward expression
        # when the formula evaluates it exactly once and backprop never needs its value.
        self.folds = tuple(self.forward.foldable(role) and not any(g.uses[role] for g in self.gradients)
                           for role in range(arity))
        # A node whose own derivative reads its value must keep it in a variable.
        self.stored = (any(g.uses[_OUT] for g in self.gradients)
                       or isinstance(self.forward.tree, ast.Name))
        self.comments = tuple(f'  # {op}: {_rule_comment(op, role)}' for role in range(arity))


def _rule(op: str, k: float | None) -> _Rule:
    key = op if k is None else (op, repr(k))
    rule = _rules.get(key)
    if rule is None:
        if op not in OPS:
            raise ValueError(f'compile() does not know the operation {op!r}')
        if (k is None) == OPS[op].constant or (k is not None and type(k) is not float):
            raise ValueError(f'a {op} node with the constant {k!r} does not match the ops table')
        if len(_rules) > 10_000:   # a program with ever new exponents must not grow this forever
            _rules.clear()
        rule = _rules[key] = _Rule(op, k)
    return rule


class _Relabel(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Name(node.id.replace('\x00', '\x01'), ast.Load())


class _Plug(ast.NodeTransformer):
    def __init__(self, slot: str, tree: ast.AST) -> None:
        self.slot, self.tree = slot, tree

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.tree if node.id == self.slot else node


# -- naming ----------------------------------------------------------------------------------

def _usable_label(label: str) -> bool:
    return (_IDENTIFIER.fullmatch(label) is not None and not keyword.iskeyword(label)
            and label not in _RESERVED and label not in FUNCTIONS and not label.startswith('g_')
            and _GENERATED.fullmatch(label) is None)


def _variable_names(order: list[Value]) -> list[str]:
    """A label when it is a plain identifier used by one node only, else ``v<index>``."""
    seen: dict[str, int] = {}
    for node in order:
        label = node.label
        if label:
            seen[label] = seen.get(label, 0) + 1
    return [node.label if node.label and seen[node.label] == 1 and _usable_label(node.label)
            else f'v{index}' for index, node in enumerate(order)]


def _describe(label: str) -> str:
    """A label as comment text: quoted, escaped to printable ASCII, never a line break."""
    text = ascii(label)
    return text if len(text) <= 40 else text[:36] + '...' + text[0]


def _rule_comment(op: str, parent: int) -> str:
    return _safe(f'd({OPS[op].forward})/d{_ROLES[parent]} = {OPS[op].local[parent]}')


def _safe(text: str) -> str:
    return _UNSAFE_TEXT.sub('?', text)


# -- generation ------------------------------------------------------------------------------

class _Graph:
    """The traced graph as index arrays: node ``i`` is ``order[i]``, the root is last."""

    def __init__(self, order: list[Value]) -> None:
        count = self.count = len(order)
        self.root = count - 1
        index = {node: i for i, node in enumerate(order)}
        rules: list[_Rule | None] = [None] * count
        first = [-1] * count           # index of each node's first parent (-1: a leaf)
        second = [-1] * count          # index of its second parent (-1: none)
        uses = [0] * count             # edges leaving each node (x * x counts twice)
        consumer = [0] * count         # single-use nodes: 2 * (node using it) + operand (0 or 1)
        rule_cache = _rules
        for i, node in enumerate(order):
            pair = node.parents
            if not pair:
                continue
            op, k = node.op, node.constant
            rule = rule_cache.get(op if k is None else (op, repr(k)))
            rules[i] = rule if rule is not None else _rule(op, k)
            a = first[i] = index[pair[0]]
            uses[a] += 1
            consumer[a] = 2 * i
            if len(pair) == 2:
                b = second[i] = index[pair[1]]
                uses[b] += 1
                consumer[b] = 2 * i + 1
        # Leaves in the order the forward pass first uses them: w0, s0 before w1, w2.
        leaf_position: dict[int, int] = {}
        for i in range(count):
            if rules[i] is None:
                if i == self.root:
                    leaf_position[i] = len(leaf_position)
                continue
            for p in (first[i], second[i]):
                if p >= 0 and rules[p] is None and p not in leaf_position:
                    leaf_position[p] = len(leaf_position)
        self.rules, self.first, self.second = rules, first, second
        self.uses, self.consumer, self.leaf_position = uses, consumer, leaf_position
        self.leaves = [order[i] for i in leaf_position]


def _generate_readable(order: list[Value]) -> tuple[str, list[Value]]:
    """One line per operation and per gradient contribution, names from labels."""
    graph = _Graph(order)
    rules, first, second, root = graph.rules, graph.first, graph.second, graph.root
    names = _variable_names(order)
    lines = [
        f'# Generated by microgradnode.compile from a graph of {graph.count} nodes '
        f'({len(graph.leaves)} {"leaf" if len(graph.leaves) == 1 else "leaves"}).',
        '# Forward pass in topological order, then the chain rule from the output back to the leaves.',
        f'def {_FUNCTION_NAME}({_LEAVES}):',
    ]
    emit = lines.append
    # -- forward pass: the leaves' current values first, then every operation in order
    for i, position in graph.leaf_position.items():
        label = order[i].label
        described = f' {_describe(label)}' if label and names[i] != label else ''
        emit(f'    {names[i]} = {_LEAVES}[{position}].data  # leaf{described}, '
             f'{_safe(repr(order[i].data))} when traced')
    for i in range(graph.count):
        rule = rules[i]
        if rule is None:
            continue
        b = second[i]
        expression = rule.forward.pattern.format(names[first[i]], names[b] if b >= 0 else '')
        label = order[i].label
        described = f', {_describe(label)}' if label and names[i] != label else ''
        emit(f'    {names[i]} = {expression}  # {rule.op}{described}')

    # -- backward pass: one line per edge, in the order ``backward()`` adds them
    emit('    # Backward pass: leaves add to their current .grad, as with backward().')
    g_names = [f'g_{name}' for name in names]
    started = [False] * graph.count
    for i, position in graph.leaf_position.items():
        emit(f'    {g_names[i]} = {_LEAVES}[{position}].grad')
        started[i] = True
    if started[root]:
        emit(f'    {g_names[root]} += 1.0')
    else:
        emit(f'    {g_names[root]} = 1.0  # d {names[root]}/d {names[root]}')
        started[root] = True
    for c in range(root, -1, -1):
        rule = rules[c]
        if rule is None:
            continue
        a, b = first[c], second[c]
        operands = (names[a], names[b] if b >= 0 else '', names[c], g_names[c])
        for role, (p, template) in enumerate(zip((a, b), rule.gradients)):
            contribution = template.pattern.format(*operands)
            if started[p]:
                line = f'    {g_names[p]} {"-=" if template.sign < 0 else "+="} {contribution}'
            else:
                line = f'    {g_names[p]} = {"-" if template.sign < 0 else ""}{contribution}'
                started[p] = True
            emit(line + rule.comments[role])
    for i, position in graph.leaf_position.items():
        emit(f'    {_LEAVES}[{position}].grad = {g_names[i]}')
    emit(f'    return {names[root]}')
    return '\n'.join(lines) + '\n', graph.leaves


def _generate_compact(order: list[Value]) -> tuple[str, list[Value], tuple]:
    """The same arithmetic as the readable form, as loops over tables of node indices.

    Values used once are folded into the expression that uses them, each gradient is one
    sum of its contributions (in ``backward()``'s order), and statements with the same
    formula that do not depend on each other run as one loop. Returns the source, the
    leaves and the tables the function reads (``T``).
    """
    graph = _Graph(order)
    rules, first, second = graph.rules, graph.first, graph.second
    uses, consumer, root, count = graph.uses, graph.consumer, graph.root, graph.count
    groups: dict[tuple[int, str], list[tuple[int, ...]]] = {}

    # -- forward: a formula and its operand indices per stored value
    shape: list[str] = [_VALUE] * count         # a node's value as text: V[{}] or a folded formula
    operands: list[tuple[int, ...]] = [(i,) for i in range(count)]
    folded = [False] * count
    depth = [0] * count
    level = [0] * count                         # how many statements must run before this value is ready
    for i in range(count):
        rule = rules[i]
        if rule is None:
            continue
        template = rule.forward
        a, b = first[i], second[i]
        rule_a, rule_b = rules[a], rules[b]  # not None where folded: only operations fold
        shape_a = _bracketed(template, _A, rule_a, shape[a]) if folded[a] and rule_a else shape[a]
        if b < 0:
            text = template.pattern.format(shape_a, '')
        else:
            shape_b = _bracketed(template, _B, rule_b, shape[b]) if folded[b] and rule_b else shape[b]
            text = template.pattern.format(shape_a, shape_b)
        # The operands' indices, in the order the text mentions them.
        if template.slots == _A_THEN_B:
            indices = operands[a] + operands[b]
        elif template.slots == _A_ONLY:
            indices = operands[a]
        else:
            indices = tuple(index for role in template.slots
                            for index in (operands[a] if role == _A else operands[b]))
        if uses[i] == 1 and not rule.stored and i != root and depth[i] < _MAX_FOLD_DEPTH:
            c = consumer[i] >> 1
            consumer_rule = rules[c]
            if consumer_rule is not None and consumer_rule.folds[consumer[i] & 1]:
                shape[i], operands[i], folded[i] = text, indices, True
                if depth[c] <= depth[i]:
                    depth[c] = depth[i] + 1
                continue
        ready = 1 + max(level[j] for j in indices)
        level[i] = ready
        groups.setdefault((ready, f'{_VALUE} = {text}'), []).append((i, *indices))
    forward_groups = sorted(groups.items(), key=lambda item: item[0][0])

    # -- backward: each gradient as one sum of its terms, written when it is complete
    groups = {}
    g_slot = list(range(count))       # where a node's gradient lives (a copy shares its source's)
    g_level = [0] * count
    # Per node, its contributions so far: (' + G[{}] * V[{}]', operand indices, gradient read).
    terms: list[list | None] = [None] * count
    copied = [False] * count
    for c in range(root, -1, -1):
        rule = rules[c]
        if rule is None:
            continue
        if c != root:
            pending = terms[c]
            assert pending is not None, 'every value but the root feeds an operation'
            if copied[c] and len(pending) == 1:
                g_slot[c] = pending[0][2]     # the same number: no statement
            else:
                _add_sum(groups, g_level, c, None, pending)
        a, b = first[c], second[c]
        by_role = (a, b, c, g_slot[c])
        for p, template in zip((a, b), rule.gradients):
            term = (template.term_shape, template.pick(by_role), g_slot[c])
            pending = terms[p]
            if pending is None:
                terms[p] = [term]
                copied[p] = template.is_copy
            else:
                pending.append(term)
    for i in graph.leaf_position:
        leaf_terms = terms[i]
        if leaf_terms:
            _add_sum(groups, g_level, i, _GRADIENT, leaf_terms)
    backward_groups = sorted(groups.items(), key=lambda item: item[0][0])

    # -- the function: read the leaves, run the groups in order, write the leaves' grads
    tables: list[tuple] = [tuple((i, graph.leaves[position])
                                 for i, position in graph.leaf_position.items())]
    lines = [
        f'# Generated by microgradnode.compile from a graph of {count} nodes '
        f'({len(graph.leaves)} leaves), compact form.',
        '# V[i] is the value of node i, G[i] its gradient; each loop runs one formula of the',
        '# forward pass or of the chain rule for every node in its table T[...].',
        f'def {_FUNCTION_NAME}(T):',
        f'    V = [0.0] * {count}',
        f'    G = [0.0] * {count}',
        '    for i, leaf in T[0]:',
        '        V[i] = leaf.data',
        '        G[i] = leaf.grad',
        f'    G[{root}] {"+=" if rules[root] is None else "="} 1.0',
    ]
    emit = lines.append
    emit('    # Forward pass')
    _emit_groups(emit, forward_groups, tables)
    emit('    # Backward pass: leaves add to their current .grad, as with backward().')
    _emit_groups(emit, backward_groups, tables)
    emit('    for i, leaf in T[0]:')
    emit('        leaf.grad = G[i]')
    emit(f'    return V[{root}]')
    return '\n'.join(lines) + '\n', graph.leaves, tuple(tables)


def _add_sum(groups: dict, g_level: list[int], target: int, start: str | None, terms: list) -> None:
    """``G[target] = t1 + t2 ...`` (or ``G[target] + t1 ...``), at most _MAX_FOLD_DEPTH terms a line.

    A statement can run once the gradients it reads are complete: its level is one more
    than theirs, and statements run level by level.
    """
    for first in range(0, len(terms), _MAX_FOLD_DEPTH):
        chunk = terms[first:first + _MAX_FOLD_DEPTH]
        if start is None:    # the first term alone: 'x' for ' + x', '-x' for ' - x'
            head, indices, read = chunk[0]
            pieces, ready = [head[3:] if head[1] == '+' else f'-{head[3:]}'], g_level[read]
            chunk = chunk[1:]
        else:
            pieces, indices, ready = [start], (target,), g_level[target]
        for term, term_indices, read in chunk:
            pieces.append(term)
            indices += term_indices
            if g_level[read] > ready:
                ready = g_level[read]
        g_level[target] = ready + 1
        groups.setdefault((ready + 1, f'{_GRADIENT} = {"".join(pieces)}'), []).append((target, *indices))
        start = _GRADIENT


def _emit_groups(emit: Callable, groups: list, tables: list) -> None:
    for (_, statement), rows in groups:
        if len(rows) == 1:
            emit(f'    {statement.format(*rows[0])}')
            continue
        names = [f'i{n}' for n in range(len(rows[0]))]
        emit(f'    for {", ".join(names)} in T[{len(tables)}]:  # {len(rows)} times')
        emit(f'        {statement.format(*names)}')
        tables.append(tuple(rows))


def _bracketed(outer: _Template, role: int, inner: _Rule, expression: str) -> str:
    """A folded expression as an operand of ``outer``: in brackets when precedence needs them."""
    wrap = outer.parens[role].get(inner.forward)
    if wrap is None:
        wrap = outer.needs_parens(role, inner.forward)
    return f'({expression})' if wrap else expression


# -- the compiled object -------------------------------------------------------------------------

class Compiled:
    """The forward pass and backprop of one graph as a Python function.

    Calling it reads the current ``.data`` of :attr:`leaves`, returns the new value of
    the root, and adds d root / d leaf into each leaf's ``.grad`` (as ``backward()``
    does: call ``zero_grad`` or reset the parameters' grads between steps). The Values
    inside the graph (the root included) keep the data and grad they had when traced.

    >>> from microgradnode import Value
    >>> x = Value(3.0, 'x'); y = x * x; y.label = 'y'
    >>> square = compile(y)
    >>> print(square.source.splitlines()[3])
        x = leaves[0].data  # leaf, 3.0 when traced
    >>> x.data = 5.0
    >>> square(), x.grad
    (25.0, 10.0)
    """

    def __init__(self, root: Value, order: list[Value], leaves: list[Value], source: str,
                 function: Callable, arguments: tuple, compact: bool) -> None:
        self.root = root
        self.leaves: tuple[Value, ...] = tuple(leaves)
        self.source = source
        self.compact = compact
        self.nodes = len(order)
        self._order = order
        self._function = function
        self._arguments = arguments

    def __call__(self) -> float:
        try:
            # The generated code reads each leaf's grad first and writes it back last:
            # two calls interleaving would lose one's additions. The engine's lock runs
            # calls (and backward passes, which add into the same grads) one at a time.
            _grad_lock.acquire()
            try:
                return self._function(*self._arguments)
            finally:
                _grad_lock.release()
        except (ArithmeticError, ValueError, TypeError) as error:
            failure = error
        # Outside the except block, so that the user sees the engine's message alone.
        self._raise_like_engine()
        raise failure

    def _raise_like_engine(self) -> None:
        """Replay the graph through the engine so that an error names the operation."""
        replayed: dict[Value, Value] = {}
        with no_grad():
            for node in self._order:
                if node.is_leaf:
                    twin = Value(node.data, node.label)
                else:
                    method = getattr(Value, node.op)
                    inputs = [replayed[p] for p in node.parents]
                    twin = (method(inputs[0], node.constant) if OPS[node.op].constant
                            else method(*inputs))
                    twin.label = node.label
                replayed[node] = twin

    def __reduce__(self) -> tuple:
        # The generated function cannot be pickled (it was made by exec); the graph can.
        # A pickled Compiled is its root and form, compiled again when loaded: pickled
        # beside its model, it still reads and writes that model's parameters.
        return _compile_again, (self.root, self.compact, self.nodes)

    def __repr__(self) -> str:
        form = 'compact' if self.compact else 'readable'
        return (f'<Compiled {form} backprop of {self.nodes} nodes, {len(self.leaves)} leaves, '
                f'{self.source.count(chr(10))} lines>')


def _compile_again(root: Value, compact: bool, nodes: int) -> Compiled:
    """Unpickle a :class:`Compiled`: the same graph, compiled again, in the same form."""
    return compile(root, compact=compact, max_nodes=max(nodes, MAX_NODES))


def compile(root: Value, *, compact: bool | None = None, max_nodes: int = MAX_NODES) -> Compiled:
    """Generate Python code for the forward pass and backprop of the graph below ``root``.

    ``compact=False`` writes one line per operation and per gradient contribution, with
    names from the nodes' labels: code to read. ``compact=True`` keeps values and
    gradients in two lists, folds values used once into the expression that uses them,
    and runs each formula as one loop over the nodes that share it: the same arithmetic
    in the same order, from a few dozen lines whatever the size of the graph. By
    default graphs of more than :data:`COMPACT_ABOVE` nodes are compact.

    The graph is fixed when traced: a Python ``if`` that chose an operation while the
    graph was built stays chosen (see docs/compile.md). Raises ``ValueError`` for a
    graph of more than ``max_nodes`` nodes.

    >>> from microgradnode import Value
    >>> x = Value(0.5, 'x'); y = (x * 2).relu(); y.label = 'y'
    >>> f = compile(y)
    >>> print(f.source.split('# Backward')[0].splitlines()[-2].strip())
    y = 0.0 if v2 <= 0.0 else v2  # relu
    >>> x.data = -1.0
    >>> f(), x.grad
    (0.0, 0.0)
    """
    if not isinstance(root, Value):
        raise TypeError(f'compile() needs a Value, not {type(root).__name__}')
    compact = check_flag(compact, 'compact', none=True)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f'max_nodes must be an int, not {type(max_nodes).__name__}')
    if max_nodes < 1:
        raise ValueError(f'max_nodes must be at least 1, not {max_nodes}')
    # The generator allocates many small lists; no cycles are made (see collector_paused).
    with collector_paused():
        return _compile(root, compact, max_nodes)


def _compile(root: Value, compact: bool | None, max_nodes: int) -> Compiled:
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(
            f'the graph below root has {len(order):,} nodes, more than compile() accepts '
            f'(max_nodes={max_nodes:,}): generating and compiling that much code takes many '
            f'seconds and a lot of memory; to go ahead anyway, pass max_nodes={len(order)}')
    for node in order:
        if type(node) is FixedWhenBuilt:
            raise ValueError(
                f'compile() cannot compile this graph: it holds the number {node.data!r} that '
                'grad(..., create_graph=True) chose from a condition on the data when it ran (the '
                'slope of sqrt at 0, or of a power at 0), and compiled code would keep that branch at '
                'other inputs; call grad() again at each point instead, or compile the original graph '
                '(its first derivatives are evaluated at run time)')
    if compact is None:
        compact = len(order) > COMPACT_ABOVE
    if compact:
        source, leaves, tables = _generate_compact(order)
        arguments: tuple = (tables,)
    else:
        source, leaves = _generate_readable(order)
        arguments = (tuple(leaves),)
    if not source.isascii() or _UNSAFE_TEXT.search(source):  # pragma: no cover - a safety net
        raise AssertionError('generated code contains unexpected characters')
    filename = f'<microgradnode.compile: {len(order)} nodes>'
    namespace: dict = {'__builtins__': {}, **FUNCTIONS}
    # The source holds only generated names, numbers and fixed text (see _generate).
    exec(builtins.compile(source, filename, 'exec'), namespace)  # noqa: S102
    return Compiled(root, order, leaves, source, namespace[_FUNCTION_NAME], arguments, bool(compact))


class CompileCache:
    """Compiled steps for a model whose graph changes shape: one per key the caller names.

    A compiled step replays one fixed graph. When the graph depends on the input only
    through a shape (a sequence's length, a batch size), ``build(key)`` builds the graph
    for a key, with the input read from leaves the caller refills before each call; the
    cache compiles it on first use and hands back the same :class:`Compiled` afterwards.
    The key must say everything that changes the graph: the cache cannot check it.

    >>> from microgradnode import Value
    >>> w = Value(0.5, 'w')
    >>> inputs = {}
    >>> def build(length):
    ...     inputs[length] = [Value(0.0) for _ in range(length)]
    ...     return sum(w * x for x in inputs[length])
    >>> cache = CompileCache(build)
    >>> step = cache[2]                  # builds and compiles the graph for length 2
    >>> inputs[2][0].data, inputs[2][1].data = 1.0, 2.0
    >>> step(), w.grad, len(cache), cache[2] is step, 3 in cache
    (1.5, 3.0, 1, True, False)
    """

    def __init__(self, build: Callable[[Hashable], Value], *, compact: bool | None = None,
                 max_nodes: int = MAX_NODES) -> None:
        if not callable(build):
            raise TypeError(f'CompileCache needs a function key -> Value, not {type(build).__name__}')
        self._build = build
        self._compact = check_flag(compact, 'compact', none=True)
        self._max_nodes = max_nodes
        self._compiled: dict[Hashable, Compiled] = {}
        # One build at a time: two threads missing the same key would otherwise both call
        # build(), and the caller's record of the input leaves would end up naming the
        # leaves of the graph that was not kept.
        self._building = threading.RLock()

    def __getitem__(self, key: Hashable) -> Compiled:
        found = self._compiled.get(key)
        if found is None:
            with self._building:
                found = self._compiled.get(key)
                if found is None:
                    root = self._build(key)
                    if not isinstance(root, Value):
                        raise TypeError(f'CompileCache: build({key!r}) returned {type(root).__name__}, '
                                        f'not a Value')
                    found = compile(root, compact=self._compact, max_nodes=self._max_nodes)
                    self._compiled[key] = found
        return found

    def __contains__(self, key: Hashable) -> bool:
        return key in self._compiled

    def __len__(self) -> int:
        return len(self._compiled)

    def clear(self) -> None:
        """Forget every compiled step (and the graphs they keep alive)."""
        self._compiled.clear()

    def __repr__(self) -> str:
        return f'<CompileCache of {len(self)} compiled steps: keys {list(self._compiled)!r}>'
