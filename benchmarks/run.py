"""Run every measurement, engines alternating, each run in a fresh process; write the report.

    python -m benchmarks            # full run, a few minutes
    python -m benchmarks --quick    # one process per engine and measurement, a smoke test
    python -m benchmarks --only demo_workload --only graph_memory
    python -m benchmarks --only gpt_ladder --merge --out benchmarks   # re-run one, keep the rest

Writes results.md (tables) and results.json (every figure of every run, the medians,
the machine) into the current folder, or into ``--out DIR``: never over the repository's
benchmarks/results.* (the run the docs quote) unless asked to with ``--out benchmarks``.
Shared machines are noisy: each figure is the median over fresh processes (a process reports
the mean of its measured steps), the engines take turns (the order rotates each round), and
only ratios measured in the same run are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from microgradnode._support.files import atomic_write

from .registry import Figure, Measurement, load_all

ROOT = Path(__file__).resolve().parent.parent
COMMAND = 'python -m benchmarks'

# The targets (issue 5, raised by issue 17): (description, measurement, metric, numerator
# engine, denominator engine, comparison, bound). A None engine means "the figure itself".
TARGETS = (
    ('scalar GPT: eager step ≥ 3× faster than the reference Value', 'gpt_workload', 'step', 'reference',
     'microgradnode', '>=', 3.0),
    ('training step ≥ 20× faster than micrograd', 'demo_workload', 'step', 'micrograd', 'microgradnode',
     '>=', 20.0),
    ('training step ≥ 10× faster than PyTorch scalars', 'demo_workload', 'step', 'pytorch', 'microgradnode',
     '>=', 10.0),
    ('backward ≥ 3× faster than micrograd', 'demo_workload', 'backward', 'micrograd', 'microgradnode',
     '>=', 3.0),
    ('≤ 300 bytes per graph node (tracemalloc)', 'graph_memory', 'bytes per node (tracemalloc)', None,
     'microgradnode', '<=', 300.0),
    ('compiled step ≥ 30× faster than micrograd\'s eager step', None, 'step', None, None, '>=', 30.0),
    ('tensor GPT step ≥ 30× faster than the scalar eager step', 'gpt_ladder', 'step', 'microgradnode',
     'microgradnode.tensor', '>=', 30.0),
    ('tensor GPT step not slower than PyTorch float64 eager tensors', 'gpt_ladder', 'step', 'pytorch.tensor',
     'microgradnode.tensor', '>=', 1.0),
)
LOSS_TOLERANCE = 1e-9
SCALING_TARGET = ('backward of the 10^6 chain ≤ 13× the 10^5 chain (linear)', 13.0)


# -- running -------------------------------------------------------------------------------

def run_child(measurement: Measurement, engine: str, *, timeout: float) -> dict[str, Figure]:
    """One measurement for one engine, in a fresh interpreter with the garbage collector on."""
    paths = [str(ROOT), os.environ.get('PYTHONPATH')]
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, paths))}
    try:
        done = subprocess.run([sys.executable, '-m', 'benchmarks.child', measurement.name, engine],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {'*': f'error: took more than {timeout:.0f} s'}
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ['no output'])[-1]
        return {'*': f'error: process exited with {done.returncode}: {last_line}'[:160]}
    return json.loads(done.stdout)


def collect(measurements: list[Measurement], *, repeats: int | None, timeout: float) -> dict:
    """Every run's figures: {measurement: {engine: [figures of each run]}}, engines alternating."""
    runs: dict[str, dict[str, list]] = {m.name: {e: [] for e in m.engines} for m in measurements}
    total = sum((repeats or m.repeats) * len(m.engines) for m in measurements)
    done = 0
    for m in measurements:
        for round_ in range(repeats or m.repeats):
            shift = round_ % len(m.engines)  # rotate who goes first, so that no engine always follows another
            for engine in m.engines[shift:] + m.engines[:shift]:
                start = time.perf_counter()
                figures = run_child(m, engine, timeout=timeout)
                runs[m.name][engine].append(figures)
                done += 1
                print(f'[{done}/{total}] {m.name:<20} {engine:<22} {time.perf_counter() - start:6.1f} s',
                      file=sys.stderr, flush=True)
    return runs


