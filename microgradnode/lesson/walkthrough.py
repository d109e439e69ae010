"""Watching backprop happen: the forward and backward passes as a sequence of frames.

:func:`walkthrough` runs the backward pass through :func:`microgradnode.backward_steps`
(the very machinery ``backward()`` uses) and turns what happened into frames:

- the **forward phase**: the inputs, then each operation in the order it was computed,
  with its formula, its value and the local derivatives it recorded for later;
- the **backward phase**: one frame per operation passing its gradient on: what each
  parent receives (upstream grad × local derivative), and what the parent's grad adds up
  to. A leaf's own step (it has nothing to pass on) is no frame: the frame where its last
  contribution arrives says its gradient is final; constants get no gradient talk.

Each frame is available as words (:attr:`Frame.lines`), as a diagram (:meth:`Walkthrough.diagram`,
which highlights the node and the edges carrying gradient and shows only the grads known
so far) and, all together, as one self-contained HTML page (:meth:`Walkthrough.html`)
with previous/next buttons, a slider and arrow keys. In Jupyter the object displays inline.

>>> from microgradnode import Value
>>> x = Value(3.0, 'x'); w = Value(-2.0, 'w')
>>> y = w * x; y.label = 'y'
>>> walk = walkthrough(y)
>>> [frame.title for frame in walk.frames]  # doctest: +NORMALIZE_WHITESPACE
['Forward 1/2: the inputs', 'Forward 2/2: compute y', 'Backward 1/2: start at y',
 'Backward 2/2: y passes its gradient back']
>>> print('\\n'.join(walk.frames[3].lines[:6]))
y has its whole gradient: d y / d y = 1.
It passes it to each parent, multiplied by the local derivative:
• w receives 1 × x = 1 × 3 = 3, so w.grad = 3
• x receives 1 × w = 1 × (-2) = -2, so x.grad = -2
w is an input: it has no parents, so its gradient is final.
x is an input: it has no parents, so its gradient is final.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .._support.flags import check_flag
from ..engine import Step, Value, backward_steps, topological_order
from ..formulas.explain import check_recorded_state
from ..formulas.printing import _PRODUCT, NodeNames, format_number, local_formula, times_words
from ..formulas.printing import minus_signs as _minus

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ['walkthrough', 'Walkthrough', 'Frame', 'DEFAULT_MAX_NODES']

DEFAULT_MAX_NODES = 60
"""Larger graphs make more frames than anyone will step through, and unreadable diagrams."""

STEP_MAX_NODES = 60
"""Graphs with more values than this (allowed with a larger ``max_nodes``) have no frames:
their page explores and trains them live, without the step-by-step mode."""

_SECONDS_PER_NODE = 4e-4
_SECONDS_PER_BEND = {'placed': 5e-5, 'unplaced': 1e-5}
"""How long one frame's diagram takes to lay out: per box or circle, and per bend in the
arrows, when ``dot`` places the bends and when there are too many and it does not
(``diagram.build.MANY_BENDS``). Fitted to pages measured here (docs/walkthrough.md):
103 frames of a 58-value chain, 4.2 s; 61 frames of a 30-term sum (59 nodes, 812
bends), 1.8 s; 81 frames of ``(x+...+x)*(x+...+x)`` with 20 terms (79 nodes, 684
bends), 6.5 s; 121 frames with 30 terms (119 nodes, 1,624 bends, not placed), 6.9 s.
A page expected to take more than half its time limit is refused before any rendering."""


class NetworkView(Protocol):
    """What a page of a network needs from it (:class:`microgradnode.lesson.network.Network`)."""

    def table(self) -> list[Value]: ...
    def svg(self, ids: dict[Value, int], direction: str) -> str: ...
    def page_data(self, ids: dict[Value, int], learning_rate: float) -> dict: ...
    def key_html(self) -> str: ...
    def describe(self) -> str: ...


@dataclass(frozen=True)
class Frame:
    """One moment of the walkthrough.

    ``phase`` is 'forward' or 'backward', ``index`` the frame's place in the walkthrough,
    ``nodes`` the nodes the frame is about; ``highlight_edges`` the (parent, child) edges
    that carry something in this frame (values forward, gradients backward);
    ``computed`` the nodes whose value is known; ``grads`` the grads known so far
    (a node absent from it has not received any gradient yet); ``step`` the engine's
    record of this backward step (None in the forward phase); ``tangents``, in a forward
    mode walkthrough, the tangents known so far (None in a reverse mode one).
    """

    phase: str
    index: int
    title: str
    lines: tuple[str, ...]
    nodes: tuple[Value, ...]
    highlight_edges: tuple[tuple[Value, Value], ...]
    computed: frozenset[Value]
    grads: Mapping[Value, float]
    step: Step | None = None
    tangents: Mapping[Value, float] | None = None  # forward mode: the tangents known so far

    def _replace_index(self, index: int) -> Frame:
        return dataclasses.replace(self, index=index)

    @property
    def text(self) -> str:
        """Title and explanation as plain text."""
        return '\n'.join((self.title, *self.lines))


class Walkthrough:
    """The forward and backward passes of ``root``'s graph, frame by frame.

    Build it with :func:`walkthrough`. Attributes: ``root``, ``names`` (a name for every
    node), ``order`` (the forward, topological order), ``steps`` (the engine's backward
    steps, in processing order) and ``frames`` (forward frames, then backward frames).
    """

    def __init__(self, root: Value, *, number_format: str = '.4g', rankdir: str = 'LR',
                 max_nodes: int = DEFAULT_MAX_NODES, mode: str = 'reverse', wrt: Value | None = None,
                 time_limit: float | None = None, quiz: bool = False,
                 parameters: Iterable[Value] | None = None, learning_rate: float = 0.1) -> None:
        # Light modules (no graphviz): the words need no renderer.
        from ..diagram.options import RANKDIRS, checked_number_format
        from ..diagram.renderers import DEFAULT_TIME_LIMIT, check_time_limit
        if not isinstance(root, Value):
            hint = ('; a network trained on points has its own page: '
                    'network_walkthrough(model, points, labels)' if hasattr(root, 'parameters') else '')
            raise TypeError(f'walkthrough needs a Value, not {type(root).__name__}{hint}')
        if rankdir not in RANKDIRS:  # now, not when the page is rendered
            raise ValueError(f'rankdir must be one of {", ".join(RANKDIRS)}, not {rankdir!r}')
        self.root = root
        self.number_format = checked_number_format(number_format)
        self.rankdir = rankdir
        self.time_limit = check_time_limit(DEFAULT_TIME_LIMIT if time_limit is None else time_limit)
        self.order = topological_order(root)
        if len(self.order) > max_nodes:
            raise ValueError(f'walkthrough: the graph has {len(self.order)} values, more than '
                             f'max_nodes={max_nodes}; step through a smaller expression, or raise max_nodes')
        # Data changed since the forward pass would not match the recorded local derivatives:
        # say so (StaleGraphError) rather than step through numbers that do not add up.
        check_recorded_state(root, self.order)
        self.names = NodeNames(root)
        self.mode, self.wrt = _check_mode(mode, wrt, self.order)
        if check_flag(quiz, 'quiz') and mode == 'forward':
            raise ValueError('walkthrough: quiz=True asks what each parent receives in the backward pass; '
                             "it goes with mode='reverse'")
        self.quiz = bool(quiz)
        self.parameters = _check_parameters(parameters, self.order)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
                or not math.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f'walkthrough: learning_rate must be a positive number, '
                             f'not {learning_rate!r}'[:200])
        self.learning_rate = float(learning_rate)
        if mode == 'forward':
            from ..calculus.forward import forward_tangents
            self.steps = []
            assert self.wrt is not None, '_check_mode gives forward mode its wrt'
            self.tangents = forward_tangents(root, {self.wrt: 1.0})
            frames = self._forward_mode_frames()
        else:
            # Start from clean gradients so that every number on the way is this pass's own.
            root.zero_grad()
            self.steps = backward_steps(root)
            # A graph too large to step through is explored and trained only: its frames
            # would be more than anyone reads, and the page would hold them all.
            frames = (self._forward_frames() + self._backward_frames()
                      if len(self.order) <= STEP_MAX_NODES else [])
        self.frames: list[Frame] = [frame._replace_index(index) for index, frame in enumerate(frames)]
        # Set by network_walkthrough (lesson/network.py): the graph is one point's loss of a classifier.
        self.network: NetworkView | None = None

    # -- words -------------------------------------------------------------------------

    def _number(self, value: float) -> str:
        return format_number(value, self.number_format)

    def _factor(self, value: float) -> str:
        text = self._number(value)
        return f'({text})' if text.startswith('-') else text

    def _forward_frames(self) -> list[Frame]:
        names, root_name = self.names, self.names[self.root]
        leaves = [node for node in self.order if node.is_leaf]
        operations = [node for node in self.order if not node.is_leaf]
        count = 1 + len(operations)
        inputs = [names[node] for node in leaves if node.label]
        constants = [names[node] for node in leaves if not node.label]
        lines = ['The forward pass computes every value from the inputs towards '
                 f'{root_name}, each operation once all its inputs are known.']
        lines += [f'{names[node]} = {self._number(node.data)}' for node in leaves if node.label]
        if constants:
            lines.append(f'Constants (numbers written in the expression): {", ".join(constants)}.')
        title = 'the inputs' if inputs else 'the constants'
        frames = [Frame('forward', 0, f'Forward 1/{count}: {title}', tuple(lines), tuple(leaves), (),
                        frozenset(leaves), {})]
        computed = set(leaves)
        for number, node in enumerate(operations, 2):
            computed.add(node)
            name = names[node]
            expression = names.expression(node)
            with_numbers = names.expression_with_numbers(node, self.number_format)
            lines = [name if name in (expression, f'({expression})') else f'{name} = {expression}']
            if with_numbers != expression:
                lines.append(f'= {with_numbers}')
            lines += [f'= {self._number(node.data)}',
                      'The engine also records the local derivative'
                      f'{"s" if len(node.parents) > 1 else ""} that backward will need:']
            for index, parent in enumerate(node.parents):
                formula = local_formula(node, index, names).text
                value = self._number(node.local_grads[index])
                shown = formula if formula == value else f'{formula} = {value}'
                lines.append(f'• d {name} / d {names[parent]} = {shown}')
            edges = tuple((parent, node) for parent in dict.fromkeys(node.parents))
            title = f'Forward {number}/{count}: compute {name}'
            frames.append(Frame('forward', len(frames), title,
                                tuple(line for line in lines if line is not None), (node,), edges,
                                frozenset(computed), {}))
        return frames

    def _backward_frames(self) -> list[Frame]:
        names, root_name = self.names, self.names[self.root]
        computed = frozenset(self.order)
        # A leaf's own step teaches nothing (it has no parents to pass to): it gets no frame;
        # the frame where its last contribution arrives says its gradient is final.
        passing = [step for step in self.steps if not step.node.is_leaf]
        last_giver = {parent: step for step in passing for parent, *_ in step.contributions}
        count = len(passing) + 1
        start = self.steps[0]
        grads: dict[Value, float] = {self.root: start.grad}
        frames = [Frame('backward', 0, f'Backward 1/{count}: start at {root_name}', (
            f'The backward pass starts at the output with d {root_name} / d {root_name} = '
            f'{self._number(start.grad)}, then visits each value once every value that uses it is done, '
            'so that its gradient is complete when it passes it on.',), (self.root,), (), computed,
            dict(grads))]
        for number, step in enumerate(passing, 2):
            node, name = step.node, names[step.node]
            derivative = f'd {root_name} / d {name}'
            title = f'Backward {number}/{count}: {name} passes its gradient back'
            constants = [names[p] for p in dict.fromkeys(node.parents) if p.is_leaf and not p.label]
            # a constant parent gets no bullet below: say why, or the learner looks for it
            aside = (f' ({" and ".join(constants)} {"is a number" if len(constants) == 1 else "are numbers"} '
                     'written in the expression: no gradient for '
                     f'{"it" if len(constants) == 1 else "them"})' if constants else '')
            lines = [f'{name} has its whole gradient: {derivative} = {self._number(step.grad)}.',
                     f'It passes it to each parent, multiplied by the local derivative{aside}:']
            for index, (parent, local, contribution, after) in enumerate(step.contributions):
                before = grads.get(parent)
                grads[parent] = after
                if parent.is_leaf and not parent.label:  # a number in the expression: nothing to learn
                    continue
                formula = local_formula(node, index, names)
                upstream = self._number(step.grad)
                if formula.text == self._number(local):  # a plain number: say it once
                    product = f'{upstream} × {self._factor(local)}'
                else:  # the printer parenthesises a sum: 1 × (1 - f·f)
                    symbols = times_words(step.grad, formula, number_format=self.number_format)
                    product = f'{symbols} = {upstream} × {self._factor(local)}'
                total = (f'{self._number(before)} + {self._factor(contribution)} = ' if before is not None
                         else '')
                lines.append(f'• {names[parent]} receives {product} = {self._number(contribution)}, '
                             f'so {names[parent]}.grad = {total}{self._number(after)}')
            finished = [parent for parent in dict.fromkeys(p for p, *_ in step.contributions)
                     if parent.is_leaf and parent.label and last_giver[parent] is step]
            lines += [f'{names[parent]} is {"a parameter" if parent in self.parameters else "an input"}: '
                      'it has no parents, so its gradient is final.' for parent in finished]
            # no red arrow to a constant either: nothing flows anywhere from it
            edges = tuple((parent, node) for parent in dict.fromkeys(node.parents)
                          if parent.label or not parent.is_leaf)
            frames.append(Frame('backward', 0, title, tuple(lines), (node,), edges, computed,
                                dict(grads), step))
        inputs = [node for node in self.order if node.is_leaf and node.label]
        if inputs:
            final = frames[-1]
            parameters = [node for node in inputs if node in self.parameters]
            data = [names[node] for node in inputs if node not in self.parameters]
            heading = 'Those of the parameters and inputs:' if parameters and data else (
                'Those of the parameters:' if parameters else 'Those of the inputs:')
            summary: tuple[str, ...] = (
                f'That was the last step: every gradient is known. {heading}',
                *(f'• d {root_name} / d {names[node]} = {self._number(grads[node])}'
                  + (' (parameter)' if node in self.parameters else ' (input)' if parameters else '')
                  for node in inputs))
            if parameters:
                summary += (f'Gradient descent would now move each parameter '
                            f'({", ".join(names[node] for node in parameters)}) against its gradient: '
                            f'p ← p − learning rate × d {root_name} / d p.'
                            + (f' The data ({", ".join(data)}) stay as they are.' if data else ''),)
            else:
                summary += ('Those of them that are parameters (weights to learn) gradient descent would '
                            f'move against their gradient: p ← p − learning rate × d {root_name} / d p.',)
            frames[-1] = dataclasses.replace(final, lines=final.lines + summary)
        return frames

    def _forward_mode_frames(self) -> list[Frame]:
        """The forward pass again, each value now computed with its tangent v′ = d v / d wrt.

        Each tangent is the sum over the node's parents of the local derivative the engine
        recorded times the parent's tangent: the numbers backward multiplies, the other way.
        """
        names, tangents = self.names, self.tangents
        assert self.wrt is not None  # forward mode always has one (checked in __init__)
        wrt, root_name = names[self.wrt], names[self.root]
        frames = self._forward_frames()
        first = frames[0]
        still = [names[node] for node in self.order if node.is_leaf and node is not self.wrt]
        lines = (*first.lines,
                 f'Forward mode also gives every value a tangent v′ = d v / d {wrt}: how fast it moves '
                 f'when {wrt} moves at speed 1. So {wrt}′ = 1'
                 + (f'; {", ".join(still)} {"stays" if len(still) == 1 else "stay"} still: tangent 0.'
                    if still else '.'))
        known = {node: tangents[node] for node in first.computed}
        title = first.title.replace('the inputs', 'the inputs and their tangents')
        result = [dataclasses.replace(first, title=title, lines=lines, tangents=known)]
        for frame in frames[1:]:
            (node,) = frame.nodes
            name = names[node]
            terms, numbers = [], []
            for index, parent in enumerate(node.parents):
                terms.append(f'd {name} / d {names[parent]} × {names[parent]}′')
                numbers.append(f'{self._factor(node.local_grads[index])} × {self._factor(tangents[parent])}')
            lines = (*frame.lines[:-1 - len(node.parents)],
                     f'The engine records the local derivative{"s" if len(node.parents) > 1 else ""}, '
                     'and forward mode uses them at once:',
                     *frame.lines[-len(node.parents):],
                     "Its tangent: each parent's tangent times its local derivative, added up:",
                     f'{name}′ = {" + ".join(terms)}',
                     f'= {" + ".join(numbers)} = {self._number(tangents[node])}')
            known = {**known, node: tangents[node]}
            result.append(dataclasses.replace(frame, title=f'{frame.title} and {name}′', lines=lines,
                                              tangents=known))
        count = len(result)
        inputs = [names[node] for node in self.order if node.is_leaf and node.label and node is not self.wrt]
        summary = [f'Done in one pass: d {root_name} / d {wrt} = {root_name}′ = '
                   f'{self._number(tangents[self.root])}, and every value\'s derivative with respect to '
                   f'{wrt} with it.']
        if inputs:
            summary.append(f'd {root_name} / d {inputs[0]} would need another pass, with {inputs[0]}′ = 1: '
                           'one pass per input. Reverse mode (backward) gets d '
                           f'{root_name} / d every input in one pass: that is why training uses it.')
        last = result[-1]
        result[-1] = dataclasses.replace(last, lines=(*last.lines, *summary))
        return [dataclasses.replace(frame, title=re.sub(r'^Forward \d+/\d+', f'Forward {number}/{count}',
                                                        frame.title))
                for number, frame in enumerate(result, 1)]

    def text(self) -> str:
        """Every frame in words, forward then backward (or why there are none: :meth:`_no_steps`)."""
        return '\n\n'.join(frame.text for frame in self.frames) if self.frames else self._no_steps()

    def _no_steps(self) -> str:
        """Why a walkthrough has no frames: a network's page, or a graph too large to step through."""
        if self.network is not None:
            return (f'The page of {self.network.describe()}: one point\'s graph of {len(self.order)} values, '
                    'trained live (save it as HTML and open it in a browser); it has no steps to read.')
        return (f'{self.names[self.root]} has {len(self.order)} values, more than {STEP_MAX_NODES}: '
                'too many to step through. Its HTML page explores and trains it live.')

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (f'<Walkthrough of {self.names[self.root]}: {len(self.order)} values, '
                f'{len(self.frames)} frames>')

    # -- pictures ------------------------------------------------------------------------

    def diagram(self, index: int):
        """The diagram of frame ``index``: its node and edges highlighted, the grads known then.

        Returns a :class:`microgradnode.diagram.Diagram` (``.source``, ``.pipe('svg')``, ``.save``).
        """
        from ..diagram import draw
        return draw(self.root, time_limit=self.time_limit, **self._diagram_arguments(index))

    def _diagram_arguments(self, index: int) -> dict:
        """What ``draw`` is told for frame ``index`` (the GIF's close-ups are drawn with it too)."""
        frame = self.frames[index]
        shown = {node: frame.grads.get(node) for node in self.order}
        # Unlabelled intermediate values get the names the words and the table use.
        names = {node: _minus(self.names[node]) for node in self.order if not node.label and not node.is_leaf}
        # A constant is called so, not left nameless beside an input of the same value.
        names.update({node: 'constant' for node in self.order if node.is_leaf and not node.label})
        tangents = None
        if frame.tangents is not None:
            tangents = {node: frame.tangents.get(node) for node in self.order}
        return {'rankdir': self.rankdir, 'number_format': self.number_format,
                'show_grad': frame.phase == 'backward', 'highlight': frame.nodes,
                'highlight_edges': frame.highlight_edges, 'grads': shown, 'names': names,
                'tangent_values': tangents, 'highlight_backward': frame.phase == 'backward',
                'constant_grads': False}  # as on the page: a constant's gradient teaches nothing

    def html(self, *, title: str | None = None) -> str:
        """One self-contained HTML page (no network requests): explore, train and step through the graph.

        The page holds one picture of the graph (laid out here, left to right for wide
        screens and top to bottom for narrow ones) whose numbers it rewrites in place, and
        the forward and backward passes as JavaScript generated from the operation table
        (:mod:`microgradnode.compiler.javascript`): moving an input runs them again in the
        page. No Graphviz is needed.
        """
        from importlib import resources

        from ..compiler.javascript import ENGINE_JS, graph_arrays, ops_javascript
        template = resources.files(__package__).joinpath('templates/walkthrough.html').read_text('utf-8')
        ids = {node: index for index, node in enumerate(self.order)}
        names = [_minus(self.names[node]) for node in self.order]
        rows = '\n'.join(
            f'<tr data-node="{html.escape(self.names[node])}" data-id="{ids[node]}" '
            f'data-kind="{self._kind(node)}">'
            f'<th scope="row">{html.escape(names[ids[node]])} '
            f'<span class="kind">{self._kind(node)}</span></th>'
            f'<td class="value"></td><td class="grad"></td></tr>'
            # a network's table: its inputs, neurons, loss and parameters, not every product and sum
            for node in (self.order if self.network is None else self.network.table()))
        data = [{
            'phase': frame.phase,
            'title': _minus(frame.title),
            'lines': [_minus(line) for line in frame.lines],
            'nodes': [ids[node] for node in frame.nodes],
            # the step's neighbourhood: what the view keeps in sight
            'near': sorted({ids[parent] for node in frame.nodes for parent in node.parents}),
            'computed': sorted(ids[node] for node in frame.computed),
            # forward mode: the grad row shows the tangents
            'grads': {ids[node]: [grad, _minus(self._number(grad))] for node, grad in
                      (frame.grads if frame.tangents is None else frame.tangents).items()
                      if frame.tangents is not None or node.label or not node.is_leaf},  # no constants'
            'arrows': sorted({2 * ids[child] + slot for parent, child in frame.highlight_edges
                              for slot, p in enumerate(child.parents) if p is parent}),
            'gives': self._gives(frame, ids),
            'edges': self._edges(frame, ids),
            'value': self._value_question(frame, ids),
            'question': self._question(frame),
        } for frame in self.frames]
        values = {ids[node]: [node.data, _minus(self._number(node.data))] for node in self.order}
        locals_ = {2 * ids[node] + slot: _minus(self._number(local)) for node in self.order
                   for slot, local in enumerate(node.local_grads)}
        arrays, _ = graph_arrays(self.root)
        page_title = title or f'Backpropagation, live: {self.names[self.root]}'
        modes = ['explore', 'train', 'step'] if self.frames else ['explore', 'train']
        if self.wrt is not None:  # forward mode: the tangents, step by step
            page_title = title or (f'Forward mode step by step: '
                                   f'd {self.names[self.root]} / d {self.names[self.wrt]}')
            modes = ['step']
            rows = rows.replace('<td class="grad">', '<td class="grad tangent">')
        elif self.quiz:
            modes = ['step', 'explore', 'train']
        first_use: dict[Value, int] = {}
        for node in reversed(self.order):
            for parent in node.parents:
                first_use[parent] = ids[node]
        live = {'graph': arrays, 'names': names,
                # in the order the forward pass first uses them: w0, s0 before w1, w2
                'inputs': sorted((ids[node] for node in self.order if node.is_leaf and node.label),
                                 key=lambda i: first_use.get(self.order[i], i)),
                # a network trains by its own loop (page_data), not as one graph
                'train': self._training(ids) if self.network is None else None}
        if self.network is not None:
            live.update(self.network.page_data(ids, self.learning_rate))
            modes = ['explore', 'train']
            page_title = title or f'Backpropagation, live: {self.network.describe()}'
        replacements = {
            '{{TITLE}}': html.escape(page_title),
            '{{PICTURES}}': self._pictures(names),
            '{{ROWS}}': rows,
            '{{COUNT}}': str(len(self.frames)),
            '{{LAST}}': str(max(0, len(self.frames) - 1)),
            '{{ENGINE}}': ops_javascript({node.op for node in self.order if node.op}) + ENGINE_JS,
            '{{DATA}}': _script_json({'frames': data, 'values': values, 'locals': locals_, 'quiz': self.quiz,
                                      'root': _minus(self.names[self.root]), 'modes': modes, 'live': live,
                                      'tangents': self.wrt is not None,
                                      'forward': sum(f.phase == 'forward' for f in self.frames)}),
            '{{KEY}}': (_key_html(forward_mode=self.wrt is not None) if self.network is None
                        else self.network.key_html()),
            '{{BODY_CLASS}}': 'quiz' if self.quiz else 'network' if self.network is not None else '',
        }
        page = re.sub('|'.join(re.escape(key) for key in replacements),
                      lambda match: replacements[match.group(0)], template)
        if self.wrt is not None:
            page = _forward_mode_page(page, self.names[self.wrt])
        return page

    def _pictures(self, names: list[str]) -> str:
        """The graph drawn twice, left to right (wide screens) and top to bottom (narrow ones)."""
        from ..ops.table import OPS
        from .picture import layout, svg
        if self.network is not None:
            where = {node: index for index, node in enumerate(self.order)}
            return '\n'.join(self.network.svg(where, direction) for direction in ('LR', 'TB'))
        by_node = dict(zip(self.order, names))
        symbols = {}
        kinds = {}
        fan_out: dict[int, int] = {}
        ids = {node: index for index, node in enumerate(self.order)}
        for i, node in enumerate(self.order):
            kinds[i] = self._kind(node)
            for parent in node.parents:
                fan_out[ids[parent]] = fan_out.get(ids[parent], 0) + 1
            if not node.is_leaf:
                constant = node.constant
                # the constant as the user wrote it, shortest form: ^2, ^−0.5
                symbols[i] = OPS[node.op].symbol + ('' if constant is None else _minus(format(constant, 'g')))
        return '\n'.join(svg(layout(self.root, by_node, direction), self.order, by_node, symbols, kinds,
                             fan_out) for direction in ('LR', 'TB'))

    def _gives(self, frame: Frame, ids: Mapping[Value, int]) -> dict[int, str]:
        """What each arrow of a backward step carries back: upstream grad × local derivative."""
        step = frame.step
        if step is None:
            return {}
        node = step.node
        return {2 * ids[node] + slot: _minus(self._number(contribution))
                for slot, (_, _, contribution, _) in enumerate(step.contributions)}

    def _training(self, ids: Mapping[Value, int]) -> dict | None:
        """What Train mode needs: a loss graph, its parameters, and where they are in the picture.

        With ``parameters`` (the two-node network) the output is the loss and they are
        what gradient descent moves. Otherwise every named input moves, and the loss is
        ``0.5*(output - target)**2``, built here from the table's operations on top of the
        output, with a target the learner sets.
        """
        from ..compiler.javascript import graph_arrays
        if self.wrt is not None:
            return None
        if self.parameters:
            loss, target = self.root, None
            parameters = [node for node in self.order if node in self.parameters]
            hint = (f'Gradient descent makes {_minus(self.names[self.root])} small: the parameters '
                    f'{", ".join(self.names[p] for p in parameters)} move, the data stay.')
        else:
            parameters = [node for node in self.order if node.is_leaf and node.label]
            if not parameters:
                return None
            target = Value(0.0 if self.root.data != 0.0 else 1.0, 'target')
            loss = 0.5 * (self.root - target) ** 2
            hint = (f'The loss is ½({_minus(self.names[self.root])} − target)²: gradient descent moves '
                    f'{", ".join(self.names[p] for p in parameters)} until {_minus(self.names[self.root])} '
                    'reaches the target.')
        arrays, order = graph_arrays(loss)
        where = {node: i for i, node in enumerate(order)}
        return {'graph': arrays, 'map': [ids.get(node, -1) for node in order],
                'parameters': [where[p] for p in parameters],
                'target': where[target] if target is not None else -1,
                'rate': self.learning_rate, 'hint': hint}

    def _kind(self, node: Value) -> str:
        if node is self.root:
            return 'output'
        if not node.is_leaf:
            return 'computed'
        if not node.label:
            return 'constant'
        return 'parameter' if node in self.parameters else 'input'

    def _edges(self, frame: Frame, ids: Mapping[Value, int]) -> list[dict]:
        """What each parent receives in a backward step, for the page's formulas and its quiz."""
        step = frame.step
        if step is None or not step.contributions:
            return []
        from ..formulas.printing import mathml
        names, node = self.names, step.node

        def name(value: Value) -> str:
            markup = mathml(names.atom(value), names)
            compound = not value.label and not value.is_leaf
            return f'<mrow><mo>(</mo>{markup}<mo>)</mo></mrow>' if compound else markup

        def number(value: float, factor: bool = True) -> str:
            text = _minus(self._number(value))
            return (f'<mrow><mo>(</mo><mn>{html.escape(text)}</mn><mo>)</mo></mrow>'
                    if factor and text.startswith('−') else f'<mn>{html.escape(text)}</mn>')

        def partial(top: Value, bottom: Value) -> str:
            return f'<mfrac><mrow><mo>∂</mo>{name(top)}</mrow><mrow><mo>∂</mo>{name(bottom)}</mrow></mfrac>'

        edges = []
        earlier = self.frames[frame.index - 1].grads if frame.index and self.frames else {}
        totals = dict(earlier)  # what each parent had before, updated within this step (x * x)
        for index, (parent, local, contribution, after) in enumerate(step.contributions):
            before = totals.get(parent)
            totals[parent] = after
            if parent.is_leaf and not parent.label:  # a number in the expression: no question about it
                continue
            formula = local_formula(node, index, names)
            symbolic = mathml(formula, names)
            chain = (f'{partial(self.root, node)}<mo>·</mo>{partial(node, parent)}'
                     f'<mo>=</mo>{number(step.grad)}<mo>·</mo>')
            if formula.text != self._number(local):
                if formula.coefficient != 1.0 or formula.rest_precedence < _PRODUCT:  # a sum, or c·(...)
                    symbolic = f'<mrow><mo>(</mo>{symbolic}<mo>)</mo></mrow>'
                chain += f'{symbolic}<mo>=</mo>{number(step.grad)}<mo>·</mo>'
            chain += f'{number(local)}<mo>=</mo>{number(contribution, factor=False)}'
            parent_name, node_name = _minus(names[parent]), _minus(names[node])
            upstream, shown = _minus(self._number(step.grad)), _minus(self._number(contribution))
            edges.append({
                'parent': ids[parent], 'name': parent_name, 'answer': contribution, 'shown': shown,
                'formula': _minus(formula.text),
                'math': f'<math display="block">{chain}</math>',
                # the quiz's question, hint and answer for this edge
                'label': f'{parent_name} receives',
                'hint_before': f'Chain rule: {parent_name} receives the gradient of {node_name} times the '
                               f'local derivative d {node_name} / d {parent_name} = ',
                'hint_math': f'<math>{symbolic}</math>',
                'hint_after': f' (the number on its arrow): {upstream} × ({_minus(formula.text)}).',
                'answer_text': f'Answer: {upstream} × {_minus(self._number(local))} = {shown}. '
                               'Type it to go on.',
                'mistakes': self._mistakes(node_name, parent_name, step.grad, local, contribution),
                'total': self._total_question(parent_name, before, contribution, after),
            })
        return edges

    def _mistakes(self, node: str, parent: str, upstream: float, local: float,
                  contribution: float) -> list[dict]:
        """The classic wrong answers to "what does the parent receive?", each with its own hint."""
        up, slope = _minus(self._number(upstream)), _minus(self._number(local))
        mistakes = [
            {'kind': 'local-only', 'value': local,
             'hint': f'That is the local derivative d {node} / d {parent} alone (the number on the arrow). '
                     f'The chain rule multiplies it by the gradient that reached {node}: {up}.'},
            {'kind': 'upstream-only', 'value': upstream,
             'hint': f'That is the gradient of {node} alone. {parent} receives it multiplied by the '
                     f'local derivative on its arrow, {slope}.'},
        ]
        if contribution != 0.0:
            mistakes.append({'kind': 'sign', 'value': -contribution,
                             'hint': f'The size is right but the sign is not: look again at the signs '
                                     f'of {up} '
                                     f'and {slope} (minus times minus is plus).'})
        return mistakes

    def _total_question(self, parent: str, before: float | None, contribution: float,
                        after: float) -> dict | None:
        """At fan-out, the quiz also asks the parent's new total: the second path is the mistake to catch."""
        if before is None:
            return None
        had, arrives, total = (_minus(self._number(x)) for x in (before, contribution, after))
        return {
            'answer': after, 'shown': total, 'label': f'so {parent}.grad =',
            'hint_before': f'{parent} is used more than once: its gradient adds up what comes back along '
                           'every '
                           f'arrow. It had {had}; now {arrives} arrives.',
            'hint_math': '', 'hint_after': '',
            'answer_text': f'Answer: {had} + {self._factor(contribution).replace("-", "−")} = {total}. '
                           'Type it to go on.',
            'mistakes': [
                {'kind': 'missing-path', 'value': contribution,
                 'hint': f'That is only what arrives along this arrow. {parent} is used more than once: add '
                         f'what it already had from its other use ({had}).'},
                {'kind': 'old-only', 'value': before,
                 'hint': f'That is what {parent} had before this step: add what arrives now ({arrives}).'},
            ],
        }

    def _question(self, frame: Frame) -> str:
        """What the quiz asks at this frame, if it asks anything."""
        if frame.step is not None and frame.step.contributions:
            return (f'{_minus(self.names[frame.step.node])} passes its gradient '
                    f'({_minus(self._number(frame.step.grad))}) back. What does each parent receive?')
        if frame.phase == 'forward' and len(frame.nodes) == 1 and not frame.nodes[0].is_leaf:
            return f'What is {_minus(self.names[frame.nodes[0]])}? Compute it from the values it uses.'
        return ''

    def _value_question(self, frame: Frame, ids: Mapping[Value, int]) -> dict | None:
        """The quiz's optional forward question: the value an operation computes."""
        if frame.phase != 'forward' or len(frame.nodes) != 1 or frame.nodes[0].is_leaf:
            return None
        (node,) = frame.nodes
        name, shown = _minus(self.names[node]), _minus(self._number(node.data))
        numbers = _minus(self.names.expression_with_numbers(node, self.number_format))
        lines = [_minus(line) for line in frame.lines]
        # The words up to the result: the formula, and the formula with numbers.
        keep = lines.index(f'= {shown}') if f'= {shown}' in lines else 1
        return {'node': ids[node], 'name': name, 'answer': node.data, 'shown': shown, 'keep': keep,
                'label': f'{name} =',
                'hint_before': f'Put in the values it is computed from: {name} = {numbers}',
                'hint_math': '', 'hint_after': '.',
                'answer_text': f'Answer: {name} = {numbers} = {shown}. Type it to go on.'}

    def _check_render_time(self) -> None:
        from ..diagram import GraphTooLargeError
        from ..diagram.build import MANY_BENDS, layout_bends
        bends, _ = layout_bends(self.order)
        nodes = sum(1 if node.is_leaf else 2 for node in self.order)
        per_bend = _SECONDS_PER_BEND['unplaced' if bends >= MANY_BENDS else 'placed']
        expected = len(self.frames) * (nodes * _SECONDS_PER_NODE + bends * per_bend)
        if expected > self.time_limit / 2:
            needed = math.ceil(2 * expected)
            raise GraphTooLargeError(
                f'the page would need {len(self.frames)} diagrams of a graph with {nodes} nodes and about '
                f'{bends} bends in its arrows (values reused far apart), about {expected:.1f} s of layout, '
                f'more than half the time limit of {self.time_limit:g} s; step through a smaller '
                f'expression, read the steps as text, or allow more time with '
                f'time_limit={needed} (--time-limit {needed})')

    def gif(self, *, frame_seconds: float | None = None) -> bytes:
        """An animated GIF of every frame (close-up, whole graph, title and words), for slides and posts.

        Needs the ``[gif]`` extra (Pillow) besides ``[draw]``. Each frame shows as long as its
        words take to read (:mod:`microgradnode.lesson.gif`), or ``frame_seconds`` if given; the
        GIF loops.
        """
        from .._support.extras import check_needs
        if not self.frames:
            raise ValueError(f'walkthrough: no steps to animate. {self._no_steps()}')
        # Before any rendering, nothing done in vain; all that is missing named at once.
        check_needs([('graphviz', 'GIF files'), ('PIL', 'GIF files')])
        from .gif import walkthrough_gif
        return walkthrough_gif(self, frame_seconds)

    def save(self, path: str | Path, *, frame_seconds: float | None = None) -> Path:
        """Write the HTML page to ``path`` (or, for a name ending in .gif, the GIF); returns the path.

        The file is replaced all at once: if rendering or writing fails (time limit,
        Ctrl-C, full disk), a previous file at ``path`` stays as it was. ``frame_seconds``
        is how long each frame of a GIF shows (default: as long as it takes to read).

        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> walkthrough(Value(2.0, 'x') * 3).save(folder / 'walk.html').name
        'walk.html'
        """
        from pathlib import Path

        from .._support.files import atomic_write, check_destination
        check_destination(path)  # a missing folder is said before the pictures are rendered
        if Path(path).suffix.lower() == '.gif':
            return atomic_write(path, self.gif(frame_seconds=frame_seconds))
        return atomic_write(path, self.html())

    def _repr_html_(self) -> str:
        from ..diagram import GraphTooLargeError, LayoutTimeoutError, RendererUnavailableError
        try:
            page = html.escape(self.html(), quote=True)
        except (GraphTooLargeError, LayoutTimeoutError, RendererUnavailableError) as error:
            # No page, but the reason and every step in words, rather than a traceback.
            return f'<p>{html.escape(str(error))}</p><pre>{html.escape(self.text())}</pre>'
        # An iframe keeps the page's script, styles and ids apart from the notebook's own.
        return (f'<iframe srcdoc="{page}" style="width:100%;height:760px;border:1px solid #ddd;'
                f'border-radius:6px" title="backpropagation walkthrough"></iframe>')


