"""How long diagrams take: building the DOT and rendering SVG, PNG and PDF, by graph size.

Run: python benchmarks/bench_diagram.py [--sizes 100 1000 2000 5000] [--runs 5]

The graphs are small tanh networks (weighted sums, biases, tanh, one summed output),
grown until they hold the requested number of Values; each Value that is not a leaf
also gets an operation circle, so the DOT has about 1.7 nodes per Value. Times are
medians over ``--runs`` runs, every renderer measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from microgradnode import Value, draw, topological_order  # noqa: E402
from microgradnode.diagram import available_renderers  # noqa: E402


def network_graph(values: int) -> Value:
    """A layered tanh network whose graph has at least ``values`` Values."""
    layer = [Value(0.1 * (i + 1), f'x{i}') for i in range(3)]
    total, size, n = 3, 0, 0
    while True:
        outputs = []
        for j in range(4):
            acc = Value(0.01 * n, f'b{n}')
            for i, x in enumerate(layer):
                acc = acc + Value(0.05 * ((i + j + n) % 7 - 3), f'w{n}_{i}') * x
            outputs.append(acc.tanh())
            n += 1
        layer = outputs
        size = total = len(topological_order(sum(layer)))
        if total >= values:
            break
    out = sum(layer)
    out.backward()
    assert size == len(topological_order(out))
    return out


def median_seconds(task, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[100, 1000, 2000, 5000])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--formats', nargs='+', default=['svg', 'png', 'pdf'])
    args = parser.parse_args()
    renderers = available_renderers()
    print(f'renderers here: {", ".join(renderers) or "none"}; medians of {args.runs} runs, seconds')
    print(f'{"values":>7} {"DOT nodes":>9} {"build DOT":>9}  ' +
          '  '.join(f'{r + " " + f:>16}' for r in renderers for f in args.formats))
    for size in args.sizes:
        root = network_graph(size)
        values = len(topological_order(root))
        # No time limit worth the name: measuring how long large graphs take is the point.
        diagram = draw(root, max_nodes=values, time_limit=3600)
        dot_nodes = diagram.value_count + diagram.operation_count
        build = median_seconds(lambda root=root, values=values: draw(root, max_nodes=values), args.runs)
        cells = []
        for renderer in renderers:
            for fmt in args.formats:
                def render(d=diagram, r=renderer, f=fmt) -> bytes:
                    return d.pipe(f, renderer=r)
                seconds = median_seconds(render, args.runs)
                cells.append(f'{seconds:>16.3f}')
        print(f'{values:>7} {dot_nodes:>9} {build:>9.3f}  ' + '  '.join(cells), flush=True)


if __name__ == '__main__':
    main()
