"""The install table of docs/install.md is benchmarks/install_sizes.py's output (issue 22, item 6).

The sizes used to be typed by hand and were off (core 0.9 MiB written, 1.39 measured; [gif] and
[test] never measured). Now a script installs each line into a fresh virtual environment and
writes the table between two markers; here, without installing anything, the table is held to
the script's results file and format.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from benchmarks import install_sizes

ROOT = Path(__file__).resolve().parents[2]
RESULTS = json.loads(install_sizes.RESULTS.read_text(encoding='utf-8'))


def test_the_table_in_the_docs_is_the_scripts_output_from_its_results():
    text = (ROOT / install_sizes.DOCUMENT).read_text(encoding='utf-8')
    expected = install_sizes.replace_block(text, install_sizes.table(RESULTS), install_sizes.DOCUMENT)
    assert text == expected, 'run python -m benchmarks.install_sizes --table (or measure again)'


def test_every_install_of_setup_cfg_was_measured_and_the_core_brings_nothing_else():
    measured = {entry['extra']: entry for entry in RESULTS['installs']}
    assert list(measured) == list(install_sizes.INSTALLS)
    for entry in measured.values():
        assert isinstance(entry['disk bytes'], int) and entry['disk bytes'] > 0
        assert 'microgradnode' in entry['packages']
    assert measured['']['packages'] == ['microgradnode']  # no third-party dependency
    assert measured['all']['disk bytes'] > measured['draw']['disk bytes'] > measured['']['disk bytes']
    extras = set(measured['gif']['packages']) | set(measured['plot']['packages'])
    assert set(measured['all']['packages']) >= extras
    assert set(measured['test']['packages']) >= set(measured['all']['packages'])


def test_each_row_quotes_its_measurement():
    block = install_sizes.table(RESULTS)
    rows = [line for line in block.splitlines() if line.startswith('| `pip install')]
    assert len(rows) == len(RESULTS['installs'])
    for row, entry in zip(rows, RESULTS['installs']):
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        assert cells[2] == str(len(entry['packages']))
        assert cells[3] == f'{entry["disk bytes"] / 2**20:.1f} MiB'


def test_no_size_is_typed_by_hand_outside_the_generated_block():
    text = (ROOT / install_sizes.DOCUMENT).read_text(encoding='utf-8')
    outside = text[:text.index(install_sizes.START)] + text[text.index(install_sizes.END):]
    assert re.findall(r'\d[\d.]* ?[MG]i?B', outside) == []
