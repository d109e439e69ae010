"""Every True/False keyword of the public API refuses anything but a bool (issue 22, item 24).

`compile(..., compact='yes')` and `walkthrough(quiz='yes')` were taken as truthy. The list
of public bool keywords is found by looking at the package, so that a new one without its
check fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import microgradnode
import microgradnode.nn
from microgradnode import Value, twonode

from ..conftest import require_module


def _x() -> Value:
    x = Value(0.5, 'x')
    y = x * x
    y.label = 'y'
    y.backward()
    return y


def _draw(**flag):
    require_module('graphviz')
    from microgradnode.diagram import draw
    return draw(_x(), **flag)


def _train(**flag):
    from microgradnode.nn import MLP
    from microgradnode.nn.optim import SGD
    from microgradnode.nn.training import train
    model = MLP(2, [1], seed=0)
    return train(model, [[1.0, 0.0]], [1], optimizer=SGD(model.parameters(), lr=0.1), steps=1, **flag)


def _compile_cache(**flag):
    from microgradnode.compiler import CompileCache
    return CompileCache(lambda key: _x(), **flag)


def _gradcheck(**flag):
    from microgradnode.calculus import gradcheck
    return gradcheck(lambda x: x * x, [0.5], **flag)


def _pitfall_diagram(**flag):
    require_module('graphviz')
    return microgradnode.pitfalls('no-order')[0].diagram(**flag)


def _define(**flag):
    from microgradnode.engine import define_operation
    return define_operation('flag_check_twice', 'a*2', '2', **flag)


def _add_row(**flag):
    from microgradnode.ops.user import add_row
    return add_row('flag_check_twice', 'a*2', '2', **flag)


def _tensor():
    from microgradnode.tensor import Tensor
    return Tensor([[1.0, 2.0], [3.0, 4.0]], 'T')


def _draw_tensor(**flags):
    from microgradnode.diagram.tensors import draw_tensor
    return draw_tensor(_tensor().sum(), **flags)


CALLS = {
    'microgradnode.calculus.grad': ('create_graph', lambda **f: microgradnode.grad(_x(), [_x()], **f)),
    'microgradnode.calculus.gradcheck': ('raise_on_failure', _gradcheck),
    'microgradnode.compiler.compile': ('compact', lambda **f: microgradnode.compile(_x(), **f)),
    'microgradnode.compiler.CompileCache': ('compact', _compile_cache),
    'microgradnode.diagram.draw:show_grad': ('show_grad', _draw),
    'microgradnode.diagram.draw:show_local': ('show_local', _draw),
    'microgradnode.diagram.draw:color_by_grad': ('color_by_grad', _draw),
    'microgradnode.diagram.draw:legend': ('legend', _draw),
    'microgradnode.diagram.draw:highlight_backward': ('highlight_backward', _draw),
    'microgradnode.diagram.draw:fold_sums': ('fold_sums', _draw),
    'microgradnode.diagram.draw:constant_grads': ('constant_grads', _draw),
    **{f'microgradnode.diagram.DrawOptions:{flag}': (flag, lambda **f: __import__(
        'microgradnode.diagram.options', fromlist=['DrawOptions']).DrawOptions(**f))
       for flag in ('show_grad', 'show_local', 'color_by_grad', 'legend', 'constant_grads')},
    'microgradnode.nn.Neuron': ('bias', lambda **f: microgradnode.nn.Neuron(2, **f)),
    'microgradnode.nn.Layer': ('bias', lambda **f: microgradnode.nn.Layer(2, 2, **f)),
    'microgradnode.nn.MLP': ('bias', lambda **f: microgradnode.nn.MLP(2, [2, 1], **f)),
    'microgradnode.nn.training.train:compiled': ('compiled', _train),
    'microgradnode.nn.training.train:progress': ('progress', _train),
    'microgradnode.twonode.train': ('progress', lambda **f: twonode.train(steps=1, **f)),
    'microgradnode.lesson.walkthrough': ('quiz', lambda **f: microgradnode.walkthrough(_x(), **f)),
    'microgradnode.lesson.Walkthrough': ('quiz', lambda **f: microgradnode.walkthrough(_x(), **f)),
    'microgradnode.lesson.pitfalls.Report.diagram': ('lucky', _pitfall_diagram),
    'microgradnode.engine.define_operation': ('constant', _define),
    'microgradnode.tensor.Tensor.sum': ('keepdims', lambda **f: _tensor().sum(0, **f)),
    'microgradnode.tensor.Tensor.mean': ('keepdims', lambda **f: _tensor().mean(0, **f)),
    'microgradnode.tensor.Tensor.max': ('keepdims', lambda **f: _tensor().max(0, **f)),
    'microgradnode.diagram.draw_tensor:show_grad': ('show_grad', lambda **f: _draw_tensor(**f)),
    'microgradnode.diagram.draw_tensor:show_rules': ('show_rules', lambda **f: _draw_tensor(**f)),
    'microgradnode.ops.user.add_row': ('constant', _add_row),
}
# Accepting True there would add a row to the operation table for every later test.
CHANGES_THE_TABLE = {'microgradnode.engine.define_operation', 'microgradnode.ops.user.add_row'}

# Bool parameters that are not the user's to pass: constructors of results and internal steps.
INTERNAL = {'GradcheckRow', 'Compiled', 'build_digraph', 'build_folded', 'legend_label', 'node_kind',
            'Formula', 'Op', 'function', 'check_flag', 'TensorGradcheckRow'}


@pytest.mark.parametrize('where', sorted(CALLS))
@pytest.mark.parametrize('wrong', ['yes', 1, 0, None, 'False'])
def test_a_flag_that_is_not_a_bool_is_refused_with_its_name(where, wrong):
    name, call = CALLS[where]
    if wrong is None and name == 'compact':
        call(**{name: None})  # compact=None: chosen by the graph's size
        return
    with pytest.raises(TypeError, match=f'^{name} must be True') as caught:
        call(**{name: wrong})
    assert repr(wrong) in str(caught.value)


@pytest.mark.parametrize('where', sorted(set(CALLS) - CHANGES_THE_TABLE))
def test_true_and_false_are_accepted(where):
    name, call = CALLS[where]
    for value in (True, False):
        if where == 'microgradnode.calculus.gradcheck':
            value = False  # True raises when a check fails; it passes here either way
        call(**{name: value})


def public_bool_keywords() -> set[str]:
    found = set()
    for module_info in pkgutil.walk_packages(microgradnode.__path__, 'microgradnode.'):
        if module_info.name.startswith(('microgradnode.cli', 'microgradnode._support.old_paths')) or \
                module_info.name.endswith('__main__'):
            continue
        module = importlib.import_module(module_info.name)
        for name in getattr(module, '__all__', []):
            obj = getattr(module, name, None)
            functions = [obj]
            if inspect.isclass(obj):
                functions = [obj] + [v for k, v in vars(obj).items() if not k.startswith('_')]
            for function in functions:
                if not callable(function) or getattr(function, '__name__', name) in INTERNAL:
                    continue
                try:
                    parameters = inspect.signature(function).parameters.values()
                except (TypeError, ValueError):
                    continue
                flags = [p.name for p in parameters
                         if isinstance(p.default, bool) or p.annotation in ('bool', 'bool | None')]
                for flag in flags:
                    found.add((getattr(function, '__qualname__', name), flag))
    return found


def test_every_public_bool_keyword_is_tried_above():
    tried = {(where.split(':')[0], name) for where, (name, _) in CALLS.items()}
    # A class's methods are found as 'Class.method' (its __init__ as the class itself).
    missing = {(function, flag) for function, flag in public_bool_keywords()
               if not any(where.endswith('.' + function.replace('.__init__', '')) and name == flag
                          for where, name in tried)}
    assert missing == set()
