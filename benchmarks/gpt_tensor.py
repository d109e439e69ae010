"""The scalar GPT of :mod:`benchmarks.gpt`, written once more on tensors; and its efficiency ladder.

The same model, the same weights, the same Adam: only the level changes. Where the
scalar version runs position by position over a key/value cache, this one takes every
position of the name at once, with a causal mask (the scores of later positions get
-1e9, whose exp() is exactly 0, so the sums are those of the scalar version). One
function, :func:`name_loss`, runs on microgradnode's Tensors and on PyTorch float64
tensors alike (:class:`Backend` holds the few calls that differ), so that the two are
compared on the very same operations.

The ladder (:func:`gpt_ladder`, :func:`moons_ladder`) times one training step at each
level: the scalar engine eager, the scalar engine compiled, tensors, and PyTorch
float64 tensors eager; ``*_wide`` runs the GPT with a 4× wider embedding and MLP.
"""

from __future__ import annotations

import statistics
from contextlib import AbstractContextManager
from time import perf_counter
from typing import Any

from . import gpt, workload
from .registry import measurement

LADDER_ENGINES = ('microgradnode', 'microgradnode.compile', 'microgradnode.tensor', 'pytorch.tensor')
LADDER_UNITS = {'parameters': 'count'}
WIDE = 4


class Backend:
    """What differs between microgradnode's Tensors and PyTorch's: making tensors, a few names."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == 'pytorch.tensor':
            import torch
            # One thread, as NumPy's BLAS uses on these small matrices: with its default two,
            # PyTorch's step on the shared 2-CPU machine took 90-390 ms instead of 4 ms, every
            # operation waiting for a second thread that other processes held.
            torch.set_num_threads(1)
            self.torch = torch
        else:
            import microgradnode.tensor as tensor
            self.tensor = tensor

    def leaf(self, data: Any, label: str) -> Any:
        if self.name == 'pytorch.tensor':
            return self.torch.tensor(data, dtype=self.torch.float64, requires_grad=True)
        return self.tensor.Tensor(data, label)

    def constant(self, data: Any) -> Any:
        if self.name == 'pytorch.tensor':
            return self.torch.tensor(data, dtype=self.torch.float64)
        return self.tensor.Tensor(data)

    def index(self, data: Any) -> Any:
        return self.torch.as_tensor(data) if self.name == 'pytorch.tensor' else data

    def permute(self, x: Any, axes: tuple[int, ...]) -> Any:
        return x.permute(axes) if self.name == 'pytorch.tensor' else x.transpose(axes)

    def row_max(self, x: Any) -> Any:
        """The largest element of each row, as a constant: softmax's shift (no gradient)."""
        if self.name == 'pytorch.tensor':
            return x.detach().amax(-1, keepdim=True)
        return self.tensor.Tensor(x.data.max(-1, keepdims=True))

    def no_grad(self) -> AbstractContextManager:
        if self.name == 'pytorch.tensor':
            return self.torch.no_grad()
        from microgradnode import no_grad
        return no_grad()

    def array(self, x: Any) -> Any:
        return x.detach().numpy() if self.name == 'pytorch.tensor' else x.data

    def value(self, x: Any) -> float:
        return float(x.item())


def tensor_model(backend: Backend, scalar_model: dict) -> dict[str, Any]:
    """The scalar model's weights (lists of rows of Values or floats) as one leaf per matrix."""
    import numpy as np

    return {name: backend.leaf(np.array([[getattr(w, 'data', w) for w in row] for row in rows]), name)
            for name, rows in scalar_model.items()}


def _rms_norm(x: Any) -> Any:
    return x * ((x * x).mean(-1, True) + 1e-5) ** -0.5


def _softmax(backend: Backend, x: Any) -> Any:
    exps = (x - backend.row_max(x)).exp()
    return exps / exps.sum(-1, True)


def _log_softmax(backend: Backend, x: Any) -> Any:
    shifted = x - backend.row_max(x)
    return shifted - shifted.exp().sum(-1, True).log()


def name_loss(backend: Backend, model: dict, tokens: list[int], mask: Any = None) -> Any:
    """The mean cross-entropy of each next token of one name: :func:`benchmarks.gpt.name_loss` on tensors."""
    import numpy as np

    count = min(gpt.CONTEXT, len(tokens) - 1)
    inputs, targets = np.array(tokens[:count]), np.array(tokens[1:count + 1])
    heads, size = gpt.HEADS, gpt.HEAD_SIZE
    if mask is None:
        mask = backend.constant(np.triu(np.full((count, count), -1e9), 1))
    x = model['tokens'][backend.index(inputs)] + model['positions'][:count]
    x = _rms_norm(x)
    residual = x
    x = _rms_norm(x)
    query, key, value = (x @ model[name].T for name in ('query', 'key', 'value'))

    def split(t: Any) -> Any:  # (positions, embedding) -> (heads, positions, head size)
        return backend.permute(t.reshape(count, heads, size), (1, 0, 2))

    scores = split(query) @ backend.permute(split(key), (0, 2, 1)) / size ** 0.5 + mask
    attended = _softmax(backend, scores) @ split(value)
    merged = backend.permute(attended, (1, 0, 2)).reshape(count, heads * size)
    x = merged @ model['attention_out'].T + residual
    residual = x
    x = (_rms_norm(x) @ model['mlp_in'].T).relu() @ model['mlp_out'].T + residual
    log_probabilities = _log_softmax(backend, x @ model['unembed'].T)
    return -log_probabilities[backend.index(np.arange(count)), backend.index(targets)].mean()


