"""The list of measurements the runner knows, and how a module adds one.

A measurement is one small function ``figures(engine) -> {metric: value}`` that the
runner calls in a fresh Python process (garbage collector on, as in a user's script),
once per engine and per repeat, alternating engines. A value is a float (seconds,
bytes or a count, as ``units`` says) or a short string when the engine cannot run it
(``'n/a: ...'``, ``'fails: RecursionError'``). Adding a benchmark is one decorated
function in any module of this package::

    @measurement('Compiled step, large batch', engines=('microgradnode', 'compiled'))
    def compiled_large_batch(engine: str) -> dict[str, float | str]:
        ...
        return {'step': seconds}

Rows of the report are (measurement, metric); columns are the engines, then the
ratio of every pair of engines, so that only figures measured side by side in the
same run are ever compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Figure = float | str
Figures = dict[str, Figure]

WORKLOAD_ENGINES = ('microgradnode', 'micrograd', 'pytorch')


@dataclass(frozen=True)
class Measurement:
    name: str                               # the function's name: how `--only` and the child find it
    title: str                              # row heading in the report
    engines: tuple[str, ...]
    function: Callable[[str], Figures]
    repeats: int                            # fresh processes per engine (medians over them)
    units: dict[str, str] = field(default_factory=dict)  # metric -> 's' (default), 'B', 'count', '%'
    section: str = 'Other'

    def unit(self, metric: str) -> str:
        return self.units.get(metric, 's')


MEASUREMENTS: dict[str, Measurement] = {}


def measurement(title: str, *, engines: tuple[str, ...] = WORKLOAD_ENGINES, repeats: int = 5,
                units: dict[str, str] | None = None, section: str = 'Other'):
    """Register ``function(engine) -> figures`` as a measurement (see the module docstring)."""
    def register(function: Callable[[str], Figures]) -> Callable[[str], Figures]:
        known = MEASUREMENTS.get(function.__name__)
        if known is not None and known.function.__module__ != function.__module__:
            raise ValueError(f'two measurements are called {function.__name__!r}: rename one')
        MEASUREMENTS[function.__name__] = Measurement(
            function.__name__, title, tuple(engines), function, repeats, dict(units or {}), section)
        return function
    return register


def load_all() -> dict[str, Measurement]:
    """Import every module of this package so that their measurements register."""
    import importlib
    import pkgutil

    import benchmarks

    for module in pkgutil.iter_modules(benchmarks.__path__):
        if module.name not in ('__main__', 'run', 'child', 'claims'):
            importlib.import_module(f'benchmarks.{module.name}')
    return MEASUREMENTS
