"""Fast, faithful training of small Dense networks with the tutorial's settings.

``model.fit`` spends almost all of its time on per-step overhead for models this small.
:func:`train` runs the same maths (binary cross-entropy on the sigmoid's logits,
Keras' SGD/Adam update rules, accuracy and loss averaged over the epoch like Keras'
History) inside one XLA-compiled loop, and :func:`train_many` trains many seeds of
one configuration at once, their weights stacked on a leading axis.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers._validate import check_data, check_float, check_int, check_seeds
from helpers.models import TUTORIAL_INITIALIZER, build_mlp
from helpers.seeding import seed_everything

#: A run "learned" the two circles when its final test accuracy reaches this. A constant
#: guess scores about 0.5 on the balanced test set (500 points: one standard deviation
#: of chance is about 0.022), and the models that do learn reach about 0.8.
LEARNED_THRESHOLD = 0.70

#: The tutorial's optimizer settings.
TUTORIAL_LEARNING_RATE = 0.01
TUTORIAL_MOMENTUM = 0.9

class _NoRetracingNotice(logging.Filter):
    """Drop TensorFlow's "N out of the last N calls ... triggered tf.function retracing" notice.

    The trainer compiles one function per architecture and data shape on purpose (and caches
    it), so the notice is expected here and would only clutter notebook output.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


if not any(isinstance(f, _NoRetracingNotice) for f in tf.get_logger().filters):
    tf.get_logger().addFilter(_NoRetracingNotice())

_ACTIVATIONS = {
    "linear": tf.identity,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "relu": tf.nn.relu,
    "leaky_relu": lambda z: tf.nn.leaky_relu(z, alpha=0.2),  # Keras 3's default slope
    "elu": tf.nn.elu,
    "selu": tf.nn.selu,
    "gelu": lambda z: tf.nn.gelu(z, approximate=False),
}


# --------------------------------------------------------------------------- optimizer


@dataclasses.dataclass(frozen=True)
class OptimizerSpec:
    """What the fast trainer needs to know of an optimizer (hashable, for caching)."""

    kind: str  # "sgd" or "adam"
    learning_rate: float
    momentum: float = 0.0
    nesterov: bool = False
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    clipnorm: float | None = None
    clipvalue: float | None = None

    def to_keras(self) -> keras.optimizers.Optimizer:
        """Return the equivalent Keras optimizer (for ``model.compile`` / ``model.fit``)."""
        clip = {"clipnorm": self.clipnorm, "clipvalue": self.clipvalue}
        if self.kind == "sgd":
            return keras.optimizers.SGD(learning_rate=self.learning_rate,
                                        momentum=self.momentum, nesterov=self.nesterov, **clip)
        return keras.optimizers.Adam(learning_rate=self.learning_rate, beta_1=self.beta_1,
                                     beta_2=self.beta_2, epsilon=self.epsilon, **clip)