def walkthrough(root: Value, *, number_format: str = '.4g', rankdir: str = 'LR',
                max_nodes: int = DEFAULT_MAX_NODES, mode: str = 'reverse',
                wrt: Value | None = None, time_limit: float | None = None, quiz: bool = False,
                parameters: Iterable[Value] | None = None, learning_rate: float = 0.1) -> Walkthrough:
    """The forward and backward passes of ``root``'s graph as frames (and an HTML page).

    Runs the backward pass (as ``root.backward()`` would, after zeroing the graph's grads).
    With ``mode='forward'`` and ``wrt`` a Value of the graph, steps through forward mode
    instead: one pass computing each value with its tangent d value / d wrt (no grad changes).
    ``time_limit``: seconds that rendering the page's diagrams may take, all together
    (``diagram.DEFAULT_TIME_LIMIT`` unless given); Ctrl-C stops it at once.
    ``quiz=True``: the page asks, at each backward step, what each parent receives before
    showing it (hint, answer, score). ``parameters``: the inputs that are weights to learn,
    told apart from data inputs in the summary and the table, and what the page's Train mode
    moves (with the output as the loss); ``learning_rate``: Train mode's starting rate.

    >>> from microgradnode import Value
    >>> x = Value(0.5, 'x'); y = x.sigmoid() * x
    >>> walk = walkthrough(y)
    >>> len(walk.frames), walk.frames[-1].phase, round(x.grad, 4)
    (6, 'backward', 0.74)
    >>> walk.save('walk.html')  # doctest: +SKIP
    PosixPath('walk.html')
    """
    return Walkthrough(root, number_format=number_format, rankdir=rankdir, max_nodes=max_nodes,
                       mode=mode, wrt=wrt, time_limit=time_limit, quiz=quiz, parameters=parameters,
                       learning_rate=learning_rate)


