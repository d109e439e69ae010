"""The scalar GPT benchmark workload, its reference Value, and compiled replay per shape."""

from __future__ import annotations

import sys

import pytest

from benchmarks import gpt
from microgradnode import CompileCache, Value


@pytest.fixture(autouse=True)
def recursion_limit_restored():
    # The reference Value's recursive sort needs a higher limit (gpt.needs_recursion); left
    # raised, it made tests run later in the session (tests/engine: a million-node chain
    # "at the default recursion limit") fail in the order of the tests/<area>/ layout.
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


def trained_losses(value: type, steps: int, *, one_hot: bool = False) -> tuple[list[float], list[float]]:
    gpt.needs_recursion()
    names = gpt.load_names()
    letters = gpt.vocabulary(names)
    model = gpt.init_model(value, len(letters) + 1)
    params = gpt.parameters(model)
    optimizer = gpt.Adam(params, gpt.SCHEDULE)
    losses = []
    for name in names[:steps]:
        tokens = gpt.tokens_of(name, letters)
        leaves = gpt.one_hot_leaves(value, len(tokens), len(letters) + 1) if one_hot else None
        if leaves:
            gpt.set_one_hot(leaves, tokens)
        loss = gpt.name_loss(model, tokens, one_hot=leaves)
        loss.backward()
        losses.append(loss.data)
        optimizer.step()
    return losses, [p.data for p in params]


def test_names_file_has_a_few_hundred_distinct_lowercase_names_that_fit_the_context():
    names = gpt.load_names()
    assert 300 <= len(names) == len(set(names))
    assert all(name.isalpha() and name.islower() and len(name) + 1 <= gpt.CONTEXT for name in names)
    assert len(gpt.parameters(gpt.init_model(float, len(gpt.vocabulary(names)) + 1))) == 4192


def test_reference_value_and_microgradnode_agree_on_losses_and_parameters():
    ours, our_params = trained_losses(Value, 3)
    theirs, their_params = trained_losses(gpt.ReferenceValue, 3)
    assert ours[0] == pytest.approx(3.29, abs=0.01)      # about log(27): an untrained model
    assert max(abs(a - b) for a, b in zip(ours, theirs)) <= 1e-9
    assert max(abs(a - b) for a, b in zip(our_params, their_params)) <= 1e-9
    assert ours[0] != ours[1]                              # the model did train


def test_one_hot_tokens_change_no_bit():
    assert trained_losses(Value, 2) == trained_losses(Value, 2, one_hot=True)


def test_compiled_training_matches_eager_and_replays_one_step_per_length():
    figures = gpt.compiled_training(12)
    eager, _ = trained_losses(Value, 12)
    assert max(abs(a - b) for a, b in zip(figures['losses'], eager)) <= 1e-9
    lengths = {len(name) for name in gpt.load_names()[:12]}
    assert figures['distinct lengths compiled'] == len(lengths) < 12


def test_compile_cache_builds_once_per_key_and_reports_bad_builders():
    w = Value(0.5, 'w')
    inputs: dict[int, list[Value]] = {}
    built = []

    def build(length: int) -> Value:
        built.append(length)
        inputs[length] = [Value(1.0) for _ in range(length)]
        return sum(w * x for x in inputs[length])

    cache = CompileCache(build)
    assert cache[3] is cache[3] and built == [3]
    for x, data in zip(inputs[3], (1.0, 2.0, 4.0)):
        x.data = data
    assert cache[3]() == 3.5 and w.grad == 7.0
    assert cache[2]() == 1.0 and built == [3, 2] and len(cache) == 2 and 2 in cache
    cache.clear()
    assert len(cache) == 0 and 3 not in cache
    with pytest.raises(TypeError, match=r'build\(1\) returned float, not a Value'):
        CompileCache(lambda key: 1.0)[1]
    with pytest.raises(TypeError, match='needs a function'):
        CompileCache(3)  # type: ignore[arg-type]
    failing = CompileCache(lambda key: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing['x']
    assert 'x' not in failing


def test_compile_cache_builds_a_key_once_when_threads_ask_together():
    import threading
    import time

    w = Value(2.0, 'w')
    calls = []

    def slow_build(key: int) -> Value:
        calls.append(key)
        time.sleep(0.05)
        return w * float(key)

    cache = CompileCache(slow_build)
    got = []
    threads = [threading.Thread(target=lambda: got.append(cache[3])) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [3] and len({id(step) for step in got}) == 1 and got[0]() == 6.0
    assert CompileCache(lambda key: Value(1.5))['leaf']() == 1.5     # a leaf compiles too
    with pytest.raises(TypeError, match='unhashable'):
        cache[[1, 2]]


def test_gpt_measurements_run_in_a_child_and_refuse_unknown_engines():
    import json
    import subprocess
    import sys
    from pathlib import Path

    def child(name: str, engine: str) -> dict:
        done = subprocess.run([sys.executable, '-m', 'benchmarks.child', name, engine],
                              cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
                              timeout=120, check=True)
        return json.loads(done.stdout)

    collector = child('gpt_garbage_collector', 'microgradnode')
    assert collector['collections per step'] > 10
    shares = collector['share of the step spent collecting'], collector['share of forward spent collecting']
    assert 0.0 < shares[0] < shares[1] < 1
    assert child('gpt_workload', 'nowhere') == {'*': "n/a: no engine called 'nowhere'"}
