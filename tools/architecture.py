"""The package's layers, read from its imports: the checks and the picture in docs/architecture.md.

Every ``import`` in ``microgradnode/`` (at the top of a module or inside a function: a lazy
import is still a dependency) is read with ``ast``, without importing anything. Each module
belongs to a top-level *entry* (``engine``, ``calculus``, ``nn``, ...) and each entry to a
*layer*. ``problems()`` lists what breaks the design:

- an import cycle between modules;
- an import that runs upward (an entry importing an entry of a higher layer);
- an import between two entries of the same layer (siblings stay independent);
- an entry that is not in ``LAYERS`` (a new module must be given its place).

Run from the repository root::

    python -m tools.architecture          # check, then redraw docs/images/architecture.{dot,svg}
    python -m tools.architecture --check  # check only: exit 1 and list the problems

The SVG carries the SHA-256 of the DOT text it was drawn from, so a test can tell that the
picture shows today's imports without rendering it again.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = 'microgradnode'
DOT_PATH = ROOT / 'docs' / 'images' / 'architecture.dot'
SVG_PATH = ROOT / 'docs' / 'images' / 'architecture.svg'


@dataclass(frozen=True)
class Layer:
    name: str
    entries: tuple[str, ...]
    role: str


# Bottom to top. An entry may import entries of lower layers and its own modules, nothing else.
LAYERS = (
    Layer('helpers', ('_support',), 'small helpers that import nothing of the package'),
    Layer('the table', ('ops', 'textbook'), 'each operation: forward formula and local derivatives, '
          'written once; the textbook engine, read first'),
    Layer('the engine', ('engine',), 'Value records the graph; backward() runs reverse mode'),
    Layer('calculus', ('calculus',), 'grad, hessian, hvp, forward mode, jacobian, gradcheck'),
    Layer('formulas and code', ('formulas', 'compiler'), 'the table read as maths and as code'),
    Layer('libraries', ('nn', 'tensor'), 'networks, losses, optimizers, data, training; tensors'),
    Layer('diagrams', ('diagram',), 'graphs drawn with data, gradients and local derivatives'),
    Layer('lessons', ('lesson',), 'the walkthrough page'),
    Layer('the seed', ('twonode',), "the notebook's two-node network"),
    Layer('the public API', ('__init__',), 'microgradnode: the names users import'),
    Layer('command line', ('cli',), 'microgradnode train | draw | explain | ...'),
    Layer('python -m', ('__main__',), 'python -m microgradnode runs the command line'),
)


def entry_of(module: str) -> str:
    """The top-level entry a module belongs to: ``microgradnode.nn.losses`` -> ``nn``.

    >>> entry_of('microgradnode.nn.losses'), entry_of('microgradnode')
    ('nn', '__init__')
    """
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else '__init__'


def layer_index(entry: str) -> int | None:
    for index, layer in enumerate(LAYERS):
        if entry in layer.entries:
            return index
    return None


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {_module_name(path, root): path for path in sorted((root / PACKAGE).rglob('*.py'))}


def import_edges(found: dict[str, Path] | None = None) -> set[tuple[str, str]]:
    """(importer, imported) for every import of a package module by another, lazy ones included."""
    found = modules() if found is None else found
    edges: set[tuple[str, str]] = set()
    for name, path in found.items():
        package = name if path.name == '__init__.py' else name.rpartition('.')[0]
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split('.')[:len(package.split('.')) - (node.level - 1)]
                    source = '.'.join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ''
                # `from package import submodule` depends on the submodule itself
                targets = [f'{source}.{alias.name}' if f'{source}.{alias.name}' in found else source
                           for alias in node.names]
            for target in targets:
                while target and target not in found:  # `import a.b.c` of a name inside a module
                    target = target.rpartition('.')[0]
                if target.split('.')[0] == PACKAGE and target != name:
                    edges.add((name, target))
    return edges


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    graph: dict[str, list[str]] = {}
    for source, target in edges:
        graph.setdefault(source, []).append(target)
        graph.setdefault(target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def problems(edges: set[tuple[str, str]] | None = None, found: dict[str, Path] | None = None) -> list[str]:
    """Everything that breaks the layering, one sentence each; empty when the design holds."""
    found = modules() if found is None else found
    edges = import_edges(found) if edges is None else edges
    messages = [f'import cycle: {" -> ".join(component)}' for component in cycles(edges)]
    for entry in sorted({entry_of(name) for name in found}):
        if layer_index(entry) is None:
            messages.append(f'{PACKAGE}/{entry} has no layer: add it to LAYERS in tools/architecture.py')
    for source, target in sorted(edges):
        low, high = layer_index(entry_of(target)), layer_index(entry_of(source))
        if low is None or high is None or entry_of(source) == entry_of(target):
            continue
        if low > high:
            messages.append(f'{source} imports {target}: upward, from layer {LAYERS[high].name!r} '
                            f'to {LAYERS[low].name!r}')
        elif low == high:
            messages.append(f'{source} imports {target}: between two entries of layer {LAYERS[low].name!r}')
    return messages


def entry_edges(edges: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Imports between entries, with how many module-to-module imports each stands for."""
    counts: dict[tuple[str, str], int] = {}
    for source, target in edges:
        pair = (entry_of(source), entry_of(target))
        if pair[0] != pair[1]:
            counts[pair] = counts.get(pair, 0) + 1
    return counts