def _check_mode(mode: str, wrt: Value | None, order: list[Value]) -> tuple[str, Value | None]:
    if mode not in ('reverse', 'forward'):
        raise ValueError(f"walkthrough mode must be 'reverse' or 'forward', not {mode!r}"[:200])
    if mode == 'reverse':
        if wrt is not None:
            raise ValueError("walkthrough: wrt is for mode='forward' (reverse mode finds every gradient)")
        return mode, None
    if not isinstance(wrt, Value) or wrt not in set(order):
        raise ValueError(f"walkthrough: mode='forward' needs wrt, a Value of the graph to differentiate "
                         f'with respect to, not {wrt!r}'[:200])
    if not wrt.is_leaf:  # its tangent would be 1 whatever its parents': the frames would not add up
        raise ValueError(f'walkthrough: wrt must be an input of the graph (a leaf), not a computed value: '
                         f'{wrt!r}'[:200])
    return mode, wrt


# What forward mode's page says instead of the words about gradients.
_FORWARD_MODE_WORDS = {
    '<caption>Every value and gradient (? = not known yet)</caption>':
    '<caption>Every value and tangent so far (? = not known yet)</caption>',
    '<th scope="col">grad</th>': '<th scope="col">tangent d·/d{wrt}</th>',
    '>grad</text>': '>tangent</text>',
}


