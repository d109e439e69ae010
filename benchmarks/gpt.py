"""A scalar GPT trained on names, written once, driven by any micrograd-style Value class.

The shape of the 2026 scalar GPT learners run (one layer, embedding 16, 4 heads,
context 16, about 4,200 parameters, Adam, one name per step): token and position
embeddings, RMSNorm, causal self-attention over a key/value cache, a ReLU MLP block,
softmax cross-entropy. Only the Value class changes between engines, so that they
are compared on the same arithmetic; :class:`ReferenceValue` is the anchor, a fast
Value in the style such scripts ship (slots, a tuple of children and a tuple of
local gradients per node, a recursive topological sort).

The model code uses only what every such Value has: ``+ - * / **`` with Values and
numbers, ``exp``, ``log``, ``relu``, ``.data`` and ``.grad``.

``one_hot=True`` builds the same model with the tokens as leaves (one-hot vectors
selecting embedding rows and target probabilities) instead of Python indexing, so
that a graph depends only on the name's length: what lets :func:`compiled_training`
replay one compiled step per length (multiplying by an exact 0.0 or 1.0 and adding
exact zeros changes no bit of the forward values or of the parameters' gradients).
"""

from __future__ import annotations

import math
import random
import statistics
import sys
from pathlib import Path
from time import perf_counter
from typing import Any

from .registry import measurement

NAMES_FILE = Path(__file__).with_name('names.txt')
EMBED, HEADS, CONTEXT, HIDDEN = 16, 4, 16, 64
HEAD_SIZE = EMBED // HEADS
LEARNING_RATE, BETA1, BETA2, EPSILON = 0.01, 0.85, 0.99, 1e-8


