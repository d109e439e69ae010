"""``explain`` writes the notebook's update only for the weights it updates (issue 22.21)."""

from __future__ import annotations

import pytest

from microgradnode.cli import main


@pytest.mark.parametrize('name', ['loss', 'out', 's0', 'target', 's1', 'x1'])
def test_no_update_for_what_is_not_a_weight(capsys, name):
    assert main(['explain', '--wrt', name]) == 0
    out = capsys.readouterr().out
    assert f'd loss / d {name}' in out
    assert "The notebook's update" not in out and 'alpha' not in out


def test_each_weight_gets_its_update(capsys):
    assert main(['explain', '--wrt', 'w0', '--wrt', 'w1', '--wrt', 'w2', '--wrt', 'target']) == 0
    out = capsys.readouterr().out
    assert out.count("The notebook's update (Step 3)") == 3
    assert "w2 = w2 - alpha * (out - target) · s2\n" in out
