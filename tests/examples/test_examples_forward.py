"""The forward mode example runs and prints the gradient both ways and the two HVPs."""

from __future__ import annotations

from microgradnode import grad, hvp, twonode

from .test_examples_higher_order import _run


def test_forward_mode_example_prints_both_gradients_and_both_hvps(tmp_path):
    out = _run('forward_mode.py', cwd=tmp_path)
    net = twonode.build()
    gradient = [round(g.data, 6) for g in grad(net.loss, net.weights)]
    assert f'forward mode: 3 passes, 18 multiply-adds, gradient {gradient}' in out
    assert f'reverse mode: 1 pass, 13 multiply-adds, gradient {gradient}' in out
    assert '  w0′ = 1  →  loss′ = d loss / d w0 = -0.001177' in out
    product = [round(h, 6) for h in hvp(net.loss, net.weights, [1.0, 0.0, 0.0])]
    assert f'  reverse-over-reverse: {product}' in out and f'  forward-over-reverse: {product}' in out