def resolve_optimizer(optimizer: Any = None, learning_rate: float | None = None,
                      clipnorm: float | None = None,
                      clipvalue: float | None = None) -> OptimizerSpec:
    """Return an :class:`OptimizerSpec` for ``optimizer``.

    Accepted: ``None`` or ``"sgd"`` (the tutorial's SGD, learning rate 0.01, momentum 0.9),
    ``"adam"`` (Keras' Adam defaults, learning rate 0.001), or a ``keras.optimizers.SGD`` /
    ``keras.optimizers.Adam`` instance (its settings are read). ``learning_rate``,
    ``clipnorm`` and ``clipvalue`` override the optimizer's own when given.
    Anything else raises a ValueError/TypeError that lists what is accepted.
    """
    if optimizer is None or (isinstance(optimizer, str) and optimizer.lower() == "sgd"):
        spec = OptimizerSpec("sgd", TUTORIAL_LEARNING_RATE, momentum=TUTORIAL_MOMENTUM)
    elif isinstance(optimizer, str) and optimizer.lower() == "adam":
        spec = OptimizerSpec("adam", 0.001)
    elif isinstance(optimizer, keras.optimizers.Optimizer):
        cfg = optimizer.get_config()
        if cfg.get("global_clipnorm") or cfg.get("use_ema") or cfg.get("weight_decay"):
            raise ValueError("optimizer: global_clipnorm, use_ema and weight_decay are not "
                             "supported by helpers.training; use clipnorm/clipvalue or model.fit")
        lr = cfg["learning_rate"]
        if not isinstance(lr, numbers.Real):
            raise ValueError("optimizer: learning-rate schedules are not supported by "
                             "helpers.training; pass a constant learning rate")
        clip = {"clipnorm": cfg.get("clipnorm"), "clipvalue": cfg.get("clipvalue")}
        if type(optimizer) is keras.optimizers.SGD:
            spec = OptimizerSpec("sgd", float(lr), momentum=float(cfg["momentum"]),
                                 nesterov=bool(cfg["nesterov"]), **clip)
        elif type(optimizer) is keras.optimizers.Adam:
            if cfg.get("amsgrad"):
                raise ValueError("optimizer: Adam(amsgrad=True) is not supported; "
                                 "use amsgrad=False or model.fit")
            spec = OptimizerSpec("adam", float(lr), beta_1=float(cfg["beta_1"]),
                                 beta_2=float(cfg["beta_2"]), epsilon=float(cfg["epsilon"]),
                                 **clip)
        else:
            raise ValueError(f"optimizer: {type(optimizer).__name__} is not supported; "
                             "allowed: None, 'sgd', 'adam', keras.optimizers.SGD(...), "
                             "keras.optimizers.Adam(...)")
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}; allowed: None, 'sgd', 'adam', "
                         "keras.optimizers.SGD(...), keras.optimizers.Adam(...)")
    changes: dict[str, Any] = {}
    if learning_rate is not None:
        changes["learning_rate"] = check_float("learning_rate", learning_rate, minimum=0.0,
                                               strict_min=True)
    if clipnorm is not None:
        changes["clipnorm"] = check_float("clipnorm", clipnorm, minimum=0.0, strict_min=True)
    if clipvalue is not None:
        changes["clipvalue"] = check_float("clipvalue", clipvalue, minimum=0.0,
                                           strict_min=True)
    spec = dataclasses.replace(spec, **changes)
    check_float("learning_rate", spec.learning_rate, minimum=0.0, strict_min=True)
    return spec


# --------------------------------------------------------------------------- the engine


def _matmul(h: tf.Tensor, w: tf.Tensor) -> tf.Tensor:
    """[S, B, i] (or shared [B, i]) times [S, i, o] -> [S, B, o]."""
    if h.shape.rank == 2:
        h = h[None]
    return tf.matmul(h, w)


def _forward(x: tf.Tensor, params: Sequence[tf.Tensor], acts: Sequence[str]) -> tf.Tensor:
    """Logits of S stacked MLPs. x: [S, B, d] or [N, d] (shared); returns [S, B, 1]."""
    h = x
    n_layers = len(acts)
    for i in range(n_layers):
        w, b = params[2 * i], params[2 * i + 1]
        z = _matmul(h, w) + b[:, None, :]
        h = _ACTIVATIONS[acts[i]](z) if i < n_layers - 1 else z
    return h