class ReferenceValue:
    """The anchor: a compact, fast scalar Value of the kind scalar-GPT scripts carry.

    >>> x = ReferenceValue(3.0); y = x * x + x; y.backward(); x.grad
    7.0
    """

    __slots__ = ('data', 'grad', '_children', '_local_grads')

    def __init__(self, data: float, children: tuple = (), local_grads: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> ReferenceValue:
        other = other if isinstance(other, ReferenceValue) else ReferenceValue(other)
        return ReferenceValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> ReferenceValue:
        other = other if isinstance(other, ReferenceValue) else ReferenceValue(other)
        return ReferenceValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> ReferenceValue:
        return ReferenceValue(self.data ** k, (self,), (k * self.data ** (k - 1),))

    def exp(self) -> ReferenceValue:
        out = math.exp(self.data)
        return ReferenceValue(out, (self,), (out,))

    def log(self) -> ReferenceValue:
        return ReferenceValue(math.log(self.data), (self,), (1.0 / self.data,))

    def relu(self) -> ReferenceValue:
        return ReferenceValue(max(self.data, 0.0), (self,), (float(self.data > 0),))

    def __neg__(self) -> ReferenceValue:
        return self * -1.0

    def __radd__(self, other: Any) -> ReferenceValue:
        return self + other

    def __sub__(self, other: Any) -> ReferenceValue:
        return self + -other

    def __rsub__(self, other: Any) -> ReferenceValue:
        return -self + other

    def __rmul__(self, other: Any) -> ReferenceValue:
        return self * other

    def __truediv__(self, other: Any) -> ReferenceValue:
        return self * other ** -1.0

    def __rtruediv__(self, other: Any) -> ReferenceValue:
        return self ** -1.0 * other

    def backward(self) -> None:
        order: list[ReferenceValue] = []
        seen: set[int] = set()

        def visit(node: ReferenceValue) -> None:
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad


def load_names() -> list[str]:
    """The names of benchmarks/names.txt, shuffled the same way every time."""
    names = NAMES_FILE.read_text(encoding='utf-8').split()
    random.Random(42).shuffle(names)
    return names


def vocabulary(names: list[str]) -> list[str]:
    """The letters used, sorted; token len(letters) is the begin/end-of-name marker."""
    return sorted(set(''.join(names)))


def init_model(value: type, vocab_size: int, *, seed: int = 0) -> dict[str, list[list[Any]]]:
    """Weight matrices (lists of rows of leaves), Gaussian with standard deviation 0.08."""
    rng = random.Random(seed)

    def matrix(rows: int, columns: int) -> list[list[Any]]:
        return [[value(rng.gauss(0.0, 0.08)) for _ in range(columns)] for _ in range(rows)]

    return {'tokens': matrix(vocab_size, EMBED), 'positions': matrix(CONTEXT, EMBED),
            'query': matrix(EMBED, EMBED), 'key': matrix(EMBED, EMBED), 'value': matrix(EMBED, EMBED),
            'attention_out': matrix(EMBED, EMBED), 'mlp_in': matrix(HIDDEN, EMBED),
            'mlp_out': matrix(EMBED, HIDDEN), 'unembed': matrix(vocab_size, EMBED)}


def parameters(model: dict[str, list[list[Any]]]) -> list[Any]:
    return [p for rows in model.values() for row in rows for p in row]


def linear(x: list, weights: list[list[Any]]) -> list:
    return [sum(w * xi for w, xi in zip(row, x)) for row in weights]


def rms_norm(x: list) -> list:
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def softmax(logits: list) -> list:
    shift = max(logit.data for logit in logits)  # a number: keeps exp() in range
    exps = [(logit - shift).exp() for logit in logits]
    total = sum(exps)
    return [e / total for e in exps]


def embed(rows: list[list[Any]], index: int | list) -> list:
    """Row ``index`` of ``rows``, or with a one-hot list of leaves, the row it selects."""
    if isinstance(index, int):
        return rows[index]
    return [sum(bit * row[j] for bit, row in zip(index, rows)) for j in range(EMBED)]


def pick(values: list, index: int | list) -> Any:
    return values[index] if isinstance(index, int) else sum(bit * v for bit, v in zip(index, values))


def gpt_position(model: dict, token: int | list, position: int, keys: list, values: list) -> list:
    """Logits of the next token after ``token`` at ``position``; appends to the key/value cache."""
    x = [t + p for t, p in zip(embed(model['tokens'], token), model['positions'][position])]
    x = rms_norm(x)
    residual = x
    x = rms_norm(x)
    query, key, value = linear(x, model['query']), linear(x, model['key']), linear(x, model['value'])
    keys.append(key)
    values.append(value)
    attended = []
    for head in range(HEADS):
        part = slice(head * HEAD_SIZE, (head + 1) * HEAD_SIZE)
        q = query[part]
        scores = [sum(qi * ki for qi, ki in zip(q, k[part])) / HEAD_SIZE ** 0.5 for k in keys]
        weights = softmax(scores)
        attended += [sum(w * v[part][j] for w, v in zip(weights, values)) for j in range(HEAD_SIZE)]
    x = [a + r for a, r in zip(linear(attended, model['attention_out']), residual)]
    residual = x
    x = [h.relu() for h in linear(rms_norm(x), model['mlp_in'])]
    x = [a + r for a, r in zip(linear(x, model['mlp_out']), residual)]
    return linear(x, model['unembed'])


def tokens_of(name: str, letters: list[str]) -> list[int]:
    marker = len(letters)
    return [marker, *(letters.index(c) for c in name), marker]


def name_loss(model: dict, tokens: list, *, one_hot: list | None = None) -> Any:
    """Mean cross-entropy of predicting each next token of one name (at most CONTEXT of them).

    With ``one_hot`` (one list of leaves per token, see :func:`one_hot_leaves`), tokens
    are read from those leaves rather than by indexing.
    """
    inputs = one_hot if one_hot is not None else tokens
    count = min(CONTEXT, len(tokens) - 1)
    keys: list = []
    values: list = []
    losses = []
    for position in range(count):
        probabilities = softmax(gpt_position(model, inputs[position], position, keys, values))
        losses.append(-pick(probabilities, inputs[position + 1]).log())
    return sum(losses) * (1.0 / count)


def one_hot_leaves(value: type, length: int, vocab_size: int) -> list[list[Any]]:
    return [[value(0.0) for _ in range(vocab_size)] for _ in range(length)]


def set_one_hot(leaves: list[list[Any]], tokens: list[int]) -> None:
    for row, token in zip(leaves, tokens):
        for index, bit in enumerate(row):
            bit.data = 1.0 if index == token else 0.0


class Adam:
    """Adam over any Values' ``.data``/``.grad``, with a linearly decaying learning rate."""

    def __init__(self, params: list, steps: int) -> None:
        self.params, self.steps, self.t = params, steps, 0
        self.m = [0.0] * len(params)
        self.v = [0.0] * len(params)

    def step(self) -> None:
        self.t += 1
        rate = LEARNING_RATE * (1.0 - (self.t - 1) / self.steps)
        correct1, correct2 = 1.0 - BETA1 ** self.t, 1.0 - BETA2 ** self.t
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = BETA1 * m[i] + (1.0 - BETA1) * g
            v[i] = BETA2 * v[i] + (1.0 - BETA2) * g * g
            p.data -= rate * (m[i] / correct1) / ((v[i] / correct2) ** 0.5 + EPSILON)
            p.grad = 0.0


def count_nodes(root: Any) -> tuple[int, int]:
    """(nodes, leaves) of the graph under ``root`` for either Value class, iteratively."""
    children = (lambda v: v.parents) if hasattr(root, 'parents') else (lambda v: v._children)
    seen = {id(root)}
    stack, leaves = [root], 0
    while stack:
        node = stack.pop()
        found = children(node)
        leaves += not found
        for child in found:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen), leaves