def medians(runs: dict[str, list]) -> dict[str, dict[str, Figure]]:
    """{engine: {metric: median}}; a metric some run could not produce shows that run's reason."""
    metrics = metric_names(runs)
    result = {}
    for engine, figures_of_runs in runs.items():
        result[engine] = {}
        for metric in metrics:
            values = [figures.get(metric, figures.get('*', 'n/a')) for figures in figures_of_runs]
            reasons = [v for v in values if isinstance(v, str)]
            result[engine][metric] = reasons[0] if reasons else statistics.median(values)
    return result


def metric_names(runs: dict[str, list]) -> list[str]:
    names: list[str] = []
    for figures_of_runs in runs.values():
        for figures in figures_of_runs:
            names += [metric for metric, value in figures.items()
                      if metric != '*' and metric not in names and not isinstance(value, list)]
    return names


def ratio(numerator: Figure, denominator: Figure) -> float | None:
    if isinstance(numerator, (int, float)) and isinstance(denominator, (int, float)) and denominator > 0:
        return numerator / denominator
    return None


# -- the machine ---------------------------------------------------------------------------

def machine() -> dict[str, str]:
    info = {'python': platform.python_version(), 'platform': platform.platform(),
            'cpus': str(os.cpu_count())}
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            models = [line.split(':', 1)[1].strip() for line in cpuinfo if line.startswith('model name')]
        info['cpu'] = models[0] if models else platform.processor()
    except OSError:
        info['cpu'] = platform.processor() or platform.machine()
    for package in ('torch', 'micrograd'):
        try:
            from importlib.metadata import version
            info[package] = version(package)
        except Exception:
            info[package] = 'not installed'
    return info


def load_average() -> str:
    try:
        return ' '.join(f'{x:.2f}' for x in os.getloadavg())
    except OSError:
        return 'unknown'


# -- the report ----------------------------------------------------------------------------

def format_figure(value: Figure, unit: str) -> str:
    if isinstance(value, str):
        return value
    if unit == 's':
        return f'{value * 1e3:.3g} ms' if value < 1 else f'{value:.3g} s'
    if unit == 'B':
        return f'{value:.0f} B'
    if unit == '%':
        return f'{value:.0%}'
    return f'{value:,.0f}' if value == int(value) or value >= 100 else f'{value:.1f}'


def ratio_pairs(engines: list[str], table: dict) -> list[tuple[str, str]]:
    """(earlier, later) engine pairs that have at least one number to compare."""
    def has_numbers(engine: str) -> bool:
        return any(isinstance(v, (int, float)) for m in table.values() for v in m.get(engine, {}).values())
    usable = [e for e in engines if has_numbers(e)]
    return [(a, b) for i, a in enumerate(usable) for b in usable[i + 1:]]


