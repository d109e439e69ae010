"""Every import path documented before the package had layers still works (issue 21).

The list is what README.md, docs/, examples/ and the docstrings imported when the modules
sat side by side at the top of the package; new code uses the new paths, but scripts and
notebooks written against the old ones keep running.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

DOCUMENTED_IMPORTS = [
    'from microgradnode import Value, draw, compile, grad, hessian, hvp, jvp, jacobian, gradcheck',
    'from microgradnode import topological_order, explain, walkthrough, twonode, CompileCache, __version__',
    'from microgradnode import compile as compile_graph',
    'from microgradnode import no_grad, enable_grad, is_grad_enabled, backward_steps, GradcheckError',
    'from microgradnode.engine import Value, method_source, topological_order, is_grad_enabled',
    'from microgradnode.ops import OPS, FUNCTIONS, Op',
    'from microgradnode.formula_syntax import parse, function',
    'from microgradnode.autodiff import grad, hessian, hvp, HVP_MODES',
    'from microgradnode.forward import forward_tangents, forward_order, jacobian_of, jvp, jacobian',
    'from microgradnode.forward import JACOBIAN_MODES',
    'from microgradnode.check import gradcheck, GradcheckError, GradcheckReport',
    'from microgradnode.formulas import NodeNames, latex, local_formula, mathml, format_number',
    'from microgradnode.explain import explain, Explanation, StaleGraphError, count_paths',
    'from microgradnode.explain import check_recorded_state',
    'from microgradnode.expr import parse_expression, ExpressionError, UnknownNameError',
    'from microgradnode.compiler import compile, Compiled, CompileCache, COMPACT_ABOVE',
    'from microgradnode.nn import MLP, Layer, Neuron, Module, ACTIVATIONS, module_names',
    'from microgradnode.losses import hinge, mse, binary_cross_entropy, LOSSES',
    'from microgradnode.optim import SGD, Adam, Momentum, OPTIMIZERS',
    'from microgradnode.datasets import moons, circles, xor, DATASETS',
    'from microgradnode.training import History, accuracy, batch_loss, train, scores',
    'from microgradnode.training import plot_decision_boundary, plot_history',
    'from microgradnode.twonode import build, train, order_gap, save_figure, gradient_chain, training_figure',
    'from microgradnode.walkthrough import Walkthrough, walkthrough',
    'from microgradnode.diagram import draw, available_renderers, GraphTooLargeError, DEFAULT_MAX_NODES',
    'from microgradnode.diagram.options import DrawOptions',
    'from microgradnode.files import atomic_write, replacing',
    'from microgradnode.extras import MissingExtraError, check_installed, require',
    'from microgradnode.progress import Progress',
    'from microgradnode.cli import main, UsageError, ArgumentParser',
    'from microgradnode.cli.options import check_different_files, check_output_file',
    'from microgradnode.cli.options import real_number, whole_number',
    'import microgradnode.compiler, microgradnode.twonode, microgradnode.nn, microgradnode.losses',
]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)


def test_every_documented_import_works():
    code = '\n'.join(DOCUMENTED_IMPORTS) + '\nprint("ok")'
    result = _run(code)
    assert result.stdout.strip() == 'ok', result.stderr


@pytest.mark.parametrize('statement', DOCUMENTED_IMPORTS)
def test_each_import_works_first_in_a_fresh_interpreter(statement):
    # order matters to an import system: each one as the very first import too
    result = _run(statement)
    assert result.returncode == 0, result.stderr


def test_an_old_path_is_the_new_module_itself():
    result = _run('import microgradnode.losses, microgradnode.nn.losses, microgradnode.files\n'
                  'import microgradnode._support.files as f\n'
                  'print(microgradnode.losses is microgradnode.nn.losses, microgradnode.files is f,\n'
                  '      microgradnode.losses.__spec__.name)')
    assert result.stdout.split() == ['True', 'True', 'microgradnode.nn.losses']


@pytest.mark.parametrize('name', ['explain', 'walkthrough'])
def test_importing_the_old_module_keeps_the_function_of_the_same_name(name):
    # `microgradnode.explain` is the function; importing the module by its old path must not
    # replace it with the module (as an import normally sets the package's attribute)
    result = _run(f'import microgradnode.{name}\nimport microgradnode\n'
                  f'print(callable(microgradnode.{name}), type(microgradnode.{name}).__name__)')
    assert result.stdout.split() == ['True', 'function']


def test_objects_pickled_under_old_paths_load():
    import pickle

    from microgradnode.nn import MLP
    model = MLP(2, [2, 1], seed=0)
    data = pickle.dumps(model)
    assert pickle.loads(data)([1.0, 2.0]).data == model([1.0, 2.0]).data


def test_the_forward_alias_reexports_both_halves():
    result = _run('import microgradnode.forward as f\nprint(sorted(f.__all__))')
    names = eval(result.stdout)
    assert {'jvp', 'forward_tangents', 'jacobian', 'jacobian_of', 'JACOBIAN_MODES'} <= set(names)
