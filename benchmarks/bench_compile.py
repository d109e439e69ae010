"""How much faster is a compiled training step? micrograd's demo workload, side by side.

Measures, each kind in its own fresh Python process (rounds interleaved, medians):

- micrograd's eager training step (build the graph, backward, SGD update),
- microgradnode's eager training step (the same code with microgradnode's Value),
- ``microgradnode.compile(loss)`` on the step's graph (tracing, code generation, CPython compile),
- a compiled training step: zero the parameters' grads, call the compiled code, SGD update.

Targets (issue 8): compiled step >= 30x faster than micrograd's eager step; compile()
costs at most 10 eager microgradnode steps.

Run from the repository root:  python benchmarks/bench_compile.py  [--rounds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.workload import forward, init_mlp, moons, parameters, train_step, value_engine  # noqa: E402

KINDS = {
    # kind: (what it is, samples per process)
    'micrograd-step': ("micrograd's eager step", 2),
    'eager-step': ("microgradnode's eager step", 8),
    'compile': ('microgradnode.compile(loss)', 4),
    'compiled-step': ('compiled step', 40),
}
LEARNING_RATE = 0.05


def _engine(kind: str):
    if kind == 'micrograd-step':
        from micrograd.engine import Value as MicrogradValue
        return value_engine('micrograd', MicrogradValue)
    from microgradnode import Value
    return value_engine('microgradnode', Value)


def measure(kind: str, samples: int) -> dict:
    """Time ``samples`` repetitions of one kind in this process; returns seconds and facts."""
    engine = _engine(kind)
    points, labels = moons()
    mlp = init_mlp(engine)
    times: list[float] = []
    facts: dict = {}
    clock = time.perf_counter
    if kind in ('micrograd-step', 'eager-step'):
        train_step(engine, mlp, points, labels, LEARNING_RATE)     # warm-up
        for _ in range(samples):
            start = clock()
            train_step(engine, mlp, points, labels, LEARNING_RATE)
            times.append(clock() - start)
    elif kind == 'compile':
        from microgradnode import compile as compile_graph
        for _ in range(samples + 1):
            loss, _ = forward(engine, mlp, points, labels)
            start = clock()
            compiled = compile_graph(loss)
            times.append(clock() - start)
            del compiled, loss
        times = times[1:]                                            # the first one warms up
    elif kind == 'compiled-step':
        from microgradnode import compile as compile_graph
        loss, _ = forward(engine, mlp, points, labels)
        compiled = compile_graph(loss)
        params = parameters(mlp)
        facts = {'nodes': compiled.nodes, 'leaves': len(compiled.leaves), 'compact': compiled.compact,
                 'bytes': len(compiled.source), 'lines': compiled.source.count('\n')}
        facts['identical_to_eager'] = _same_training(compiled, mlp, engine, points, labels)
        for _ in range(samples + 1):
            start = clock()
            for p in params:
                p.grad = 0.0
            compiled()
            for p in params:
                p.data -= LEARNING_RATE * p.grad
            times.append(clock() - start)
        times = times[1:]
    else:
        raise ValueError(f'unknown kind {kind!r}')
    return {'kind': kind, 'seconds': times, **facts}


def _same_training(compiled, mlp, engine, points, labels, steps: int = 3) -> bool:
    """Three compiled steps against three eager steps on a twin network: same bits?"""
    twin = init_mlp(engine)
    params, twin_params = parameters(mlp), parameters(twin)
    for p, q in zip(params, twin_params):
        q.data = p.data
    saved = [p.data for p in params]
    identical = True
    for _ in range(steps):
        for p in params:
            p.grad = 0.0
        value = compiled()
        for p in params:
            p.data -= LEARNING_RATE * p.grad
        identical &= value == train_step(engine, twin, points, labels, LEARNING_RATE)
        identical &= all(p.data == q.data for p, q in zip(params, twin_params))
    for p, data in zip(params, saved):
        p.data = data
    return identical


def _in_fresh_process(kind: str, samples: int) -> dict:
    command = [sys.executable, __file__, '--measure', kind, '--samples', str(samples)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, 'PYTHONHASHSEED': '0'})
    if result.returncode != 0:
        raise RuntimeError(f'{kind} failed:\n{result.stderr}')
    return json.loads(result.stdout)


def run(rounds: int = 2) -> dict:
    """All kinds, ``rounds`` times each, interleaved; medians and ratios."""
    samples: dict[str, list[float]] = {kind: [] for kind in KINDS}
    facts: dict = {}
    for _ in range(rounds):
        for kind, (_, count) in KINDS.items():
            measured = _in_fresh_process(kind, count)
            samples[kind] += measured.pop('seconds')
            measured.pop('kind')
            facts.update(measured)
    median = {kind: statistics.median(times) for kind, times in samples.items()}
    return {
        'median_seconds': median,
        'samples': {kind: len(times) for kind, times in samples.items()},
        'compiled_speedup_vs_micrograd': median['micrograd-step'] / median['compiled-step'],
        'compiled_speedup_vs_eager': median['eager-step'] / median['compiled-step'],
        'eager_speedup_vs_micrograd': median['micrograd-step'] / median['eager-step'],
        'compile_cost_in_eager_steps': median['compile'] / median['eager-step'],
        **facts,
    }


def report(results: dict) -> str:
    median = results['median_seconds']
    counts = results['samples']
    lines = [
        f"micrograd's demo workload: 2-16-16-1 MLP on 100 points, {results['nodes']:,} graph nodes per step",
        f'(medians; every kind measured in fresh processes, {counts["compiled-step"]} compiled steps)',
        '',
    ]
    for kind, (title, _) in KINDS.items():
        lines.append(f'  {title:<32} {median[kind] * 1000:9.1f} ms   ({counts[kind]} samples)')
    lines += [
        '',
        f'  compiled step vs micrograd eager      {results["compiled_speedup_vs_micrograd"]:7.1f}x faster'
        '   (target >= 30x)',
        f'  compiled step vs microgradnode eager  {results["compiled_speedup_vs_eager"]:7.1f}x faster',
        f'  microgradnode eager vs micrograd      {results["eager_speedup_vs_micrograd"]:7.1f}x faster',
        f'  compile() costs                       {results["compile_cost_in_eager_steps"]:7.1f} eager steps'
        '   (target <= 10)',
        f'  generated code: {results["bytes"] / 1e6:.2f} MB, {results["lines"]:,} lines '
        f'({"compact" if results["compact"] else "readable"} form, {results["leaves"]} leaves)',
        f'  compiled training identical to eager, bit for bit: '
        f'{"yes" if results["identical_to_eager"] else "NO"}',
    ]
    return '\n'.join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=2, help='interleaved rounds of fresh processes')
    parser.add_argument('--json', action='store_true', help='print the results as JSON')
    parser.add_argument('--measure', choices=sorted(KINDS), help=argparse.SUPPRESS)
    parser.add_argument('--samples', type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.samples)))
        return 0
    results = run(args.rounds)
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0


if __name__ == '__main__':
    sys.exit(main())
