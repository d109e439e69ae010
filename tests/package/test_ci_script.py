""".ci/run runs the README's test command twice: as a new user does, then with every reference.

The part of the script that runs the tests is executed here with the environments faked
(a venv whose ``python -m pip install X`` only logs X) and a README whose test command
logs what it sees and exits with a chosen status.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK = "# The README's test command, taken from the README"


def run_test_part(tmp_path: Path, status: int) -> tuple[subprocess.CompletedProcess, list[str]]:
    script = (ROOT / '.ci' / 'run').read_text(encoding='utf-8')
    assert MARK in script
    log = tmp_path / 'log'
    fake = f'''set -euo pipefail
work={tmp_path}/work
fresh_venv() {{
  mkdir -p "$work/$1/bin"
  printf 'python() {{ echo "install $4 into $VIRTUAL_ENV" >> {log}; }}\\n' > "$work/$1/bin/activate"
  printf 'export VIRTUAL_ENV=$work/%s\\n' "$1" >> "$work/$1/bin/activate"
}}
export MICROGRADNODE_REQUIRE_ALL_TESTS=1  # set by the CI machine: the new user's run must not see it
'''
    (tmp_path / 'README.md').write_text(
        '<!-- test-command -->\n```bash\n'
        f'echo "tests in $VIRTUAL_ENV, require-all=${{MICROGRADNODE_REQUIRE_ALL_TESTS:-unset}}" >> {log}; '
        f'exit {status}\n```\n', encoding='utf-8')
    done = subprocess.run(['bash', '-c', fake + script[script.index(MARK):]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    return done, log.read_text().splitlines() if log.exists() else []


def test_ci_runs_the_readme_command_as_a_new_user_then_with_every_reference(tmp_path):
    done, log = run_test_part(tmp_path, 0)
    assert done.returncode == 0, done.stderr
    work = tmp_path / 'work'
    assert log == [f'tests in {work}/newuser, require-all=unset',   # nothing installed beforehand
                   f'install torch==2.13.0 into {work}/test',
                   f'tests in {work}/test, require-all=1']


def test_ci_fails_when_a_test_fails_or_none_is_collected(tmp_path):
    for status in (1, 5):  # 5: pytest collected nothing
        done, log = run_test_part(tmp_path, status)
        assert done.returncode == status, (status, done.stderr)
        assert len(log) == 1  # stopped at the first run
        (tmp_path / 'log').unlink()
