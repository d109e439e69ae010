"""The benchmark runner's bookkeeping: medians, reasons, ratios, targets, fresh processes.

The figures themselves come from `python -m benchmarks`; nothing here is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.registry import Measurement, load_all

ROOT = Path(__file__).resolve().parents[2]


def fake(name: str, engines: tuple[str, ...], section: str = 'Demo workload') -> Measurement:
    return Measurement(name, f'{name} title', engines, lambda engine: {}, 3, {}, section)


def test_medians_keep_the_reason_an_engine_could_not_run():
    runs = {'microgradnode': [{'step': 1.0}, {'step': 3.0}, {'step': 2.0}],
            'micrograd': [{'*': 'n/a: micrograd is not installed'}]}
    assert run.medians(runs) == {'microgradnode': {'step': 2.0},
                                 'micrograd': {'step': 'n/a: micrograd is not installed'}}


def test_report_has_pairwise_ratios_round_spreads_and_targets():
    engines = ('microgradnode', 'micrograd', 'pytorch')
    runs = {'demo_workload': {
        'microgradnode': [{'backward': 0.02, 'step': 0.1}, {'backward': 0.03, 'step': 0.1}],
        'micrograd': [{'backward': 0.06, 'step': 1.0}, {'backward': 0.06, 'step': 1.0}],
        'pytorch': [{'backward': 0.5, 'step': 0.2}, {'backward': 0.5, 'step': 0.2}]}}
    report = {'date': 'today', 'machine': run.machine(), 'load_average': {'start': '1', 'end': '2'},
              **run.summarize([fake('demo_workload', engines)], runs)}
    text = run.markdown(report)
    assert '| micrograd ÷ microgradnode | pytorch ÷ microgradnode | pytorch ÷ micrograd |' in text
    assert '| demo_workload title: step | 100 ms | 1 s | 200 ms | 10.00× | 2.00× | 0.20× |' in text
    assert 'backward micrograd ÷ microgradnode 2.00–3.00×' in text
    targets = {t['description']: t for t in report['targets']}
    assert targets['training step ≥ 20× faster than micrograd']['met'] is False       # 10×
    assert targets['training step ≥ 10× faster than PyTorch scalars']['met'] is False    # 2×
    assert targets['backward ≥ 3× faster than micrograd']['value'] == 0.06 / 0.025
    assert targets['≤ 300 bytes per graph node (tracemalloc)']['met'] is None            # not run


def child(name: str, engine: str) -> dict:
    done = subprocess.run([sys.executable, '-m', 'benchmarks.child', name, engine], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_each_measurement_runs_in_a_child_and_reports_failures_as_text():
    assert set(load_all()) >= {'demo_workload', 'graph_memory', 'chain_1e6', 'wide_1e5',
                               'two_node_training', 'nn_moons_step', 'compiled_step'}
    deep = child('chain_1e4', 'micrograd')      # micrograd is a bench extra, not a test one
    assert deep in ({'backward': 'fails (RecursionError)'},
                    {'*': 'n/a: micrograd is not installed (pip install micrograd)'})
    assert child('two_node_training', 'nowhere') == {'*': "n/a: no engine called 'nowhere'"}
    memory = child('graph_memory', 'microgradnode')
    assert memory['graph nodes'] > 60_000 and memory['bytes per node (tracemalloc)'] <= 300


def test_gpt_losses_are_checked_step_by_step_and_kept_out_of_the_table():
    runs = {'gpt_workload': {
        'microgradnode': [{'step': 0.05, 'losses': [3.0, 2.5]}, {'step': 0.05, 'losses': [3.0, 2.5]}],
        'reference': [{'step': 0.2, 'losses': [3.0, 2.5 + 4e-9]}, {'step': 0.2, 'losses': [3.0, 2.5]}]}}
    summary = run.summarize([fake('gpt_workload', ('microgradnode', 'reference'), 'Scalar GPT')], runs)
    assert summary['measurements']['gpt_workload']['metrics'] == ['step']
    targets = {t['description'].split(': ')[1].split()[0]: t for t in summary['targets']
               if t['description'].startswith('scalar GPT')}
    assert targets['eager']['value'] == 4.0 and targets['eager']['met'] is True
    assert targets['losses']['value'] == pytest.approx(4e-9) and targets['losses']['met'] is False


def test_claims_check_says_whether_the_docs_quote_a_results_file(tmp_path, capsys):
    from benchmarks import claims

    assert claims.main(['--check']) == 0                       # the docs quote benchmarks/results.json
    report = json.loads(claims.RESULTS.read_text(encoding='utf-8'))
    report['seconds'] += 100
    other = tmp_path / 'results.json'
    other.write_text(json.dumps(report), encoding='utf-8')
    before = (ROOT / 'docs' / 'performance.md').read_text(encoding='utf-8')
    assert claims.main(['--check', '--results', str(other)]) == 1
    assert (ROOT / 'docs' / 'performance.md').read_text(encoding='utf-8') == before  # --check writes nothing
    assert 'out of date: docs/performance.md' in capsys.readouterr().err
    assert claims.main(['--results', str(tmp_path / 'missing.json')]) == 2
    assert capsys.readouterr().err.count('\n') == 1
    with pytest.raises(ValueError, match='no benchmark table markers'):
        claims.replace_block('no markers here', 'table', 'x.md')


def test_a_merged_run_replaces_its_measurements_keeps_the_rest_and_says_when(tmp_path):
    engines = ('microgradnode', 'microgradnode.compile', 'microgradnode.tensor', 'pytorch.tensor')
    earlier_runs = {'demo_workload': {'microgradnode': [{'step': 0.1}], 'micrograd': [{'step': 1.0}]}}
    earlier = {'date': 'monday', 'machine': run.machine(), 'load_average': {'start': '1', 'end': '1'},
               'command': 'python -m benchmarks', 'seconds': 10.0,
               **run.summarize([fake('demo_workload', ('microgradnode', 'micrograd'))], earlier_runs)}
    (tmp_path / 'results.json').write_text(json.dumps(earlier), encoding='utf-8')
    later_runs = {'gpt_ladder': {'microgradnode': [{'step': 0.05, 'losses': [3.0, 2.9]}],
                                 'microgradnode.compile': [{'step': 0.01}],
                                 'microgradnode.tensor': [{'step': 0.001, 'losses': [3.0, 2.9 + 1e-12]}],
                                 'pytorch.tensor': [{'step': 0.002, 'losses': [3.0, 2.9]}]}}
    later = {'date': 'tuesday', 'machine': run.machine(), 'load_average': {'start': '2', 'end': '3'},
             'command': 'python -m benchmarks', 'seconds': 5.0,
             **run.summarize([fake('gpt_ladder', engines, 'Efficiency ladder')], later_runs)}
    report = run.merged(tmp_path / 'results.json', later, ['gpt_ladder'])
    assert set(report['measurements']) == {'demo_workload', 'gpt_ladder'} and report['date'] == 'monday'
    targets = {t['description']: t for t in report['targets']}
    assert targets['tensor GPT step ≥ 30× faster than the scalar eager step']['value'] == pytest.approx(50.0)
    assert targets['tensor GPT step not slower than PyTorch float64 eager tensors']['met'] is True
    assert targets['training step ≥ 20× faster than micrograd']['value'] == pytest.approx(10.0)  # kept
    assert targets['GPT ladder: losses of every level within 1e-09 of the scalar engine\'s at every step'][
        'met'] is True
    text = run.markdown(report)
    assert 'Re-run later with `python -m benchmarks --merge --only gpt_ladder`, on tuesday' in text
    assert 'GPT: scalar eager 50.0×, scalar compiled 10.0×, PyTorch float64 tensors 2.0×' in text
    assert run.merged(tmp_path / 'nowhere.json', later, ['gpt_ladder']) is later
