"""Make the pictures of docs/images again, each with the command that first made it.

    python -m tools.docs_images                    # every picture, into docs/images
    python -m tools.docs_images --list             # which command makes which picture
    python -m tools.docs_images --only modes.png   # one picture (and those made with it)
    python -m tools.docs_images --out /tmp/pics    # somewhere else, to compare

The examples write into the current folder (or ``--out``), never into docs/: running one
from the repository's root leaves the tracked pictures as they are. This is the one command
that replaces them. A few pictures are not made by a command (a screenshot of the walkthrough
page in a browser): they are listed in ``BY_HAND`` with how they were made, and
tests/examples/test_examples_write_here.py checks that every file of docs/images is either
made here or listed there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / 'docs' / 'images'
# docs/forward_mode.md's picture: forward mode's tangents for w0, no gradients.
TANGENTS = ("import sys; from microgradnode import draw, twonode; net = twonode.build(); "
            "draw(net.loss, tangents={net.w0: 1.0}, show_grad=False).save(sys.argv[1])")

# docs/pitfalls.md's picture: the no-order mistake's diagram.
PITFALL = ("import sys, microgradnode; "
           "microgradnode.pitfalls('no-order')[0].diagram().save(sys.argv[1])")


@dataclass(frozen=True)
class Recipe:
    outputs: tuple[str, ...]  # file names in the folder
    command: tuple[str, ...]  # '{out}' is the folder; 'python' the running interpreter
    fixed_folder: bool = False  # the command writes into docs/images itself (no --out)


TENSOR_PICTURES = tuple(f'{name}.{kind}' for name in ('tensor_broadcast_expanded', 'tensor_expanded_folded',
                                                     'tensor_graph', 'tensor_matmul_expanded')
                        for kind in ('svg', 'png'))
NEURON = ('draw', 'tanh(w1*x1 + w2*x2 + b)', '--set', 'x1=2', '--set', 'x2=0', '--set', 'w1=-3',
          '--set', 'w2=1', '--set', 'b=6.88', '--color-grad', '--legend', '-o')
RECIPES: tuple[Recipe, ...] = (
    Recipe(('two_node_graph.svg', 'two_node_graph.png'),
           ('python', 'examples/draw_two_node.py', '--out', '{out}')),
    Recipe(('two_node_gradient_graph.svg', 'two_node_gradient_graph.png'),
           ('python', 'examples/draw_gradient_graph.py', '--out', '{out}')),
    Recipe(('moons_grouped.png', 'moons_neurons.png', 'moons_neurons_16.png', 'moons_layers.png',
            'moons_step.svg'),
           ('python', 'examples/draw_network.py', '--out', '{out}')),
    Recipe(TENSOR_PICTURES, ('python', 'examples/draw_tensors.py', '{out}')),
    Recipe(tuple(f'walkthrough_{mode}_{size}.png' for mode in ('explore', 'train', 'step', 'network')
                 for size in ('wide', 'phone')),
           ('python', '-m', 'tools.walkthrough_images'), fixed_folder=True),
    Recipe(('moons_boundary.png', 'moons_loss.png'),
           ('python', '-m', 'microgradnode', 'fit', '--dataset', 'moons', '--layers', '16', '16',
            '--activation', 'relu', '--loss', 'hinge', '--optimizer', 'adam', '--steps', '100', '--seed', '0',
            '--no-progress', '--plot-boundary', '{out}/moons_boundary.png',
            '--plot-loss', '{out}/moons_loss.png')),
    Recipe(('neuron_graph.svg',), ('python', '-m', 'microgradnode', *NEURON, '{out}/neuron_graph.svg')),
    Recipe(('neuron_graph.png',), ('python', '-m', 'microgradnode', *NEURON, '{out}/neuron_graph.png')),
    Recipe(('two_node_training.png',),
           ('python', '-m', 'microgradnode', 'train', '--plot', '{out}/two_node_training.png')),
    Recipe(('two_node_tangents.png',), ('python', '-c', TANGENTS, '{out}/two_node_tangents.png')),
    Recipe(('modes.png',), ('python', '-m', 'microgradnode', 'modes', '--plot', '{out}/modes.png')),
    Recipe(('pitfall_no_order.png',), ('python', '-c', PITFALL, '{out}/pitfall_no_order.png')),
    Recipe(('architecture.dot', 'architecture.svg'), ('python', '-m', 'tools.architecture'),
           fixed_folder=True),
)

BY_HAND: dict[str, str] = {
    'walkthrough_gif_frame.png': 'one frame of `microgradnode walkthrough --network two-node --gif '
                                 'walk.gif` (the backward step of (out − target)), saved as PNG: see '
                                 'docs/walkthrough.md',
}


def run(recipe: Recipe, out: Path) -> None:
    if recipe.fixed_folder and out.resolve() != IMAGES.resolve():
        print(f'skipped (writes into docs/images only): {", ".join(recipe.outputs)}')
        return
    command = [sys.executable if part == 'python' else part.replace('{out}', str(out))
               for part in recipe.command]
    environment = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT),
                                                                            os.environ.get('PYTHONPATH')]))}
    print('$', ' '.join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m tools.docs_images',
                                     description=(__doc__ or '').split('\n\n')[0])
    parser.add_argument('--out', type=Path, default=IMAGES, metavar='FOLDER',
                        help='where to write (default: docs/images)')
    parser.add_argument('--only', nargs='+', metavar='NAME', default=None, help='only these pictures')
    parser.add_argument('--list', action='store_true', help='list the pictures and their commands')
    args = parser.parse_args(argv)
    chosen = [r for r in RECIPES if args.only is None or set(args.only) & set(r.outputs)]
    unknown = set(args.only or ()) - {name for r in RECIPES for name in r.outputs}
    if unknown:
        parser.error(f'--only: no command makes {", ".join(sorted(unknown))} '
                     f'(by hand: {", ".join(BY_HAND)})')
    if args.list:
        for recipe in chosen:
            print(f'{", ".join(recipe.outputs)}: {" ".join(recipe.command)}')
        for name, how in BY_HAND.items():
            print(f'{name}: by hand, {how}')
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for recipe in chosen:
        try:
            run(recipe, args.out)
        except subprocess.CalledProcessError as error:
            print(f'tools.docs_images: failed ({error.returncode}): {" ".join(recipe.command)}',
                  file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