def markdown(report: dict) -> str:
    lines = [f'Measured {report["date"]} on {report["machine"]["cpu"]} ({report["machine"]["cpus"]} CPUs), '
             f'Python {report["machine"]["python"]}, torch {report["machine"]["torch"]}, '
             f'micrograd {report["machine"]["micrograd"]}; load average {report["load_average"]["start"]} '
             f'at the start, {report["load_average"]["end"]} at the end. Medians over fresh processes '
             f'(garbage collector on; a process reports the mean of its steps), engines alternating; '
             f'a ratio "a ÷ b" is how many times longer (or bigger) a is than b, measured in this run.', '']
    for part in report.get('merged', []):
        lines += [f'Re-run later with `{part["command"]}`, on {part["date"]} (load average '
                  f'{part["load_average"]["start"]} at the start, {part["load_average"]["end"]} at the end): '
                  f'{", ".join(part["measurements"])}; their ratios compare figures of that run only.', '']
    sections: dict[str, list[str]] = {}
    for name, entry in report['measurements'].items():
        sections.setdefault(entry['section'], []).append(name)
    for section, names in sections.items():
        entries = [report['measurements'][n] for n in names]
        engines = list(dict.fromkeys(e for entry in entries for e in entry['engines']))
        tables = {n: report['measurements'][n]['median'] for n in names}
        pairs = ratio_pairs(engines, tables)
        lines += [f'### {section}', '',
                  '| | ' + ' | '.join(engines) + ''.join(f' | {b} ÷ {a}' for a, b in pairs) + ' |',
                  '|---' * (1 + len(engines) + len(pairs)) + '|']
        for entry in entries:
            for metric in entry['metrics']:
                unit = entry['units'].get(metric, 's')
                cells = [entry['median'].get(e, {}).get(metric, '') for e in engines]
                median = entry['median']
                ratios = [ratio(median.get(b, {}).get(metric), median.get(a, {}).get(metric))
                          for a, b in pairs]
                lines.append(f'| {entry["title"]}: {metric} | '
                             + ' | '.join(format_figure(c, unit) if c != '' else '' for c in cells)
                             + ''.join(f' | {r:.2f}×' if r is not None else ' | ' for r in ratios) + ' |')
        for note in report['notes'].get(section, []):
            lines += ['', note]
        lines.append('')
    lines += ['### Targets (issues 5, 8 and 17)', '']
    for target in report['targets']:
        mark = {True: 'met', False: 'NOT met', None: 'not measured'}[target['met']]
        figure = f'{target["value"]:.3g}' if target['value'] is not None else '–'
        lines.append(f'- {target["description"]}: {figure} — {mark}')
    return '\n'.join(lines) + '\n'


def evaluate_targets(measurements: dict) -> list[dict]:
    results = []

    def median_of(name: str, engine: str | None, metric: str) -> Figure | None:
        return measurements.get(name, {}).get('median', {}).get(engine, {}).get(metric)

    for description, name, metric, numerator, denominator, comparison, bound in TARGETS:
        if name is None:  # the compiled step, measured beside micrograd's in another measurement
            value = ratio(median_of('demo_workload', 'micrograd', 'step'),
                          median_of('compiled_step', 'microgradnode.compile', 'step'))
        else:
            value = median_of(name, denominator, metric)
            if numerator is not None:
                value = ratio(median_of(name, numerator, metric), value)
        results.append(_target(description, value, comparison, bound))
    if 'gpt_workload' in measurements:
        results.append(_target(f'scalar GPT: losses of every engine within {LOSS_TOLERANCE:g} of the '
                               f'reference\'s at every step', loss_gap(measurements['gpt_workload']),
                               '<=', LOSS_TOLERANCE))
    for name, what in (('gpt_ladder', 'GPT'), ('gpt_ladder_wide', 'wide GPT'), ('moons_ladder', 'moons')):
        if name in measurements:
            results.append(_target(f'{what} ladder: losses of every level within {LOSS_TOLERANCE:g} of the '
                                   f'scalar engine\'s at every step',
                                   loss_gap(measurements[name], reference='microgradnode'),
                                   '<=', LOSS_TOLERANCE))
    chain_ratio = ratio(median_of('chain_1e6', 'microgradnode', 'backward'),
                        median_of('chain_1e5', 'microgradnode', 'backward'))
    results.append(_target(SCALING_TARGET[0], chain_ratio, '<=', SCALING_TARGET[1]))
    return results


def loss_gap(entry: dict, reference: str = 'reference') -> float | None:
    """Largest difference between any run's loss and the ``reference`` engine's, step by step."""
    listed = [run.get('losses') for run in entry['runs'].get(reference, [])]
    expected_losses = [losses for losses in listed if losses]
    if not expected_losses:
        return None
    gaps = [abs(loss - expected) for runs in entry['runs'].values() for run in runs
            for losses in [run.get('losses') or []] for loss, expected in zip(losses, expected_losses[0])]
    return max(gaps, default=None)


