"""Diagrams of computation graphs: :func:`draw` and the :class:`Diagram` it returns.

``import microgradnode`` does not import this package until ``microgradnode.draw`` is
first used, and :func:`draw` imports the ``graphviz`` package when first called. Without
it (the ``[draw]`` extra is not installed), ``from microgradnode import draw`` and
:func:`draw` raise :class:`microgradnode._support.extras.MissingExtraError` at once. The light
modules (``options``, ``renderers``' checks) import without it: the walkthrough's text uses them.

>>> from microgradnode import Value, draw
>>> x = Value(2.0, 'x'); y = (x * x).sigmoid()
>>> y.backward()
>>> diagram = draw(y)
>>> diagram.value_count, diagram.operation_count
(3, 2)
>>> diagram.save('graph.svg')  # doctest: +SKIP
PosixPath('graph.svg')
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

from .._support.extras import check_installed as _check_installed
from .._support.flags import check_flag
from ..engine import Value
from .figure import Diagram
from .options import DEFAULT_MAX_NODES, DrawOptions, GraphTooLargeError
from .renderers import (
    DEFAULT_TIME_LIMIT,
    FORMATS,
    LayoutTimeoutError,
    RendererUnavailableError,
    available_renderers,
)

__all__ = ['draw', 'Diagram', 'DrawOptions', 'DEFAULT_MAX_NODES', 'DEFAULT_TIME_LIMIT', 'FORMATS',
           'GraphTooLargeError', 'LayoutTimeoutError', 'RendererUnavailableError', 'available_renderers']


def draw(root: Value, *, rankdir: str = 'LR', show_grad: bool = True, show_local: bool = True,
         number_format: str = '.4g', color_by_grad: bool = False, legend: bool = False,
         title: str = '', max_nodes: int = DEFAULT_MAX_NODES, highlight: Iterable[Value] = (),
         highlight_edges: Iterable[tuple[Value, Value]] = (),
         grads: Mapping[Value, float | None] | None = None, names: Mapping[Value, str] | None = None,
         renderer: str = 'auto', tangents: Mapping[Value, float] | None = None,
         tangent_values: Mapping[Value, float | None] | None = None,
         time_limit: float = DEFAULT_TIME_LIMIT, highlight_backward: bool = False,
         group: str | None = None, fold: str | None = None, fold_sums: bool = False,
         constant_grads: bool = True) -> Diagram:
    """Draw ``root`` and every Value it was computed from.

    Options (keyword only):

    - ``rankdir``: ``'LR'`` (left to right, the default), ``'TB'`` (top to bottom), ``'RL'``, ``'BT'``.
    - ``show_grad``: show each Value's grad; ``show_local``: write on each edge the local
      derivative d child / d parent the engine recorded; ``constant_grads=False``: no grad
      on a constant (an unlabelled leaf, such as the 0.5 of ``0.5 * x``), whose gradient
      teaches nothing (the walkthrough's pictures).
    - ``number_format``: a format spec for every number, such as ``'.4g'`` or ``'.2f'``
      (a float presentation type, width and precision at most 40 and 20).
    - ``color_by_grad``: fill Values red for a positive grad, blue for a negative one,
      stronger for a larger one; ``legend``: add a key to the colours and shapes;
      ``title``: a caption above the graph.
    - ``max_nodes``: refuse graphs with more Values than this (:class:`GraphTooLargeError`, a
      ValueError), rather than spending minutes on an unreadable picture; also refused:
      graphs whose arrows would bend more than ``BENDS_PER_NODE * max_nodes`` times
      (a value reused along a long chain, such as ``x+x+...+x``).
    - ``highlight``: Values to emphasise (red border); ``highlight_edges``: ``(parent, child)``
      pairs whose edges to emphasise (the arrows from parent through child's operation);
      ``highlight_backward``: point those emphasised arrows the other way, child to parent,
      the way a gradient flows (the walkthrough's backward steps).
    - ``grads``: a mapping Value -> grad to show instead of ``.grad``; ``None`` shows
      ``grad ?`` (not computed yet). Values missing from the mapping show ``.grad``.
    - ``names``: a mapping Value -> name to show instead of ``.label`` (for instance
      ``(out - target)`` for an unlabelled value, as the walkthrough does).
    - ``renderer``: ``'auto'``, ``'pygraphviz'`` or ``'dot'``, used by ``save`` and ``pipe``.
    - ``tangents``: forward mode's seeds, such as ``{x: 1.0}``: each Value also shows its
      tangent, d value / d x, pushed forward from them
      (:func:`microgradnode.calculus.forward.forward_tangents`).
    - ``tangent_values``: a mapping Value -> tangent to show as it is (``None`` shows
      ``tangent ?``, a Value missing from it 0), for pictures of a pass half done.
    - ``time_limit``: seconds ``save`` and ``pipe`` let Graphviz work before stopping it
      (:class:`LayoutTimeoutError`); Ctrl-C stops it at once.
    - ``group='module'``: each ``microgradnode.nn`` module's Values in a labelled cluster.
    - ``fold``: ``'neuron'`` or ``'layer'`` draws each neuron (layer) as one box with its
      output's data and grad and its parameters' gradient norm, arrows carrying the gradient
      flowing between boxes; ``'sample'`` draws one sample of a batch loss, folded by neuron,
      marked "× N samples" (docs/diagrams.md).
    - ``fold_sums``: draw a chain of additions (what ``sum()`` builds) as one Σ operation.

    A :class:`microgradnode.tensor.Tensor` is drawn at the tensor level
    (:func:`microgradnode.diagram.tensors.draw_tensor`: shapes on the boxes, each arrow's
    vector-Jacobian rule); ``rankdir``, ``show_grad``, ``show_local`` (the rules),
    ``number_format`` and ``title`` apply.

    >>> from microgradnode import Value
    >>> a = Value(1.5, 'a'); b = a.tanh()
    >>> 'tanh' in draw(b, show_grad=False).source
    True
    >>> 'tangent' in draw(b * a, tangents={a: 1.0}).source
    True
    """
    _check_installed('graphviz', 'diagrams')
    tensors = sys.modules.get('microgradnode.tensor.core')  # loaded only if tensors are in use
    if tensors is not None and isinstance(root, tensors.Tensor):
        from .tensors import draw_tensor
        return draw_tensor(root, rankdir=rankdir, show_grad=show_grad, show_rules=show_local,
                           number_format=number_format, title=title)
    from .build import build_digraph
    from .fold import build_folded

    if tangents is not None:
        if tangent_values is not None:
            raise ValueError('draw: give tangents (the seeds) or tangent_values (every tangent), not both')
        from ..calculus.forward import forward_tangents
        tangent_values = forward_tangents(root, tangents, what='draw: tangents')
    highlight_backward = check_flag(highlight_backward, 'highlight_backward')
    fold_sums = check_flag(fold_sums, 'fold_sums')
    options = DrawOptions(rankdir=rankdir, show_grad=show_grad, show_local=show_local,
                          number_format=number_format, color_by_grad=color_by_grad, legend=legend,
                          title=title, max_nodes=max_nodes, constant_grads=constant_grads)
    if group is not None or fold is not None or fold_sums is not False:
        if any((highlight, highlight_edges, grads, names, tangent_values, highlight_backward)):
            raise ValueError('draw: highlight, highlight_edges, grads, names and tangents apply to unfolded '
                             'diagrams; leave out group, fold and fold_sums to use them')
        drawing = build_folded(root, options, fold=fold, group=group, fold_sums=fold_sums)
        return Diagram(drawing.digraph, value_count=drawing.value_count,
                       operation_count=drawing.operation_count, renderer=renderer, time_limit=time_limit)
    drawing = build_digraph(root, options, highlight=highlight, highlight_edges=highlight_edges,
                            grads=grads, names=names, tangents=tangent_values,
                            highlight_backward=highlight_backward)
    return Diagram(drawing.digraph, value_count=drawing.value_count,
                   operation_count=drawing.operation_count, renderer=renderer, time_limit=time_limit)