def _forward_mode_page(page: str, wrt: str) -> str:
    for words, instead in _FORWARD_MODE_WORDS.items():
        if words not in page:  # the template changed: say so rather than mislabel the page
            raise RuntimeError(f'walkthrough template: cannot find {words[:60]!r} to relabel '
                               'for forward mode')
        page = page.replace(words, instead.replace('{wrt}', html.escape(wrt)))
    return page


def _script_json(data: object) -> str:
    import json
    # Inside <script>, "</script>" or "<!--" in a label must not end the script.
    return json.dumps(data, allow_nan=True).replace('<', '\\u003c').replace('>', '\\u003e')


def _check_parameters(parameters: Iterable[Value] | None, order: list[Value]) -> frozenset[Value]:
    if parameters is None:
        return frozenset()
    if isinstance(parameters, Value):
        parameters = (parameters,)
    chosen = list(parameters)
    in_graph = set(order)
    for value in chosen:
        if not isinstance(value, Value) or value not in in_graph or not value.is_leaf:
            raise ValueError(f'walkthrough: parameters must be inputs (leaves) of the graph, '
                             f'not {value!r}'[:200])
    return frozenset(chosen)


def _key_html(*, forward_mode: bool = False) -> str:
    """The key to the picture's marks, in the diagrams' own colours and words (diagram/style.py)."""
    from ..diagram.style import EDGE_LABEL, HIGHLIGHT, KIND_NAMES, KINDS, STYLES
    items = [f'<li><span class="swatch" style="background:{STYLES[kind].fill};'
             f'border-color:{STYLES[kind].border}"></span>{KIND_NAMES[kind]}</li>' for kind in KINDS]
    items += ['<li><span class="swatch op">×</span>operation</li>',
              f'<li><span class="number" style="color:{EDGE_LABEL}">0.5</span> on an arrow: local derivative '
              'd child / d parent</li>']
    if forward_mode:
        items.append(f'<li><span class="arrow" style="color:{HIGHLIGHT}">⟶</span> this step: the values '
                     'and tangents it uses flow forward, inputs → output</li>')
    else:
        items += ['<li><span class="number" style="color:#c2255c">gives 2</span> beside it, where a value is '
                  'used more than once: what comes back along that arrow (grad × local derivative); '
                  'the box adds them up (=)</li>',
                  f'<li><span class="arrow" style="color:{HIGHLIGHT}">⟵</span> a step backward: '
                  'the red arrows '
                  'show the way the gradient flows, output → inputs</li>']
    return f'<ul class="key" aria-label="key to the diagram">{"".join(items)}</ul>'