def _target(description: str, value: Figure | None, comparison: str, bound: float) -> dict:
    if not isinstance(value, (int, float)):
        return {'description': description, 'value': None, 'met': None}
    met = value >= bound if comparison == '>=' else value <= bound
    return {'description': description, 'value': value, 'met': met}


def round_ratios(entry: dict, numerator: str, denominator: str, metric: str) -> list[float]:
    """The ratio in each round (the engines' n-th runs ran one after the other)."""
    pairs = zip(entry['runs'].get(numerator, []), entry['runs'].get(denominator, []))
    values = (ratio(a.get(metric), b.get(metric)) for a, b in pairs)
    return [value for value in values if value is not None]


def ladder_note(measurements: dict) -> str:
    """The ladder's ratios in words: how many times longer each level's step is than the tensor step."""
    parts = []
    for name, what in (('gpt_ladder', 'GPT'), ('gpt_ladder_wide', 'GPT 4× wider'), ('moons_ladder', 'moons')):
        median = measurements.get(name, {}).get('median', {})
        tensor = median.get('microgradnode.tensor', {}).get('step')
        ratios = [f'{label} {value:.1f}×' for engine, label in (
            ('microgradnode', 'scalar eager'), ('microgradnode.compile', 'scalar compiled'),
            ('pytorch.tensor', 'PyTorch float64 tensors'))
            for value in [ratio(median.get(engine, {}).get('step'), tensor)] if value is not None]
        if ratios:
            parts.append(f'{what}: ' + ', '.join(ratios))
    if not parts:
        return ''
    return ('Each level\'s step time ÷ the tensor step (microgradnode.tensor), same model, same weights, '
            'same losses: ' + '; '.join(parts) + '. The scalar engine\'s graph has one node per number '
            '(about 68,000 for one name); the tensor graph has one node per array operation (about 80), so '
            'per-operation overhead decides between tensors and PyTorch on a model this small. PyTorch runs '
            'with one thread (torch.set_num_threads(1)), as NumPy\'s BLAS does on matrices this small: with '
            'two on this shared 2-CPU machine its steps took 20-100 times longer.')