def _bce_and_hits(logits: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-sample cross-entropy (Keras' logits path) and 0/1 hits (Keras' BinaryAccuracy)."""
    y = tf.broadcast_to(y, tf.shape(logits))
    ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits)
    hits = tf.cast(tf.equal(tf.cast(tf.sigmoid(logits) > 0.5, y.dtype), y), y.dtype)
    return ce[..., 0], hits[..., 0]


def _clip(grads: list[tf.Tensor], spec: OptimizerSpec) -> list[tf.Tensor]:
    """Keras' clipnorm (per variable, here per model too) and clipvalue."""
    if spec.clipnorm:
        out = []
        for g in grads:
            axes = list(range(1, g.shape.rank))
            l2sum = tf.reduce_sum(tf.square(g), axes, keepdims=True)
            l2norm = tf.sqrt(tf.where(l2sum > 0, l2sum, tf.ones_like(l2sum)))
            l2norm = tf.where(l2sum > 0, l2norm, tf.zeros_like(l2norm))
            out.append(g * spec.clipnorm / tf.maximum(l2norm, spec.clipnorm))
        return out
    if spec.clipvalue:
        return [tf.clip_by_value(g, -spec.clipvalue, spec.clipvalue) for g in grads]
    return grads


def _update(params, slots, grads, step, spec: OptimizerSpec):
    """One optimizer step with Keras 3's update rules; returns (params, slots)."""
    grads = _clip(grads, spec)
    lr = tf.constant(spec.learning_rate, tf.float32)
    new_p, new_s = [], []
    if spec.kind == "sgd":
        for p, m, g in zip(params, slots, grads):
            if spec.momentum:
                m = m * spec.momentum - g * lr
                p = p + (m * spec.momentum - g * lr if spec.nesterov else m)
            else:
                p = p - g * lr
            new_p.append(p)
            new_s.append(m)
        return new_p, new_s
    local_step = tf.cast(step + 1, tf.float32)
    b1p = tf.pow(tf.constant(spec.beta_1, tf.float32), local_step)
    b2p = tf.pow(tf.constant(spec.beta_2, tf.float32), local_step)
    alpha = lr * tf.sqrt(1 - b2p) / (1 - b1p)
    n = len(params)
    for p, m, v, g in zip(params, slots[:n], slots[n:], grads):
        m = m + (g - m) * (1 - spec.beta_1)
        v = v + (tf.square(g) - v) * (1 - spec.beta_2)
        new_p.append(p - (m * alpha) / (tf.sqrt(v) + spec.epsilon))
        new_s.append((m, v))
    return new_p, [m for m, _ in new_s] + [v for _, v in new_s]


def _make_runner(acts: tuple[str, ...], spec: OptimizerSpec, batch_size: int):
    """Build the compiled function that trains S stacked models for a few epochs."""

    @tf.function(jit_compile=False)  # XLA was 3-6x slower here: tiny batched matmuls
    def run(params, slots, step, idx, mask, x_tr, y_tr, x_te, y_te):
        # idx: [E, S, steps * batch] row order per epoch and model; mask: [steps * batch].
        n_epochs = idx.shape[0]
        n_steps = idx.shape[2] // batch_size
        n_train = tf.reduce_sum(mask)
        out = [tf.TensorArray(tf.float32, size=n_epochs) for _ in range(4)]

        def one_step(i, params, slots, step, loss_sum, hit_sum, order):
            rows = order[:, i * batch_size:(i + 1) * batch_size]      # [S, B]
            m = mask[i * batch_size:(i + 1) * batch_size]             # [B]
            xb, yb = tf.gather(x_tr, rows), tf.gather(y_tr, rows)       # [S, B, d], [S, B, 1]
            count = tf.reduce_sum(m)
            with tf.GradientTape() as tape:
                tape.watch(params)
                ce, hits = _bce_and_hits(_forward(xb, params, acts), yb)
                per_model = tf.reduce_sum(ce * m, axis=1) / count       # [S]
                total = tf.reduce_sum(per_model)
            grads = tape.gradient(total, params)
            params, slots = _update(params, slots, grads, step, spec)
            return (i + 1, params, slots, step + 1, loss_sum + per_model * count,
                    hit_sum + tf.reduce_sum(hits * m, axis=1), order)

        def one_epoch(e, params, slots, step, *acc):
            s_count = tf.shape(idx)[1]
            zeros = tf.zeros([s_count], tf.float32)
            _, params, slots, step, loss_sum, hit_sum, _ = tf.while_loop(
                lambda i, *_: i < n_steps, one_step,
                (tf.constant(0), params, slots, step, zeros, zeros, idx[e]))
            ce, hits = _bce_and_hits(_forward(x_te, params, acts), y_te)
            vals = (loss_sum / n_train, hit_sum / n_train,
                    tf.reduce_mean(ce, axis=1), tf.reduce_mean(hits, axis=1))
            acc = tuple(a.write(e, v) for a, v in zip(acc, vals))
            return (e + 1, params, slots, step, *acc)

        _, params, slots, step, *out = tf.while_loop(
            lambda e, *_: e < n_epochs, one_epoch,
            (tf.constant(0), params, slots, step, *out))
        return params, slots, step, [a.stack() for a in out]

    return run


_RUNNERS: dict[tuple, Any] = {}  # compiled-function cache: avoids re-tracing, holds no results


def _runner(acts: tuple[str, ...], spec: OptimizerSpec, batch_size: int):
    key = (acts, spec, batch_size)
    if key not in _RUNNERS:
        _RUNNERS[key] = _make_runner(acts, spec, batch_size)
    return _RUNNERS[key]


def _eval_stack(params: Sequence[tf.Tensor], acts: tuple[str, ...], x: np.ndarray,
                y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (loss, accuracy) per stacked model on the whole of (x, y)."""
    ce, hits = _bce_and_hits(_forward(tf.constant(x), list(params), acts), tf.constant(y))
    return tf.reduce_mean(ce, axis=1).numpy(), tf.reduce_mean(hits, axis=1).numpy()


def _orders(seeds: Sequence[int | None], epochs: int, n: int, batch_size: int,
            shuffle: bool) -> tuple[np.ndarray, np.ndarray]:
    """Row order per epoch and model, padded to whole batches: ([E, S, steps*B], mask)."""
    n_steps = math.ceil(n / batch_size)
    padded = n_steps * batch_size
    idx = np.zeros((epochs, len(seeds), padded), dtype=np.int32)
    for j, seed in enumerate(seeds):
        rng = np.random.default_rng([int(seed), 0x5EED]) if shuffle else None
        for e in range(epochs):
            idx[e, j, :n] = rng.permutation(n) if shuffle else np.arange(n)
    mask = np.zeros(padded, dtype=np.float32)
    mask[:n] = 1.0
    return idx, mask


def _slots_for(params: Sequence[tf.Tensor], spec: OptimizerSpec) -> list[tf.Tensor]:
    zeros = [tf.zeros_like(p) for p in params]
    return zeros + [tf.zeros_like(p) for p in params] if spec.kind == "adam" else zeros


# --------------------------------------------------------------------------- model access


def dense_stack(model: keras.Model) -> list[keras.layers.Dense]:
    """Return the model's Dense layers if it is a plain chain of them, else raise ValueError.

    This is what the fast trainer can run: Dense layers with biases and one of the
    activations in ``helpers.models.ACTIVATIONS``, applied one after another, the last
    one ``Dense(1, "sigmoid")``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError("model is not built: start it with keras.Input(shape=(2,)) "
                         "(helpers.models.build_mlp does)")
    layers = [lay for lay in model.layers if not isinstance(lay, keras.layers.InputLayer)]
    if not layers or not all(type(lay) is keras.layers.Dense for lay in layers):
        kinds = sorted({type(lay).__name__ for lay in layers})
        raise ValueError(f"helpers.training trains plain stacks of Dense layers only; this "
                         f"model has {kinds}. Train it with model.fit instead.")
    if isinstance(model, keras.Sequential) is False:
        # A functional model counts only if it is a simple chain.
        for prev, nxt in zip(layers, layers[1:]):
            if nxt.input is not prev.output:
                raise ValueError("helpers.training needs the Dense layers applied one "
                                 "after another; train this model with model.fit")
    for lay in layers:
        if not lay.use_bias:
            raise ValueError(f"layer {lay.name!r} has no bias; helpers.training needs "
                             "Dense layers with biases")
        name = _activation_name(lay)
        if name not in _ACTIVATIONS:
            raise ValueError(f"layer {lay.name!r} uses activation {name!r}; "
                             f"helpers.training supports {sorted(_ACTIVATIONS)}")
    last = layers[-1]
    if last.units != 1 or _activation_name(last) != "sigmoid":
        raise ValueError("the last layer must be Dense(1, activation='sigmoid') for binary "
                         f"classification; got Dense({last.units}, {_activation_name(last)!r})")
    return layers


def _activation_name(layer: keras.layers.Dense) -> str:
    fn = layer.activation
    name = getattr(fn, "__name__", type(fn).__name__)
    if name == "leaky_relu":
        return name  # Keras' default slope; a custom slope would be a different callable
    return name


def _stack_params(models: Sequence[keras.Model]) -> tuple[list[tf.Tensor], tuple[str, ...]]:
    """Stack the kernels and biases of same-shaped Dense chains on a leading axis."""
    per_model = [dense_stack(m) for m in models]
    acts = tuple(_activation_name(lay) for lay in per_model[0])
    params = []
    for i in range(len(per_model[0])):
        params.append(tf.constant(np.stack([ls[i].kernel.numpy() for ls in per_model])))
        params.append(tf.constant(np.stack([ls[i].bias.numpy() for ls in per_model])))
    return params, acts


def _write_params(model: keras.Model, params: Sequence[tf.Tensor], index: int = 0) -> None:
    for i, lay in enumerate(dense_stack(model)):
        lay.kernel.assign(params[2 * i][index])
        lay.bias.assign(params[2 * i + 1][index])


# --------------------------------------------------------------------------- public API


_EPOCH_HOOKS_ONLY = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin",
                     "on_batch_end", "on_test_begin", "on_test_end",
                     "on_test_batch_begin", "on_test_batch_end")


def _check_callbacks(callbacks: Iterable[keras.callbacks.Callback] | None) -> list:
    if callbacks is None:
        return []
    if isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    out = list(callbacks)
    for cb in out:
        if not isinstance(cb, keras.callbacks.Callback):
            raise TypeError(f"callbacks must be keras.callbacks.Callback objects, got "
                            f"{type(cb).__name__}")
        for hook in _EPOCH_HOOKS_ONLY:
            if getattr(type(cb), hook) is not getattr(keras.callbacks.Callback, hook):
                raise ValueError(f"callback {type(cb).__name__} uses {hook}; "
                                 "helpers.training.train calls only on_train_begin/end and "
                                 "on_epoch_begin/end. Use model.fit for batch-level callbacks.")
    return out


def train(model: keras.Model, train_data: tuple, test_data: tuple, epochs: int = 500,
          batch_size: int = 32, optimizer: Any = None, seed: int | None = None,
          callbacks: Iterable[keras.callbacks.Callback] | None = None,
          shuffle: bool = True, learning_rate: float | None = None,
          clipnorm: float | None = None,
          clipvalue: float | None = None) -> keras.callbacks.History:
    """Train ``model`` in place with the tutorial's settings, fast; return a Keras History.

    Same maths as ``model.compile(optimizer, "binary_crossentropy", ["accuracy"])`` then
    ``model.fit(x, y, validation_data=test_data, epochs, batch_size, shuffle)``: the
    returned ``history.history`` holds ``loss``, ``accuracy`` (averaged over the epoch's
    batches, as Keras reports them), ``val_loss`` and ``val_accuracy``, one value per
    epoch. ``optimizer`` is as in :func:`resolve_optimizer` (default: SGD, learning rate
    0.01, momentum 0.9). ``seed`` fixes the shuffling order (None: drawn from NumPy's
    global generator, which :func:`helpers.seed_everything` seeds). Callbacks get
    ``on_train_begin/end`` and ``on_epoch_begin/end`` with the model's weights current,
    and may set ``model.stop_training``. Afterwards the model is compiled with the same
    loss, metric and optimizer settings, so ``model.evaluate`` and ``model.predict`` work.
    """
    layers = dense_stack(model)
    x_tr, y_tr = check_data("train_data", train_data)
    x_te, y_te = check_data("test_data", test_data)
    n_in = layers[0].kernel.shape[0]
    for name, x in (("train_data", x_tr), ("test_data", x_te)):
        if x.shape[1] != n_in:
            raise ValueError(f"{name}: x has {x.shape[1]} features but the model expects {n_in}")
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    spec = resolve_optimizer(optimizer, learning_rate, clipnorm, clipvalue)
    cbs = _check_callbacks(callbacks)
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")

    params, acts = _stack_params([model])
    slots = _slots_for(params, spec)
    run = _runner(acts, spec, min(batch_size, len(x_tr)))
    bsz = min(batch_size, len(x_tr))
    data = [tf.constant(a) for a in (x_tr, y_tr, x_te, y_te)]
    idx, mask = _orders([seed], epochs, len(x_tr), bsz, shuffle)
    step = tf.constant(0, tf.int64)
    keys = ("loss", "accuracy", "val_loss", "val_accuracy")
    history: dict[str, list[float]] = {k: [] for k in keys}

    model.stop_training = False
    if not cbs:
        params, slots, step, out = run(params, slots, step, tf.constant(idx), tf.constant(mask),
                                       *data)
        for k, arr in zip(keys, out):
            history[k] = [float(v) for v in arr.numpy()[:, 0]]
        _write_params(model, params)
        epochs_run = epochs
    else:
        cb_list = keras.callbacks.CallbackList(cbs, model=model, epochs=epochs, verbose=0,
                                               steps=math.ceil(len(x_tr) / bsz))
        cb_list.on_train_begin()
        epochs_run = 0
        for e in range(epochs):
            cb_list.on_epoch_begin(e)
            params, slots, step, out = run(params, slots, step, tf.constant(idx[e:e + 1]),
                                           tf.constant(mask), *data)
            logs = {k: float(arr.numpy()[0, 0]) for k, arr in zip(keys, out)}
            for k in keys:
                history[k].append(logs[k])
            _write_params(model, params)
            cb_list.on_epoch_end(e, dict(logs))
            epochs_run = e + 1
            params, _ = _stack_params([model])  # a callback may have changed the weights
            if model.stop_training:
                break
        cb_list.on_train_end()

    model.compile(optimizer=spec.to_keras(), loss="binary_crossentropy", metrics=["accuracy"])
    result = keras.callbacks.History()
    result.set_model(model)
    result.history = history
    result.epoch = list(range(epochs_run))
    result.params = {"epochs": epochs, "steps": math.ceil(len(x_tr) / bsz), "verbose": 0,
                     "batch_size": bsz, "seed": seed, "optimizer": dataclasses.asdict(spec)}
    return result


def train_many(depth: int, width: int = 5, activation: str = "tanh",
               initializer: str = TUTORIAL_INITIALIZER, seeds: Iterable[int] = range(20),
               epochs: int = 500, batch_size: int = 32, optimizer: Any = None,
               output_initializer: str | None = None, train_data: tuple | None = None,
               test_data: tuple | None = None, learning_rate: float | None = None,
               clipnorm: float | None = None, clipvalue: float | None = None,
               chunk_size: int = 64) -> pd.DataFrame:
    """Train one ``build_mlp`` configuration once per seed, all seeds at once.

    For each seed s the model is exactly ``seed_everything(s); build_mlp(...)`` and is
    trained as ``train(model, ..., seed=s)`` would train it. Data default to
    :func:`helpers.data.load_circles` (the tutorial's split).

    Returns a DataFrame with one row per seed: ``seed``, ``train_accuracy``,
    ``test_accuracy``, ``train_loss``, ``test_loss`` (after the last epoch, on the whole
    sets), ``learned`` (test accuracy >= :data:`LEARNED_THRESHOLD`), the configuration
    (``depth``, ``width``, ``activation``, ``initializer``, ``optimizer``,
    ``learning_rate``, ``epochs``) and ``history``: a dict of per-epoch arrays with the
    same keys as Keras' History. Refuses an empty ``seeds``.
    """
    seed_list = check_seeds(seeds)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    spec = resolve_optimizer(optimizer, learning_rate, clipnorm, clipvalue)
    if (train_data is None) != (test_data is None):
        raise ValueError("give both train_data and test_data, or neither")
    if train_data is None:
        from helpers.data import load_circles
        train_data, test_data = load_circles()
    x_tr, y_tr = check_data("train_data", train_data)
    x_te, y_te = check_data("test_data", test_data)
    bsz = min(batch_size, len(x_tr))
    data = [tf.constant(a) for a in (x_tr, y_tr, x_te, y_te)]
    keys = ("loss", "accuracy", "val_loss", "val_accuracy")

    rows = []
    for start in range(0, len(seed_list), chunk_size):
        chunk = seed_list[start:start + chunk_size]
        models = []
        for s in chunk:
            seed_everything(s)
            models.append(build_mlp(depth, width, activation, initializer, output_initializer,
                                    n_inputs=x_tr.shape[1]))
        params, acts = _stack_params(models)
        del models
        keras.backend.clear_session(free_memory=False)
        slots = _slots_for(params, spec)
        idx, mask = _orders(chunk, epochs, len(x_tr), bsz, shuffle=True)
        run = _runner(acts, spec, bsz)
        params, _, _, out = run(params, slots, tf.constant(0, tf.int64), tf.constant(idx),
                                tf.constant(mask), *data)
        hist = [a.numpy() for a in out]
        tr_loss, tr_acc = _eval_stack(params, acts, x_tr, y_tr)
        te_loss, te_acc = _eval_stack(params, acts, x_te, y_te)
        for j, s in enumerate(chunk):
            rows.append({
                "depth": depth, "width": width, "activation": activation,
                "initializer": initializer, "optimizer": spec.kind,
                "learning_rate": spec.learning_rate, "epochs": epochs, "seed": s,
                "train_accuracy": float(tr_acc[j]), "test_accuracy": float(te_acc[j]),
                "train_loss": float(tr_loss[j]), "test_loss": float(te_loss[j]),
                "learned": bool(te_acc[j] >= LEARNED_THRESHOLD),
                "history": {k: h[:, j].copy() for k, h in zip(keys, hist)},
            })
    return pd.DataFrame(rows)


def evaluate(model: keras.Model, data: tuple) -> tuple[float, float]:
    """Return ``(loss, accuracy)`` of a Dense-chain model on ``(x, y)``, like model.evaluate."""
    x, y = check_data("data", data)
    params, acts = _stack_params([model])
    loss, acc = _eval_stack(params, acts, x, y)
    return float(loss[0]), float(acc[0])
