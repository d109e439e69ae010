"""Issue 22, item 20: grad(..., create_graph=True) returns new nodes, as PyTorch does, never a node
of the output's graph nor one object for two inputs. Each test failed before."""

from __future__ import annotations

from microgradnode import Value, grad, topological_order


def test_the_gradient_of_a_product_is_a_new_node_not_the_other_factor():
    x, y = Value(2.0, 'x'), Value(3.0, 'y')
    (dx,) = grad(x * y, [x], create_graph=True)
    assert dx is not y and dx.data == 3.0
    dx.label = 'dx'
    assert y.label == 'y'
    # Still a graph over y: its own gradient is d(dx)/dy = 1.
    assert grad(dx, [y])[0].data == 1.0


def test_two_inputs_never_share_one_result():
    a, b, c = Value(1.0, 'a'), Value(2.0, 'b'), Value(3.0, 'c')
    da, db = grad(a * c + b * c, [a, b], create_graph=True)
    assert da is not db and c not in (da, db) and (da.data, db.data) == (3.0, 3.0)
    first, second = grad(a * c, [a, a], create_graph=True)
    assert first is not second and first.data == second.data == 3.0


def test_results_are_bit_for_bit_the_numbers_of_backward():
    x, y = Value(-0.0, 'x'), Value(float('nan'), 'y')
    dx, dy = grad(x * y, [x, y], create_graph=True)
    assert str(dy.data) == '-0.0' and dx.data != dx.data
    h = x * 2.0
    nodes_before = len(topological_order(h))
    (dh,) = grad(h, [x], create_graph=True)  # the constant 2.0 of h's graph, as a new node
    assert dh.data == 2.0 and dh is not h.parents[1] and len(topological_order(h)) == nodes_before