def needs_recursion(limit: int = 20_000) -> None:
    """The reference's recursive sort goes as deep as the graph (a few thousand nodes)."""
    if sys.getrecursionlimit() < limit:
        sys.setrecursionlimit(limit)


# -- the measurement -----------------------------------------------------------------------

GPT_STEPS = 8            # measured eager steps per process, after one warm-up step; their mean
COMPILED_STEPS = 60      # compiled steps per process: enough names to replay each length
SCHEDULE = 1000          # Adam's learning-rate schedule length, the same in every run
GPT_UNITS = {'graph nodes per step': 'count', 'constant nodes per step': 'count',
             'distinct lengths compiled': 'count'}


def _engine_value(engine: str) -> type:
    if engine == 'reference':
        needs_recursion()
        return ReferenceValue
    if engine != 'microgradnode':
        from .cases import UnavailableError
        raise UnavailableError(f'no engine called {engine!r}')
    from microgradnode import Value
    return Value


@measurement('Scalar GPT (1 layer, embedding 16, 4 heads, context 16, 4,192 parameters, Adam), '
             'one name per training step', section='Scalar GPT', units=GPT_UNITS,
             engines=('microgradnode', 'reference', 'microgradnode.compile'), repeats=5)
def gpt_workload(engine: str) -> dict:
    """Mean phases of eager steps (names of several lengths), or compiled replay; the losses."""
    if engine == 'microgradnode.compile':
        return compiled_training(COMPILED_STEPS)
    value = _engine_value(engine)
    names = load_names()
    letters = vocabulary(names)
    model = init_model(value, len(letters) + 1)
    params = parameters(model)
    leaves = {id(p) for p in params}
    optimizer = Adam(params, SCHEDULE)
    phases: dict[str, list[float]] = {'forward': [], 'backward': [], 'optimizer': [], 'step': []}
    losses: list[float] = []
    figures: dict = {}
    for index in range(GPT_STEPS + 1):
        start = perf_counter()
        loss = name_loss(model, tokens_of(names[index], letters))
        built = perf_counter()
        loss.backward()
        backward_done = perf_counter()
        optimizer.step()
        losses.append(loss.data)
        if index == 0:  # the warm-up: count once, outside the timed steps
            nodes, all_leaves = count_nodes(loss)
            constants = all_leaves - sum(id(p) in leaves for p in _leaves_of(loss))
            figures.update({'graph nodes per step': nodes, 'constant nodes per step': constants})
        del loss  # frees the graph: part of a step
        end = perf_counter()
        if index:
            for phase, seconds in (('forward', built - start), ('backward', backward_done - built),
                                   ('optimizer', end - backward_done), ('step', end - start)):
                phases[phase].append(seconds)
    figures.update({phase: statistics.fmean(times) for phase, times in phases.items()})
    figures['losses'] = losses
    return figures


