"""Every Python code block of README.md and docs/*.md runs, so the docs cannot drift from the code.

A block runs in a fresh namespace, in a temporary folder (blocks may write files), unless
an HTML comment just before it says otherwise:

- ``<!-- continue -->``: run in the namespace of the block before it (a longer example
  told in parts); the blocks so joined are one test.
- ``<!-- requires: torch, matplotlib -->``: Python packages the block needs beyond the
  core install (skipped without them on a developer's machine, a failure in CI).
- ``<!-- not-run: REASON -->``: shown, not run (a fragment, such as a function body);
  the reason is required, so that no block is left out silently.

A block written as a Python session (lines starting ``>>>``) runs as a doctest: its
printed results are checked too. Shell blocks (```bash, ```) are not run; the CLI's own
tests cover the commands.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import require_module

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]

_FENCE = re.compile(r'^```(\w*)\s*$')
_MARKER = re.compile(r'^<!--\s*(continue|requires:[^>]*|not-run:[^>]*)\s*-->\s*$')


@dataclass
class Snippet:
    path: Path
    line: int
    blocks: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f'{self.path.relative_to(ROOT)}:{self.line}'


def snippets(path: Path) -> list[Snippet]:
    """The Python blocks of ``path``, those joined by ``<!-- continue -->`` as one snippet."""
    found: list[Snippet] = []
    lines = path.read_text(encoding='utf-8').splitlines()
    markers: list[str] = []
    i = 0
    while i < len(lines):
        marker = _MARKER.match(lines[i].strip())
        fence = _FENCE.match(lines[i])
        if marker:
            markers.append(marker.group(1))
        elif fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith('```'))
            if fence.group(1) == 'python' and not any(m.startswith('not-run:') for m in markers):
                if any(m.startswith('not-run:') and not m[8:].strip() for m in markers):
                    raise AssertionError(f'{path}:{i + 1}: not-run needs a reason')
                requires = [name.strip() for m in markers if m.startswith('requires:')
                            for name in m[9:].split(',') if name.strip()]
                if 'continue' in markers:
                    assert found, f'{path}:{i + 1}: <!-- continue --> with no block before it'
                    found[-1].blocks.append('\n'.join(lines[i + 1:end]))
                    found[-1].requires += requires
                else:
                    found.append(Snippet(path, i + 1, ['\n'.join(lines[i + 1:end])], requires))
            i = end
            markers = []
        elif lines[i].strip():
            markers = []
        i += 1
    return found


ALL = [snippet for path in DOCS for snippet in snippets(path)]


def test_the_docs_have_python_snippets_to_run():
    assert len(ALL) >= 8
    assert {snippet.path.name for snippet in ALL} >= {'README.md', 'pytorch.md', 'nn.md'}


@pytest.mark.parametrize('snippet', ALL, ids=[snippet.id for snippet in ALL])
def test_snippet_runs(snippet: Snippet, tmp_path, monkeypatch):
    for name in snippet.requires:
        require_module(name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {'__name__': '__docs__'}
    for number, block in enumerate(snippet.blocks):
        name = f'{snippet.id} (block {number + 1})'
        if block.lstrip().startswith('>>>'):
            parser = doctest.DocTestParser()
            test = parser.get_doctest(block, namespace, name, str(snippet.path), snippet.line)
            report = io.StringIO()
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            runner.run(test, out=report.write, clear_globs=False)
            assert runner.failures == 0, report.getvalue()
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, name, 'exec'), namespace)


def test_markers_are_understood():
    sample = ROOT / 'tests' / 'artifacts' / 'snippets-sample.md'
    sample.parent.mkdir(exist_ok=True)
    sample.write_text('text\n\n```python\nx = 1\n```\n\n<!-- continue -->\n```python\ny = x\n```\n\n'
                      '<!-- not-run: a fragment -->\n```python\nreturn 1\n```\n\n'
                      '<!-- requires: torch -->\n```python\nimport torch\n```\n\n```bash\nls\n```\n')
    found = snippets(sample)
    assert [(s.line, s.blocks, s.requires) for s in found] == [
        (3, ['x = 1', 'y = x'], []), (18, ['import torch'], ['torch'])]