class TensorAdam:
    """:class:`benchmarks.gpt.Adam`'s formula on whole arrays (NumPy or PyTorch, under no_grad)."""

    def __init__(self, backend: Backend, params: list, steps: int) -> None:
        self.backend, self.params, self.steps, self.t = backend, params, steps, 0
        self.m = [p.data * 0.0 for p in params]
        self.v = [p.data * 0.0 for p in params]

    def step(self) -> None:
        self.t += 1
        rate = gpt.LEARNING_RATE * (1.0 - (self.t - 1) / self.steps)
        correct1, correct2 = 1.0 - gpt.BETA1 ** self.t, 1.0 - gpt.BETA2 ** self.t
        with self.backend.no_grad():
            for i, p in enumerate(self.params):
                g = p.grad
                self.m[i] = gpt.BETA1 * self.m[i] + (1.0 - gpt.BETA1) * g
                self.v[i] = gpt.BETA2 * self.v[i] + (1.0 - gpt.BETA2) * g * g
                p.data -= rate * (self.m[i] / correct1) / ((self.v[i] / correct2) ** 0.5 + gpt.EPSILON)
                p.grad = p.grad * 0.0 if self.backend.name != 'pytorch.tensor' else None


def widen(factor: int) -> None:
    """Make :mod:`benchmarks.gpt`'s model ``factor`` times wider (embedding and MLP; same heads)."""
    gpt.EMBED, gpt.HIDDEN = 16 * factor, 64 * factor
    gpt.HEAD_SIZE = gpt.EMBED // gpt.HEADS


def tensor_training(engine: str, steps: int) -> dict:
    """``steps`` eager training steps on tensors after one warm-up; mean step, losses."""
    backend = Backend(engine)
    names = gpt.load_names()
    letters = gpt.vocabulary(names)
    model = tensor_model(backend, gpt.init_model(float, len(letters) + 1))
    params = list(model.values())
    optimizer = TensorAdam(backend, params, gpt.SCHEDULE)
    times, losses = [], []
    for index in range(steps + 1):
        start = perf_counter()
        loss = name_loss(backend, model, gpt.tokens_of(names[index], letters))
        loss.backward()
        optimizer.step()
        losses.append(backend.value(loss))
        del loss
        times.append(perf_counter() - start)
    return {'step': statistics.fmean(times[1:]), 'losses': losses,
            'parameters': float(sum(p.numel() if hasattr(p, 'numel') else p.size for p in params))}


def scalar_training(steps: int) -> dict:
    """The scalar engine's eager steps, as in :func:`benchmarks.gpt.gpt_workload`: mean step, losses."""
    from microgradnode import Value

    names = gpt.load_names()
    letters = gpt.vocabulary(names)
    model = gpt.init_model(Value, len(letters) + 1)
    params = gpt.parameters(model)
    optimizer = gpt.Adam(params, gpt.SCHEDULE)
    times, losses = [], []
    for index in range(steps + 1):
        start = perf_counter()
        loss = gpt.name_loss(model, gpt.tokens_of(names[index], letters))
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
        del loss
        times.append(perf_counter() - start)
    return {'step': statistics.fmean(times[1:]), 'losses': losses, 'parameters': float(len(params))}


def compiled_one_length(steps: int) -> dict:
    """Compiled replay for the names as long as the first one (one compile): mean replay step."""
    from microgradnode import CompileCache, Value

    names = gpt.load_names()
    letters = gpt.vocabulary(names)
    length = len(names[0])
    chosen = [name for name in names if len(name) == length][:steps + 1]
    model = gpt.init_model(Value, len(letters) + 1)
    params = gpt.parameters(model)
    optimizer = gpt.Adam(params, gpt.SCHEDULE)
    tokens = gpt.tokens_of(chosen[0], letters)
    leaves = gpt.one_hot_leaves(Value, len(tokens), len(letters) + 1)
    gpt.set_one_hot(leaves, tokens)
    # The wide model's graph has about 920,000 nodes, past compile()'s default limit: compiling
    # it takes about 25 s and 1 GB, once.
    cache = CompileCache(lambda _: gpt.name_loss(model, tokens, one_hot=leaves), max_nodes=2_000_000)
    start = perf_counter()
    step = cache[len(tokens)]
    compile_seconds = perf_counter() - start
    times = []
    for name in chosen:
        start = perf_counter()
        gpt.set_one_hot(leaves, gpt.tokens_of(name, letters))
        step()
        optimizer.step()
        times.append(perf_counter() - start)
    return {'step': statistics.fmean(times[1:]), 'compile': compile_seconds, 'parameters': float(len(params))}


