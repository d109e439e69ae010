"""The walkthrough page's screenshots in docs/images: each mode at 1280x800 and 390x844.

Run ``python -m tools.walkthrough_images`` after changing the page; it needs Playwright's
Python package and Chromium (``/usr/bin/chromium`` unless ``CHROMIUM`` says otherwise).
Look at the pictures before committing them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from microgradnode import Value, network_walkthrough
from microgradnode.lesson.walkthrough import walkthrough
from microgradnode.twonode import build

IMAGES = Path(__file__).resolve().parents[1] / 'docs' / 'images'
SIZES = {'wide': (1280, 800), 'phone': (390, 844)}
ARGS = ['--headless', '--no-sandbox', '--disable-gpu']


def pages(folder: Path) -> dict[str, Path]:
    a, b = Value(2.0, 'a'), Value(-3.0, 'b')
    f = a * b + a
    f.label = 'f'
    net = build()
    return {'default': walkthrough(f).save(folder / 'default.html'),
            'two-node': walkthrough(net.loss, parameters=net.weights).save(folder / 'two.html'),
            'network': network_walkthrough().save(folder / 'network.html')}


def main() -> None:
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        made = pages(Path(folder))
        browser = playwright.chromium.launch(executable_path=os.environ.get('CHROMIUM', '/usr/bin/chromium'),
                                             args=ARGS)
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={'width': width, 'height': height})
            # Explore: the default graph, a clicked (its gradient is a sum over its two uses)
            page.goto(made['default'].as_uri())
            page.locator('svg.graph:visible g.value[aria-label="a"]').click()
            page.screenshot(path=str(IMAGES / f'walkthrough_explore_{size}.png'))
            # Train: the two-node network after 60 steps of gradient descent
            page.goto(made['two-node'].as_uri() + '#train')
            page.evaluate('() => window.microgradnode.train(60)')
            page.screenshot(path=str(IMAGES / f'walkthrough_train_{size}.png'))
            # Step: the two-node network's first backward step that passes a gradient on
            page.goto(made['two-node'].as_uri() + '#step')
            index = page.evaluate('() => WALK.frames.findIndex(f => f.edges.length > 0)')
            page.locator('#slider').fill(str(index))
            page.screenshot(path=str(IMAGES / f'walkthrough_step_{size}.png'))
            # Train, network: the default MLP on the moons after 60 steps; the graph of point 48, still on
            # the wrong side (a loss of 2.24, so every gradient is at work)
            page.goto(made['network'].as_uri() + '#train')
            page.evaluate('() => { window.microgradnode.train(60); window.microgradnode.choosePoint(47); }')
            page.screenshot(path=str(IMAGES / f'walkthrough_network_{size}.png'))
            page.close()
        browser.close()
    print(f'wrote {len(SIZES) * 4} screenshots in {IMAGES}')


if __name__ == '__main__':
    main()
