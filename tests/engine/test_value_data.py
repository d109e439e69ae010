"""Issue 22, items 17, 18 and 19: what Value() and Value subclasses accept, and what copies keep.
Each test failed before its fix."""

from __future__ import annotations

import copy
import pickle
from fractions import Fraction

import pytest

from microgradnode import Value, gradcheck, jvp
from microgradnode.nn.optim import SGD

# -- item 18: a number too large for a float is named ---------------------------------------------

@pytest.mark.parametrize('make, what', [
    (lambda: Value(2 ** 2000), 'Value'),
    (lambda: Value(1.0) * 2 ** 2000, 'Value'),
    (lambda: 2 ** 2000 - Value(1.0), 'Value'),
    (lambda: Value(Fraction(10 ** 400)), 'Value'),
    (lambda: Value(2.0) ** 2 ** 2000, 'the exponent k of pow'),
    (lambda: Value(2.0).backward(2 ** 2000), 'backward gradient'),
    (lambda: jvp(lambda x: x * x, [2 ** 2000], [1.0]), r'primals\[0\]'),
    (lambda: gradcheck(lambda x: x * x, {'x': 1.0}, atol=2 ** 2000), 'gradcheck atol'),
    (lambda: SGD([Value(1.0)], lr=10 ** 400), r'lr \(learning rate\)'),
])
def test_a_number_too_large_for_a_float_is_named_with_the_reason(make, what):
    with pytest.raises(OverflowError, match=f'^{what} needs a number a float can hold'):
        make()


def test_a_huge_int_is_described_by_its_size_not_printed():
    with pytest.raises(OverflowError, match='not an int of 603 digits$'):
        Value(2 ** 2000)
    with pytest.raises(OverflowError, match='not an int of over 3,000 digits$'):
        Value(10 ** 100_000)  # its repr would be refused by Python's int-to-str limit


def test_an_exponent_must_be_a_real_number_as_value_data_is():
    with pytest.raises(TypeError, match='the exponent k of pow needs a real number'):
        Value(2.0).pow('2')  # float('2') used to accept it


# -- item 19: an inherited __init__ is refused like a direct one ---------------------------------

def test_a_mixins_init_is_refused_as_it_would_never_run():
    class Mixin:
        def __init__(self, *args):
            self.ready = True

    with pytest.raises(TypeError, match=r'defines __init__ \(inherited from .*Mixin\)'):
        class Ready(Mixin, Value):  # noqa: F841 - the class statement is the test
            pass
    with pytest.raises(TypeError, match=r'defines __new__ \(inherited from .*Maker\)'):
        class Maker:
            def __new__(cls, *args):
                return super().__new__(cls)

        class Made(Value, Maker):  # noqa: F841
            pass


# -- item 17: a subclass's own state survives copy, deepcopy and pickle -----------------------------

class Tagged(Value):
    __slots__ = ('tag', '__hidden')


class Noted(Value):
    """No __slots__: instances have a __dict__."""


COPIES = {'copy': copy.copy, 'deepcopy': copy.deepcopy, 'pickle': lambda v: pickle.loads(pickle.dumps(v))}


@pytest.mark.parametrize('how', COPIES)
def test_a_subclass_keeps_its_slots_and_its_attributes(how):
    tagged = Tagged(2.0, 't')
    tagged.tag = 'weight'
    tagged._Tagged__hidden = 5
    noted = Noted(3.0)
    noted.note = ['kept']
    product = tagged * noted
    twin_tagged, twin_noted, twin_product = (COPIES[how](v) for v in (tagged, noted, product))
    assert (type(twin_tagged), twin_tagged.tag, twin_tagged._Tagged__hidden) == (Tagged, 'weight', 5)
    assert (type(twin_noted), twin_noted.note) == (Noted, ['kept'])
    assert twin_product.data == 6.0


def test_deepcopy_copies_a_subclass_attribute_once_even_when_it_names_a_later_node():
    leaf = Noted(2.0)
    out = leaf * leaf
    leaf.result = out  # refers to a node above it in the graph
    twin_out = copy.deepcopy(out)
    twin_leaf = twin_out.parents[0]
    assert twin_leaf.result is twin_out and twin_out.parents[1] is twin_leaf


def test_a_deepcopy_of_a_subclass_attribute_is_deep_and_a_copy_is_shallow():
    noted = Noted(1.0)
    noted.note = ['kept']
    assert copy.copy(noted).note is noted.note
    assert copy.deepcopy(noted).note is not noted.note
