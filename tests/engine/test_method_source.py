"""engine.method_source: the generated methods' text, and that it is the code that runs."""

from __future__ import annotations

import math

import pytest

from microgradnode import Value, engine
from microgradnode.ops import OPS


@pytest.mark.parametrize('method', [*OPS, *engine._OPERATORS])
def test_source_compiles_to_the_method_value_uses(method):
    source = engine.method_source(method)
    assert source.startswith(f'def {method}(self')
    defined: dict = {}
    exec(compile(source, '<test>', 'exec'), engine._namespace, defined)  # noqa: S102
    function = defined[method]
    # Same bytecode as the method Value really has: the text is not a paraphrase.
    assert function.__code__.co_code == getattr(Value, method).__code__.co_code
    assert function.__code__.co_consts == getattr(Value, method).__code__.co_consts


def test_source_reads_the_table_row():
    source = engine.method_source('sigmoid')
    assert 'out = sigmoid(a)' in source and 'node._da = out * (1.0 - out)' in source
    reflected = engine.method_source('__rtruediv__')
    assert 'a = other.data; b = self.data' in reflected


def test_source_leaves_the_engine_working():
    engine.method_source('mul')
    x = Value(3.0, 'x')
    y = x * x
    y.backward()
    assert x.grad == 6.0 and 'compile' not in vars(engine)
    assert math.isclose(Value(0.5).tanh().data, math.tanh(0.5))


@pytest.mark.parametrize('bad, error', [('matmul', ValueError), ('', ValueError), (3, TypeError)])
def test_unknown_method_is_named(bad, error):
    with pytest.raises(error, match='method_source'):
        engine.method_source(bad)
