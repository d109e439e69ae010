"""Speed claims in README.md and docs/*.md quote one run: benchmarks/results.json.

After a new `python -m benchmarks`, this test lists every sentence to update, rather
than letting the README, compile.md and performance.md drift to three different numbers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import claims
from benchmarks.run import format_figure

ROOT = Path(__file__).resolve().parents[2]
REPORT = json.loads((ROOT / 'benchmarks' / 'results.json').read_text(encoding='utf-8'))
RESULTS = REPORT['measurements']


def median(case: str, engine: str, metric: str) -> float:
    return RESULTS[case]['median'][engine][metric]


def t(case: str, engine: str, metric: str) -> str:
    return format_figure(median(case, engine, metric), 's')


def times(a: float, b: float, digits: int = 1) -> str:
    return f'{a / b:.{digits}f}×'


def expected_claims() -> dict[str, list[str]]:
    demo = {e: RESULTS['demo_workload']['median'][e] for e in ('microgradnode', 'micrograd', 'pytorch')}
    ours, theirs = demo['microgradnode'], demo['micrograd']
    compiled = median('compiled_step', 'microgradnode.compile', 'step')
    eager = median('compiled_step', 'microgradnode', 'step')
    vs_micrograd = theirs['step'] / compiled
    about = f'{float(f"{vs_micrograd:.2g}"):.0f}×'  # two significant figures: 283 -> 280
    readme = [f'about {theirs["step"] / ours["step"]:.0f}× faster per training step than micrograd',
              f'compiled steps about {about} faster',
              f'compiled training step is about {about} faster than micrograd\'s eager step']
    performance = [f'{format_figure(compiled, "s")} against {format_figure(eager, "s")} eager, after a '
                   f'one-off compile of {t("compiled_step", "microgradnode.compile", "compile")}']
    compile_md = [f'| micrograd, eager | {t("demo_workload", "micrograd", "step")} |',
                  f'| microgradnode, eager | {format_figure(eager, "s")} |',
                  f'| microgradnode, compiled | {format_figure(compiled, "s")} |',
                  f'about {vs_micrograd:.0f}× faster than micrograd\'s eager step and '
                  f'{eager / compiled:.0f}× faster than microgradnode\'s eager step']
    nn = [f'{format_figure(compiled, "s")} against {format_figure(eager, "s")} eager',
          f'One step takes {t("nn_moons_step", "microgradnode.nn", "step")} in the benchmark\'s latest run']
    return {'README.md': readme, 'docs/performance.md': performance, 'docs/compile.md': compile_md,
            'docs/nn.md': nn}


def flat(path: str) -> str:
    return ' '.join((ROOT / path).read_text(encoding='utf-8').split())


@pytest.mark.parametrize('path', sorted(expected_claims()))
def test_docs_quote_the_latest_benchmark_run(path):
    text = flat(path)
    missing = [claim for claim in expected_claims()[path] if claim not in text]
    assert not missing, f'{path} does not quote benchmarks/results.json; update:\n' + '\n'.join(missing)


@pytest.mark.parametrize('path', claims.DOCUMENTS)
def test_benchmark_tables_are_those_written_from_the_results_file(path):
    text = (ROOT / path).read_text(encoding='utf-8')
    expected = claims.replace_block(text, claims.tables(REPORT), path)
    assert text == expected, f'{path}: run python -m benchmarks.claims to rewrite its tables'


def test_no_other_faster_claim_than_those_of_the_run():
    """Any "N× faster" in the docs is one of the run's ratios (or a target of issue 5)."""
    demo = RESULTS['demo_workload']['median']
    numbers = [v for engine in demo.values() for v in engine.values()]
    numbers += [median('compiled_step', e, 'step') for e in ('microgradnode', 'microgradnode.compile')]
    gpt = RESULTS['gpt_workload']['median']
    numbers += [v for engine in gpt.values() for v in engine.values() if isinstance(v, float)]
    for ladder in ('gpt_ladder', 'gpt_ladder_wide', 'moons_ladder'):  # docs/tensors.md's efficiency ladder
        numbers += [engine.get('step') for engine in RESULTS.get(ladder, {}).get('median', {}).values()
                    if isinstance(engine.get('step'), float)]
    ratios = {a / b for a in numbers for b in numbers if b}
    for path in ['README.md', *(f'docs/{p.name}' for p in (ROOT / 'docs').glob('*.md'))]:
        for match in re.finditer(r'(\d+(?:\.\d+)?)× faster', flat(path)):
            printed = match.group(1)
            # Half a unit of the last digit printed: 14.7 -> 0.05, 15 -> 0.5, 280 -> 5.
            if '.' in printed:
                tolerance = 0.5 * 10 ** -len(printed.partition('.')[2])
            else:
                tolerance = 0.5 * 10 ** (len(printed) - len(printed.rstrip('0')))
            assert any(abs(float(printed) - r) <= tolerance + 1e-9 for r in ratios), \
                f'{path}: "{match.group(0)}" is no ratio of benchmarks/results.json'