def _label(entry: str, found: dict[str, Path]) -> str:
    if entry == '__init__':
        return 'microgradnode'
    inside = sorted(name.rpartition('.')[2] for name in found
                    if entry_of(name) == entry and name.count('.') == 2 and not name.endswith('__init__'))
    title = f'{entry}/' if (ROOT / PACKAGE / entry).is_dir() else f'{entry}.py'
    return title + (('\\n' + ', '.join(inside)) if inside else '')


def reduced(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The pairs not implied by a longer path (the transitive reduction of an acyclic graph).

    >>> sorted(reduced({('c', 'b'), ('b', 'a'), ('c', 'a')}))
    [('b', 'a'), ('c', 'b')]
    """
    graph: dict[str, set[str]] = {}
    for source, target in pairs:
        graph.setdefault(source, set()).add(target)

    def reachable(start: str, skip: tuple[str, str]) -> set[str]:
        seen: set[str] = set()
        stack = [target for target in graph.get(start, ()) if (start, target) != skip]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, ()))
        return seen

    return {(source, target) for source, targets in graph.items() for target in targets
            if target not in reachable(source, (source, target))}


def dot_source(edges: set[tuple[str, str]] | None = None, found: dict[str, Path] | None = None) -> str:
    """The picture as DOT text: one row per layer, the bottom layer at the bottom, arrows = imports.

    An arrow implied by a path through other entries is left out (the transitive reduction),
    and the helpers, which every layer may use, stand aside with the list of their users.
    """
    found = modules() if found is None else found
    edges = import_edges(found) if edges is None else edges
    present = {entry_of(name) for name in found}
    pairs = entry_edges(edges)
    helpers = LAYERS[0].entries
    users = sorted({source for source, target in pairs if target in helpers})
    lines = ['// Generated by `python -m tools.architecture` from the imports of microgradnode/.',
             '// Every import between entries, before the picture leaves out the implied ones:']
    lines += [f'//   {source} -> {target} ({count} imports)'
              for (source, target), count in sorted(pairs.items())]
    lines += ['digraph architecture {',
              '  rankdir=TB; newrank=true; nodesep=0.3; ranksep=0.35; fontname="Helvetica";',
              '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#5b7db1", '
              'fontname="Helvetica", fontsize=13];',
              '  edge [color="#5f6670", arrowsize=0.7];']
    rows = []
    for index, layer in reversed(list(enumerate(LAYERS))):
        entries = [entry for entry in layer.entries if entry in present]
        if not entries:
            continue
        if layer.entries == helpers:
            label = f'{index}. {layer.name}: {layer.role}\\nused by {", ".join(users)}'
        else:
            label = f'{index}. {layer.name}: {layer.role}'
        lines.append(f'  subgraph cluster_{index} {{')
        lines.append(f'    label="{label}"; labeljust=l; fontsize=12; color="#c9ced6"; style=rounded;')
        lines.append('    rank=same;' if len(entries) > 1 else '')
        for entry in entries:
            lines.append(f'    "{entry}" [label="{_label(entry, found)}"];')
        lines.append('  }')
        if layer.entries != helpers:
            rows.append(entries[0])
    # Invisible edges stack the layers in order, top to bottom.
    for upper, lower in zip(rows, rows[1:]):
        lines.append(f'  "{upper}" -> "{lower}" [style=invis, weight=10];')
    drawn = reduced(pair for pair in pairs if pair[1] not in helpers)
    for source, target in sorted(drawn):
        lines.append(f'  "{source}" -> "{target}";')
    lines.append('}')
    return '\n'.join(line for line in lines if line) + '\n'


def digest(text: str) -> str:
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def svg_digest(svg: str) -> str | None:
    """The DOT digest a generated SVG was stamped with, or None."""
    marker = '<!-- dot sha256: '
    start = svg.find(marker)
    return None if start < 0 else svg[start + len(marker):svg.find(' -->', start)]


def draw(dot: str) -> str:
    """Render the DOT text to SVG with pygraphviz (the [draw] extra), stamped with its digest."""
    import pygraphviz

    graph = pygraphviz.AGraph(string=dot)
    svg = graph.draw(format='svg', prog='dot').decode('utf-8')
    head, _, rest = svg.partition('<svg')
    return f'{head}<!-- dot sha256: {digest(dot)} -->\n<svg{rest}'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m tools.architecture', description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='only check the layering; draw nothing')
    args = parser.parse_args(argv)
    found = modules()
    edges = import_edges(found)
    messages = problems(edges, found)
    for message in messages:
        print(message, file=sys.stderr)
    if messages:
        return 1
    if not args.check:
        dot = dot_source(edges, found)
        DOT_PATH.write_text(dot, encoding='utf-8')
        SVG_PATH.write_text(draw(dot), encoding='utf-8')
        print(f'wrote {DOT_PATH.relative_to(ROOT)} and {SVG_PATH.relative_to(ROOT)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