@measurement("The garbage collector during the scalar GPT's training steps", section='Scalar GPT',
             engines=('microgradnode', 'reference'), repeats=3,
             units={'collections per step': 'count', 'full collections per step': 'count',
                    'share of the step spent collecting': '%', 'share of forward spent collecting': '%'})
def gpt_garbage_collector(engine: str) -> dict:
    """How often the collector runs during eager GPT steps, and its share of their time."""
    from .cases import CollectorWatch

    value = _engine_value(engine)
    names = load_names()
    letters = vocabulary(names)
    model = init_model(value, len(letters) + 1)
    optimizer = Adam(parameters(model), SCHEDULE)

    def step(index: int) -> tuple:
        start = watch.now()
        loss = name_loss(model, tokens_of(names[index], letters))
        built = watch.now()
        loss.backward()
        optimizer.step()
        del loss
        return start, built, watch.now()

    with CollectorWatch() as watch:
        step(0)  # warm-up
        first = watch.count, watch.full
        marks = [step(index) for index in range(1, GPT_STEPS + 1)]
    share_of_forward = [(built[1] - start[1]) / (built[0] - start[0]) for start, built, _ in marks]
    share_of_step = [(end[1] - start[1]) / (end[0] - start[0]) for start, _, end in marks]
    return {'collections per step': (watch.count - first[0]) / GPT_STEPS,
            'full collections per step': (watch.full - first[1]) / GPT_STEPS,
            'share of forward spent collecting': statistics.median(share_of_forward),
            'share of the step spent collecting': statistics.median(share_of_step)}


def _leaves_of(root: Any) -> list[Any]:
    children = (lambda v: v.parents) if hasattr(root, 'parents') else (lambda v: v._children)
    seen, stack, found = {id(root)}, [root], []
    while stack:
        node = stack.pop()
        below = children(node)
        if not below:
            found.append(node)
        for child in below:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return found


def compiled_training(steps: int) -> dict:
    """Train with one compiled step per name length (:class:`microgradnode.CompileCache`).

    The graph of a length is built once with one-hot token leaves and compiled; every
    later name of that length sets the leaves and replays it. Returns the median replay
    step, the median compile time of a length, the mean step over all ``steps`` (compiles
    included) and the losses of the first steps (they must match the eager engines').
    """
    from microgradnode import CompileCache, Value

    names = load_names()
    letters = vocabulary(names)
    model = init_model(Value, len(letters) + 1)
    params = parameters(model)
    optimizer = Adam(params, SCHEDULE)
    inputs: dict[int, list] = {}
    tokens: list[int] = []

    def build(length: int) -> Any:  # traced on the name at hand: a valid graph (no log(0))
        inputs[length] = one_hot_leaves(Value, length, len(letters) + 1)
        set_one_hot(inputs[length], tokens)
        return name_loss(model, tokens, one_hot=inputs[length])

    cache = CompileCache(build)
    replays, compiles, losses = [], [], []
    started = perf_counter()
    for index in range(steps):
        tokens[:] = tokens_of(names[index], letters)
        start = perf_counter()
        hit = len(tokens) in cache
        step = cache[len(tokens)]
        compiled = perf_counter()
        set_one_hot(inputs[len(tokens)], tokens)
        losses.append(step())
        optimizer.step()
        end = perf_counter()
        (replays if hit else compiles).append(end - start if hit else compiled - start)
    total = perf_counter() - started
    return {'step': statistics.fmean(replays), 'compile': statistics.median(compiles),
            'mean step, compiles included': total / steps, 'distinct lengths compiled': len(cache),
            'losses': losses[:GPT_STEPS + 1]}
