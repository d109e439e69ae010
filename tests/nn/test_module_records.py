"""Issue 22, items 11 and 14: the record a Module call leaves on its outputs never consumes what
the call returns, and a deep copy's records name the copy's own inputs. Each test failed before."""

from __future__ import annotations

import copy
import gc
import pickle

from microgradnode import Value, draw
from microgradnode.nn import MLP, Module, module_names

# -- item 11 --------------------------------------------------------------------------------------

class Generating(Module):
    def __call__(self, x):
        return (x * i for i in range(3))


class Mapping(Module):
    def __call__(self, xs):
        return map(lambda v: v * 2, xs)


class TakesOne(Module):
    def __call__(self, xs):
        return next(xs) * 2


def test_a_module_returning_a_generator_or_a_map_hands_all_of_it_to_the_caller():
    x = Value(1.0)
    assert [v.data for v in Generating()(x)] == [0.0, 1.0, 2.0]
    assert [v.data for v in Mapping()([x, x])] == [2.0, 2.0]


def test_an_iterator_passed_in_is_left_where_the_call_left_it():
    pending = iter([Value(1.0), Value(2.0), Value(3.0)])
    assert TakesOne()(pending).data == 2.0
    assert [v.data for v in pending] == [2.0, 3.0]


# -- item 14 --------------------------------------------------------------------------------------

def _network():
    model = MLP(2, [3, 1], seed=0)
    x = [Value(0.5, 'x0'), Value(-1.0, 'x1')]
    loss = (model(x) - 1.0) ** 2
    return model, x, loss


def test_a_deep_copy_records_the_copied_inputs_of_each_module_call():
    model, x, loss = _network()
    model2, loss2 = copy.deepcopy([model, loss])
    originals = {id(v) for v in [*x, *model.parameters()]}
    for node in _nodes(loss2):
        record = getattr(node, '_module', None)
        if record is not None:
            assert not any(id(v) in originals for v in record[1]), record
    assert module_names(loss2)[loss2.parents[0].parents[0]] == module_names(loss)[loss.parents[0].parents[0]]


def test_the_folded_drawing_of_a_deep_copy_keeps_its_input_boxes():
    _, _, loss = _network()
    loss.backward()
    source = draw(copy.deepcopy(loss), fold='neuron').source
    assert 'x0' in source and 'x1' in source


def test_a_deep_copy_keeps_nothing_of_the_original_alive_and_pickles_as_small():
    model, loss = _network()[::2]
    alone = len(pickle.dumps(copy.deepcopy([model, loss])))
    model2, loss2 = copy.deepcopy([model, loss])
    before = _values_alive()
    del model, loss
    freed = before - _values_alive()
    assert freed == len(_nodes(loss2))  # every node of the original graph is freed
    assert len(pickle.dumps([model2, loss2])) == alone


def _nodes(root):
    from microgradnode import topological_order
    return topological_order(root)


def _values_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Value)