def notes(measurements: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    note = ladder_note(measurements)
    if note:
        found['Efficiency ladder'] = [note]
    if 'demo_workload' in measurements:
        entry = measurements['demo_workload']
        spans = []
        for other in ('micrograd', 'pytorch'):
            for metric in ('backward', 'step'):
                each = round_ratios(entry, other, 'microgradnode', metric)
                if len(each) > 1:
                    spans.append(f'{metric} {other} ÷ microgradnode {min(each):.2f}–{max(each):.2f}×')
        if spans:
            found['Demo workload'] = ['Spread of the ratio over the rounds (each round runs the engines '
                                      'one after the other): ' + '; '.join(spans) + '.']
    if 'gpt_workload' in measurements:
        each = round_ratios(measurements['gpt_workload'], 'reference', 'microgradnode', 'step')
        gap = loss_gap(measurements['gpt_workload'])
        found['Scalar GPT'] = [
            'The reference is a Value written in the benchmark in the style scalar-GPT scripts ship '
            '(slots, children and local-gradient tuples, recursive topological sort). The compiled '
            'engine replays one compiled step per name length (CompileCache, one-hot token leaves); '
            '"compile" is the one-off cost of a length.'
            + (f' Spread of reference ÷ microgradnode over the rounds: {min(each):.2f}–{max(each):.2f}×.'
               if len(each) > 1 else '')
            + (f' Largest loss difference from the reference, any engine, any step: {gap:.2g}.'
               if gap is not None else '')]
    chain = [measurements.get(f'chain_1e{k}', {}).get('median', {}).get('microgradnode', {}).get('backward')
             for k in (5, 6)]
    if all(isinstance(v, float) for v in chain):
        found['Scaling'] = [f'microgradnode: 10^6 chain ÷ 10^5 chain = {chain[1] / chain[0]:.2f}× '
                            f'(10× would be exactly linear). micrograd\'s backward is recursive and '
                            f'fails beyond about 1,000 nodes of depth. PyTorch builds a scalar graph at '
                            f'a few microseconds per operation, so its chains stop at 10^5 to keep '
                            f'the run within a few minutes.']
    if 'graph_memory' in measurements:
        found['Memory'] = ['tracemalloc counts Python allocations exactly but cannot see PyTorch\'s C++ '
                           'graph; resident memory (RSS growth during one forward pass) sees everything, '
                           'roughly. Nodes: Values for micrograd and microgradnode (constants included), '
                           'autograd Nodes for PyTorch (leaves included; Python-number constants are '
                           'not nodes).']
    return found


def summarize(chosen: list[Measurement], runs: dict[str, dict[str, list]]) -> dict:
    """Medians, targets and notes of the runs collected for these measurements."""
    measurements = {
        m.name: {'title': m.title, 'section': m.section, 'engines': list(m.engines), 'units': m.units,
                 'metrics': metric_names(runs[m.name]), 'runs': runs[m.name],
                 'median': medians(runs[m.name])}
        for m in chosen}
    return {'measurements': measurements, 'targets': evaluate_targets(measurements),
            'notes': notes(measurements)}


def merged(path: Path, report: dict, names: list[str]) -> dict:
    """The report at ``path`` with the measurements ``names`` taken from ``report`` (a later run).

    Targets and notes are worked out again over the merged measurements; the later run is
    listed under ``merged`` with its date and load, so the tables say which figures it gave.
    """
    try:
        earlier = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return report  # nothing to merge into: this run is the whole report
    earlier['measurements'].update({name: report['measurements'][name] for name in names})
    earlier['merged'] = [part for part in earlier.get('merged', []) if set(part['measurements']) - set(names)]
    earlier['merged'].append({'date': report['date'], 'command': report['command'] + ' --merge ' + ' '.join(
        f'--only {name}' for name in names), 'load_average': report['load_average'],
        'seconds': report['seconds'], 'measurements': names})
    earlier['targets'] = evaluate_targets(earlier['measurements'])
    earlier['notes'] = notes(earlier['measurements'])
    return earlier


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split('\n\n')[0])
    parser.add_argument('--quick', action='store_true', help='one process per engine and measurement')
    parser.add_argument('--only', action='append', metavar='NAME',
                        help='run only this measurement (repeatable)')
    parser.add_argument('--out', '--output-dir', dest='output_dir', type=Path, default=Path('.'),
                        metavar='DIR', help='where results.md/json go (default: the current folder)')
    parser.add_argument('--timeout', type=float, default=300.0, help='seconds allowed per process')
    parser.add_argument('--merge', action='store_true',
                        help='keep the other measurements of the results.json in --out; '
                             'replace those run now')
    args = parser.parse_args(argv)

    registry = load_all()
    unknown = sorted(set(args.only or ()) - set(registry))
    if unknown:
        parser.error(f'unknown measurement {unknown[0]!r}; known: {", ".join(registry)}')
    chosen = [m for m in registry.values() if not args.only or m.name in args.only]

    report: dict = {'date': datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), 'machine': machine(),
                    'command': COMMAND + (' --quick' if args.quick else ''),
                    'load_average': {'start': load_average()}}
    started = time.perf_counter()
    runs = collect(chosen, repeats=1 if args.quick else None, timeout=args.timeout)
    report['load_average']['end'] = load_average()
    report['seconds'] = round(time.perf_counter() - started, 1)
    report.update(summarize(chosen, runs))
    seconds = report['seconds']
    if args.merge:
        report = merged(args.output_dir / 'results.json', report, [m.name for m in chosen])
    args.output_dir.mkdir(parents=True, exist_ok=True)
    # Atomic: an interrupted or failed write keeps the previous results rather than half of them.
    atomic_write(args.output_dir / 'results.json', json.dumps(report, indent=1) + '\n')
    text = markdown(report)
    atomic_write(args.output_dir / 'results.md', text)
    print(text)
    print(f'Wrote {args.output_dir / "results.md"} and results.json in {seconds:.0f} s.',
          file=sys.stderr)
    return 0