def _ladder(engine: str, wide: bool) -> dict:
    if wide:
        widen(WIDE)
    if engine == 'microgradnode':
        return scalar_training(2 if wide else gpt.GPT_STEPS)
    if engine == 'microgradnode.compile':
        if wide:
            return compiled_one_length(3)
        figures = gpt.compiled_training(gpt.COMPILED_STEPS)
        return {'step': figures['step'], 'compile': figures['compile'], 'losses': figures['losses']}
    if engine in ('microgradnode.tensor', 'pytorch.tensor'):
        if engine == 'pytorch.tensor':
            _torch_or_unavailable()
        return tensor_training(engine, 20 if wide else 50)
    from .cases import UnavailableError
    raise UnavailableError(f'no engine called {engine!r}')


def _torch_or_unavailable() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        from .cases import UnavailableError
        raise UnavailableError('torch is not installed') from None


@measurement('Scalar GPT, one training step at each level (same model, weights and Adam)',
             section='Efficiency ladder', engines=LADDER_ENGINES, repeats=3, units=LADDER_UNITS)
def gpt_ladder(engine: str) -> dict:
    """The GPT step: scalar eager, scalar compiled, tensors, PyTorch float64 tensors."""
    return _ladder(engine, wide=False)


@measurement(f'Scalar GPT {WIDE}× wider (embedding {16 * WIDE}, MLP {64 * WIDE}), '
             'one training step at each level',
             section='Efficiency ladder', engines=LADDER_ENGINES, repeats=1, units=LADDER_UNITS)
def gpt_ladder_wide(engine: str) -> dict:
    """The same ladder on a model 4× wider: per-operation overhead matters less."""
    return _ladder(engine, wide=True)


# -- the moons step ----------------------------------------------------------------------------

def moons_tensor_step(backend: Backend, weights: list, points: Any, labels: Any, l2: float) -> Any:
    """The demo workload's loss on tensors: mean hinge loss of the batch plus l2 × the squared weights."""
    x = points
    last = len(weights) - 1
    for i, (w, b) in enumerate(weights):
        x = x @ w.T + b
        if i != last:
            x = x.relu()
    scores = x.reshape(-1)
    data_loss = (1.0 - labels * scores).relu().mean()
    squares = None
    for w, b in weights:
        term = (w * w).sum() + (b * b).sum()
        squares = term if squares is None else squares + term
    return data_loss + l2 * squares


def moons_tensor_training(engine: str, steps: int) -> dict:
    import numpy as np

    backend = Backend(engine)
    engine_floats = workload.Engine('floats', float, lambda p: None, lambda p, r: None, float)
    mlp = workload.init_mlp(engine_floats)  # the demo's weights, as plain numbers
    weights = [(backend.leaf(np.array([ws for ws, _ in layer]), f'W{i + 1}'),
                backend.leaf(np.array([b for _, b in layer]), f'b{i + 1}')) for i, layer in enumerate(mlp)]
    points, labels = workload.moons()
    x, y = backend.constant(np.array(points)), backend.constant(np.array(labels, dtype=float))
    params = [p for pair in weights for p in pair]
    times, losses = [], []
    for _ in range(steps + 1):
        start = perf_counter()
        loss = moons_tensor_step(backend, weights, x, y, 1e-4)
        loss.backward()
        with backend.no_grad():
            for p in params:
                p.data -= 0.05 * p.grad
                p.grad = p.grad * 0.0 if engine != 'pytorch.tensor' else None
        losses.append(backend.value(loss))
        del loss
        times.append(perf_counter() - start)
    return {'step': statistics.fmean(times[1:]), 'losses': losses}


def moons_scalar_training(steps: int) -> dict:
    """The demo workload's eager steps on Values (:func:`benchmarks.workload.train_step`)."""
    from microgradnode import Value

    engine = workload.value_engine('microgradnode', Value)
    points, labels = workload.moons()
    mlp = workload.init_mlp(engine)
    times, losses = [], []
    for _ in range(steps + 1):
        start = perf_counter()
        losses.append(workload.train_step(engine, mlp, points, labels))
        times.append(perf_counter() - start)
    return {'step': statistics.fmean(times[1:]), 'losses': losses}


@measurement('Demo workload (2-16-16-1 MLP, 100 points, hinge loss, SGD), one training step at each level',
             section='Efficiency ladder', engines=LADDER_ENGINES, repeats=3)
def moons_ladder(engine: str) -> dict:
    """The moons step: scalar eager, scalar compiled, tensors, PyTorch float64 tensors."""
    if engine == 'microgradnode':
        return moons_scalar_training(8)
    if engine == 'microgradnode.compile':
        from .cases import compiled_step
        return {'step': compiled_step(engine)['step']}
    if engine == 'pytorch.tensor':
        _torch_or_unavailable()
    return moons_tensor_training(engine, 50)
