"""Fast, faithful training of small Dense networks with the tutorial's settings.

``model.fit`` spends almost all of its time on per-step overhead for models this small.
:func:`train` runs the same maths (binary cross-entropy on the sigmoid's logits,
Keras' SGD/Adam update rules, accuracy and loss averaged over the epoch like Keras'
History) inside one compiled TensorFlow loop (graph mode; XLA was slower for these tiny
matrices), and :func:`train_many` trains many seeds of one configuration at once, their
weights stacked on a leading axis. What is recorded beside training (GradientMonitor's
numbers for :func:`train`, kernel norms for :func:`train_many`) is computed inside the
same loop.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers._validate import check_data, check_float, check_int, check_seeds
from helpers.gradients import layer_stats
from helpers.models import TUTORIAL_INITIALIZER, activation_name, build_mlp
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


#: Keras' BatchNormalization defaults, used by build_mlp(batch_norm=True).
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3


def _n_state(arch: tuple) -> int:
    """Number of non-trained state tensors (BatchNormalization moving mean and variance)."""
    return 2 * sum(1 for _, bn, _ in arch if bn)


def _forward(x: tf.Tensor, params: Sequence[tf.Tensor], arch: tuple,
             state: Sequence[tf.Tensor] = (), training: bool = False,
             mask: tf.Tensor | None = None,
             layer_outputs: list | None = None) -> tuple[tf.Tensor, list[tf.Tensor]]:
    """Logits of S stacked networks and their updated BatchNormalization state.

    ``arch`` holds one ``(activation, batch_norm, residual)`` triple per Dense layer, the
    last one being the sigmoid output (its logits are returned). x: [S, B, d] or shared
    [N, d]; returns ([S, B, 1], state). In training mode BatchNormalization uses the
    statistics of the batch (rows where ``mask`` is 1) and updates its moving averages.
    ``layer_outputs``: a list that receives, per Dense layer, the pair ``(z, a)`` of its
    pre-activation and its activation (before any residual addition; the output layer's
    ``a`` is the sigmoid).
    """
    h = x
    pi = si = 0
    new_state: list[tf.Tensor] = []
    last = len(arch) - 1
    for li, (act, bn, res) in enumerate(arch):
        w, b = params[pi], params[pi + 1]
        pi += 2
        z = dense_z = _matmul(h, w) + b[:, None, :]
        if li == last:
            if layer_outputs is not None:
                layer_outputs.append((z, tf.sigmoid(z)))
            return z, new_state
        if bn:
            gamma, beta = params[pi], params[pi + 1]
            moving_mean, moving_var = state[si], state[si + 1]
            pi += 2
            si += 2
            if training:
                m = mask[None, :, None]
                count = tf.reduce_sum(mask)
                mean = tf.reduce_sum(z * m, axis=1) / count
                var = tf.reduce_sum(tf.square(z - mean[:, None, :]) * m, axis=1) / count
                new_state += [moving_mean * BN_MOMENTUM + mean * (1 - BN_MOMENTUM),
                              moving_var * BN_MOMENTUM + var * (1 - BN_MOMENTUM)]
            else:
                mean, var = moving_mean, moving_var
                new_state += [moving_mean, moving_var]
            z = ((z - mean[:, None, :]) * tf.math.rsqrt(var[:, None, :] + BN_EPSILON)
                 * gamma[:, None, :] + beta[:, None, :])
        a = _ACTIVATIONS[act](z)
        if layer_outputs is not None:
            layer_outputs.append((dense_z, a))
        h = h + a if res else a
    raise ValueError("arch must end with the output layer")


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
    dtype = params[0].dtype
    lr = tf.constant(spec.learning_rate, dtype)
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
    local_step = tf.cast(step + 1, dtype)
    b1p = tf.pow(tf.constant(spec.beta_1, dtype), local_step)
    b2p = tf.pow(tf.constant(spec.beta_2, dtype), local_step)
    alpha = lr * tf.sqrt(1 - b2p) / (1 - b1p)
    n = len(params)
    for p, m, v, g in zip(params, slots[:n], slots[n:], grads):
        m = m + (g - m) * (1 - spec.beta_1)
        v = v + (tf.square(g) - v) * (1 - spec.beta_2)
        new_p.append(p - (m * alpha) / (tf.sqrt(v) + spec.epsilon))
        new_s.append((m, v))
    return new_p, [m for m, _ in new_s] + [v for _, v in new_s]


def _dense_indices(arch: tuple) -> list[int]:
    """Position of each Dense layer's kernel in the engine's params (its bias follows)."""
    out, pi = [], 0
    for _, bn, _ in arch:
        out.append(pi)
        pi += 4 if bn else 2
    return out


def _record_kernel_l1(params, previous, state, arch, options):
    """Per-epoch record: the L1 norm of every Dense kernel of every model, [S, layers]."""
    return tf.stack([tf.reduce_sum(tf.abs(params[k]), axis=[1, 2])
                     for k in _dense_indices(arch)], axis=1)


def _record_monitor(params, previous, state, arch, options, x, y):
    """Per-epoch record: helpers.gradients.GradientMonitor's numbers for model 0 of the
    stack on the batch (x, y), in inference mode: [layers, 13], the 12 columns of
    ``helpers.gradients.layer_stats`` then the loss on the batch; with histograms, followed
    by ``helpers.gradients.bucket_counts`` of the kernel gradient and of the layer's output.

    ``options`` = (activation name of each Dense layer as Keras sees it, whether each has
    its own activation, whether to add histograms): a Dense layer's Keras output is its
    activation if it has one, else its pre-activation (batch-norm blocks).
    """
    from helpers.gradients import bucket_counts  # here: the module's imports are fingerprinted

    kinds, own_activation, histograms = options
    dense = _dense_indices(arch)
    outs: list = []
    with tf.GradientTape() as tape:
        tape.watch(params)
        logits, _ = _forward(x, params, arch, state, layer_outputs=outs)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits[0]))
    grads = tape.gradient(loss, params)

    def pairs(ps):
        return [(ps[k][0], ps[k + 1][0]) for k in dense]

    outputs = [(a if own else z)[0] for (z, a), own in zip(outs, own_activation)]
    stats = layer_stats(kinds, outputs, pairs(grads), pairs(params),
                        None if previous is None else pairs(previous))
    columns = [stats, tf.fill([len(dense), 1], loss)]
    if histograms:
        columns += [tf.stack([bucket_counts(grads[k][0]) for k in dense]),
                    tf.stack([bucket_counts(a) for a in outputs])]
    return tf.concat(columns, axis=1)


#: What the runner can record before training and after every epoch (see _make_runner).
_RECORDS = {"kernel_l1": _record_kernel_l1, "monitor": _record_monitor}


def _make_runner(arch: tuple, spec: OptimizerSpec, batch_size: int,
                 record: tuple | None = None):
    """Build the compiled function that trains S stacked models for a few epochs.

    ``slots`` holds the optimizer's slots followed by the BatchNormalization state.
    ``record``: None, or ``(name, options)`` with ``name`` a key of :data:`_RECORDS`; the
    function is then also evaluated before training (no previous weights) and after every
    epoch (previous: the weights before that epoch), on the extra arguments of ``run``,
    and its values come back as a fifth array [E + 1, ...].
    """
    n_state = _n_state(arch)
    record_fn = None if record is None else _RECORDS[record[0]]

    @tf.function(jit_compile=False)  # XLA was 3-6x slower here: tiny batched matmuls
    def run(params, slots, step, idx, mask, x_tr, y_tr, x_te, y_te, *record_data):
        # idx: [E, S, steps * batch] row order per epoch and model; mask: [steps * batch].
        n_epochs = idx.shape[0]
        n_steps = idx.shape[2] // batch_size
        n_train = tf.reduce_sum(mask)
        dtype = x_tr.dtype
        out = [tf.TensorArray(dtype, size=n_epochs) for _ in range(4)]
        if record_fn is not None:
            def record_now(params, previous, slots):
                state = list(slots[len(slots) - n_state:])
                return record_fn(params, previous, state, arch, record[1], *record_data)
            out.append(tf.TensorArray(dtype, size=n_epochs + 1).write(
                0, record_now(params, None, slots)))

        def one_step(i, params, slots, step, loss_sum, hit_sum, order):
            rows = order[:, i * batch_size:(i + 1) * batch_size]      # [S, B]
            m = mask[i * batch_size:(i + 1) * batch_size]             # [B]
            xb, yb = tf.gather(x_tr, rows), tf.gather(y_tr, rows)       # [S, B, d], [S, B, 1]
            count = tf.reduce_sum(m)
            opt_slots = list(slots[:len(slots) - n_state])
            state = list(slots[len(slots) - n_state:])
            with tf.GradientTape() as tape:
                tape.watch(params)
                logits, state = _forward(xb, params, arch, state, training=True, mask=m)
                ce, hits = _bce_and_hits(logits, yb)
                per_model = tf.reduce_sum(ce * m, axis=1) / count       # [S]
                total = tf.reduce_sum(per_model)
            grads = tape.gradient(total, params)
            params, opt_slots = _update(params, opt_slots, grads, step, spec)
            slots = list(opt_slots) + list(state)
            return (i + 1, params, slots, step + 1, loss_sum + per_model * count,
                    hit_sum + tf.reduce_sum(hits * m, axis=1), order)

        def one_epoch(e, params, slots, step, *acc):
            before = params
            s_count = tf.shape(idx)[1]
            zeros = tf.zeros([s_count], dtype)
            _, params, slots, step, loss_sum, hit_sum, _ = tf.while_loop(
                lambda i, *_: i < n_steps, one_step,
                (tf.constant(0), params, slots, step, zeros, zeros, idx[e]))
            state = list(slots[len(slots) - n_state:])
            ce, hits = _bce_and_hits(_forward(x_te, params, arch, state)[0], y_te)
            vals = (loss_sum / n_train, hit_sum / n_train,
                    tf.reduce_mean(ce, axis=1), tf.reduce_mean(hits, axis=1))
            if record_fn is not None:
                vals += (record_now(params, before, slots),)
            # the record's array holds the state before training at 0, so epoch e goes to e + 1
            acc = tuple(a.write(e + 1 if k == 4 else e, v)
                        for k, (a, v) in enumerate(zip(acc, vals)))
            return (e + 1, params, slots, step, *acc)

        _, params, slots, step, *out = tf.while_loop(
            lambda e, *_: e < n_epochs, one_epoch,
            (tf.constant(0), params, slots, step, *out))
        return params, slots, step, [a.stack() for a in out]

    return run


_RUNNERS: dict[tuple, Any] = {}  # compiled-function cache: avoids re-tracing, holds no results

#: train_many may run in several threads at once (helpers.experiments.sweep does): building
#: Keras models and clearing Keras' session happen under this lock, one thread at a time,
#: while the compiled training runs themselves (pure TensorFlow) overlap.
_KERAS_LOCK = threading.Lock()


def _runner(arch: tuple, spec: OptimizerSpec, batch_size: int, record: tuple | None = None):
    key = (arch, spec, batch_size, record, keras.config.floatx())
    with _KERAS_LOCK:
        if key not in _RUNNERS:
            _RUNNERS[key] = _make_runner(arch, spec, batch_size, record)
        return _RUNNERS[key]


def _eval_stack(params: Sequence[tf.Tensor], arch: tuple, x: np.ndarray, y: np.ndarray,
                state: Sequence[tf.Tensor] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Return (loss, accuracy) per stacked model on the whole of (x, y) (inference mode)."""
    logits, _ = _forward(tf.constant(x), list(params), arch, list(state))
    ce, hits = _bce_and_hits(logits, tf.constant(y))
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
    mask = np.zeros(padded, dtype=keras.config.floatx())
    mask[:n] = 1.0
    return idx, mask


def _slots_for(params: Sequence[tf.Tensor], spec: OptimizerSpec,
               state: Sequence[tf.Tensor] = ()) -> list[tf.Tensor]:
    """Zeroed optimizer slots, followed by the BatchNormalization ``state`` if any."""
    zeros = [tf.zeros_like(p) for p in params]
    slots = zeros + [tf.zeros_like(p) for p in params] if spec.kind == "adam" else zeros
    return slots + list(state)


# --------------------------------------------------------------------------- model access


@dataclasses.dataclass
class _Parsed:
    """A Keras model as the fast trainer sees it."""

    arch: tuple                       # one (activation, batch_norm, residual) per Dense layer
    dense: list                       # the Dense layers, input to output
    params: list                      # trainable variables in engine order
    state: list                       # BatchNormalization moving mean / variance


_SUPPORTED_LAYERS = (keras.layers.Dense, keras.layers.BatchNormalization,
                     keras.layers.Activation, keras.layers.Add)


def _fail(why: str) -> ValueError:
    return ValueError(f"helpers.training cannot run this model: {why}. It trains chains of "
                      "Dense layers as helpers.models.build_mlp builds them (optionally with "
                      "batch_norm / residual); train other models with model.fit.")


def _parse(model: keras.Model, verify: bool = True) -> _Parsed:
    """Read a model's structure and variables, or raise a ValueError that says why not.

    Plain chains of Dense layers work whatever their names; BatchNormalization and
    residual (Add) blocks are recognised by build_mlp's layer names (``hidden_3_bn``,
    ``hidden_3_act``, ``hidden_3_add``). With ``verify`` the engine's forward pass is
    compared with the model's own on fixed probe inputs, so a model that was misread is
    refused instead of trained wrongly.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built or not model.inputs:
        raise ValueError("model is not built: start it with keras.Input(shape=(2,)) "
                         "(helpers.models.build_mlp does)")
    layers = [lay for lay in model.layers if not isinstance(lay, keras.layers.InputLayer)]
    odd = sorted({type(lay).__name__ for lay in layers
                  if type(lay) not in _SUPPORTED_LAYERS})
    if odd or not layers:
        raise _fail(f"it has layers of type {odd or 'none'} (supported: Dense, "
                    "BatchNormalization, Activation, Add)")
    dense = [lay for lay in layers if type(lay) is keras.layers.Dense]
    by_name = {lay.name: lay for lay in layers}
    used = {lay.name for lay in dense}
    arch, params, state = [], [], []
    plain = len(dense) == len(layers)
    if plain and not isinstance(model, keras.Sequential):
        for prev, nxt in zip(dense, dense[1:]):
            if nxt.input is not prev.output:
                raise _fail("its Dense layers are not applied one after another")
    for i, lay in enumerate(dense):
        if not lay.use_bias:
            raise _fail(f"layer {lay.name!r} has no bias")
        act = activation_name(lay)
        bn = by_name.get(f"{lay.name}_bn") if not plain else None
        act_layer = by_name.get(f"{lay.name}_act") if not plain else None
        add = by_name.get(f"{lay.name}_add") if not plain else None
        if act_layer is not None:
            if act != "linear":
                raise _fail(f"layer {lay.name!r} has an activation and an Activation layer")
            act = activation_name(act_layer)
        params += [lay.kernel, lay.bias]
        if bn is not None:
            if not (bn.center and bn.scale and bn.axis in (-1, [-1], 1, [1])
                    and bn.momentum == BN_MOMENTUM and bn.epsilon == BN_EPSILON):
                raise _fail(f"{bn.name!r} is not a default BatchNormalization")
            params += [bn.gamma, bn.beta]
            state += [bn.moving_mean, bn.moving_variance]
        for extra in (bn, act_layer, add):
            if extra is not None:
                used.add(extra.name)
        if act not in _ACTIVATIONS:
            raise _fail(f"layer {lay.name!r} uses activation {act!r} (supported: "
                        f"{', '.join(sorted(_ACTIVATIONS))})")
        arch.append((act, bn is not None, add is not None))
    if set(by_name) - used:
        raise _fail(f"layers {sorted(set(by_name) - used)} are not part of a recognised block")
    last = dense[-1]
    if last.units != 1 or arch[-1] != ("sigmoid", False, False):
        raise ValueError("the last layer must be Dense(1, activation='sigmoid') for binary "
                         f"classification; got Dense({last.units}, {arch[-1][0]!r})")
    parsed = _Parsed(tuple(arch), dense, params, state)
    if verify:
        _verify(model, parsed)
    return parsed


def _verify(model: keras.Model, parsed: _Parsed) -> None:
    n_in = parsed.dense[0].kernel.shape[0]
    probe = np.random.default_rng(0).uniform(-1.5, 1.5, (64, n_in)).astype(keras.config.floatx())
    theirs = np.asarray(model(probe, training=False)).reshape(-1)
    logits, _ = _forward(tf.constant(probe), [tf.constant(v.numpy())[None] for v in parsed.params],
                         parsed.arch, [tf.constant(v.numpy())[None] for v in parsed.state])
    ours = tf.sigmoid(logits).numpy().reshape(-1)
    if not np.allclose(ours, theirs, rtol=1e-3, atol=1e-5):
        raise _fail("its outputs could not be reproduced layer by layer")


def dense_stack(model: keras.Model) -> list[keras.layers.Dense]:
    """Return the model's Dense layers, input to output, if the fast trainer can run it.

    Raises ValueError (saying why) for models it cannot run; see :func:`_parse`.
    """
    return _parse(model).dense


def _stack_state(models: Sequence[keras.Model]) -> list[tf.Tensor]:
    """The BatchNormalization moving statistics of same-shaped models, stacked."""
    per_model = [_parse(m, verify=False).state for m in models]
    return [tf.constant(np.stack([vs[i].numpy() for vs in per_model]))
            for i in range(len(per_model[0]))]


def _stack_params(models: Sequence[keras.Model],
                  verify: bool = True) -> tuple[list[tf.Tensor], tuple]:
    """Stack the trainable variables of same-shaped models on a leading axis.

    Returns ``(params, arch)``; for plain Dense chains ``params[2 * i]`` is layer i's
    kernel and ``params[2 * i + 1]`` its bias.
    """
    parsed = [_parse(m, verify=(verify and k == 0)) for k, m in enumerate(models)]
    arch = parsed[0].arch
    if any(p.arch != arch for p in parsed):
        raise ValueError("models must share one architecture to be trained together")
    params = [tf.constant(np.stack([p.params[i].numpy() for p in parsed]))
              for i in range(len(parsed[0].params))]
    return params, arch


def _write_params(model: keras.Model, params: Sequence[tf.Tensor],
                  state: Sequence[tf.Tensor] = (), index: int = 0) -> None:
    parsed = _parse(model, verify=False)
    for var, value in zip(parsed.params, params):
        var.assign(value[index])
    for var, value in zip(parsed.state, state):
        var.assign(value[index])


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
    and may set ``model.stop_training``. A callback given alone that offers
    ``engine_batch()`` (:class:`helpers.gradients.GradientMonitor`) instead has its
    per-epoch numbers computed inside the compiled loop and handed over after training
    through ``engine_results`` (its ``on_epoch_begin/end`` are then not called).
    Afterwards the model is compiled with the same loss, metric and optimizer settings,
    so ``model.evaluate`` and ``model.predict`` work.
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

    params, arch = _stack_params([model])
    n_state = _n_state(arch)
    slots = _slots_for(params, spec, _stack_state([model]))
    bsz = min(batch_size, len(x_tr))
    data = [tf.constant(a) for a in (x_tr, y_tr, x_te, y_te)]
    idx, mask = _orders([seed], epochs, len(x_tr), bsz, shuffle)
    step = tf.constant(0, tf.int64)
    keys = ("loss", "accuracy", "val_loss", "val_accuracy")
    history: dict[str, list[float]] = {k: [] for k in keys}

    model.stop_training = False
    steps = math.ceil(len(x_tr) / bsz)
    cb_list = keras.callbacks.CallbackList(cbs, model=model, epochs=epochs, verbose=0,
                                           steps=steps)
    # A callback alone that offers ``engine_batch()`` (helpers.gradients.GradientMonitor)
    # has its per-epoch numbers computed inside the compiled loop: no per-epoch round trip.
    in_engine = None
    if len(cbs) == 1 and callable(getattr(cbs[0], "engine_batch", None)):
        in_engine = cbs[0].engine_batch()
    if not cbs or in_engine is not None:
        extra, record = [], None
        if in_engine is not None:
            x_mon, y_mon, histograms = in_engine
            dense = _parse(model, verify=False).dense
            record = ("monitor", (tuple(activation_name(d) for d in dense),
                                  tuple(activation_name(d) != "linear" for d in dense),
                                  bool(histograms)))
            extra = [tf.constant(x_mon), tf.constant(y_mon)]
            cb_list.on_train_begin()
        run = _runner(arch, spec, bsz, record)
        params, slots, step, out = run(params, slots, step, tf.constant(idx), tf.constant(mask),
                                       *data, *extra)
        for k, arr in zip(keys, out):
            history[k] = [float(v) for v in arr.numpy()[:, 0]]
        _write_params(model, params, slots[len(slots) - n_state:])
        epochs_run = epochs
        if in_engine is not None:
            cbs[0].engine_results(out[4].numpy())
            cb_list.on_train_end()
    else:
        # Per-epoch loop. Moving weights between the engine and the Keras model is done by
        # two compiled functions, one call each per epoch, instead of one eager op per variable.
        parsed = _parse(model, verify=False)
        run = _runner(arch, spec, bsz)
        idx_t, mask_t = tf.constant(idx), tf.constant(mask)
        n_opt = len(slots) - n_state
        model_vars = parsed.params + parsed.state

        @tf.function
        def epoch_and_sync(params, slots, step, e):
            params, slots, step, out = run(params, slots, step, idx_t[e][None], mask_t, *data)
            for var, value in zip(model_vars, list(params) + list(slots[n_opt:])):
                var.assign(value[0])
            return params, slots, step, tf.stack([o[0, 0] for o in out])

        @tf.function
        def from_model():
            return [tf.expand_dims(tf.convert_to_tensor(v), 0) for v in model_vars]

        # Callbacks that promise not to change the weights (attribute ``changes_weights =
        # False``, e.g. helpers.gradients.GradientMonitor) spare the read-back each epoch.
        read_back = any(getattr(cb, "changes_weights", True) for cb in cbs)
        cb_list.on_train_begin()
        epochs_run = 0
        for e in range(epochs):
            cb_list.on_epoch_begin(e)
            params, slots, step, values = epoch_and_sync(params, slots, step, tf.constant(e))
            logs = {k: float(v) for k, v in zip(keys, values.numpy())}
            for k in keys:
                history[k].append(logs[k])
            cb_list.on_epoch_end(e, dict(logs))
            epochs_run = e + 1
            if read_back:  # a callback may have changed the weights: continue from the model
                current = from_model()
                params = current[:len(params)]
                slots = list(slots[:n_opt]) + list(current[len(params):])
            if model.stop_training:
                break
        cb_list.on_train_end()

    model.compile(optimizer=spec.to_keras(), loss="binary_crossentropy", metrics=["accuracy"])
    result = keras.callbacks.History()
    result.set_model(model)
    result.history = history
    result.epoch = list(range(epochs_run))
    result.params = {"epochs": epochs, "steps": steps, "verbose": 0,
                     "batch_size": bsz, "seed": seed, "optimizer": dataclasses.asdict(spec)}
    return result


def train_many(depth: int, width: int = 5, activation: str = "tanh",
               initializer: str = TUTORIAL_INITIALIZER, seeds: Iterable[int] = range(20),
               epochs: int = 500, batch_size: int = 32, optimizer: Any = None,
               output_initializer: str | None = None, train_data: tuple | None = None,
               test_data: tuple | None = None, learning_rate: float | None = None,
               clipnorm: float | None = None, clipvalue: float | None = None,
               chunk_size: int = 64, batch_norm: bool = False,
               residual: bool = False, kernel_l1: bool = False) -> pd.DataFrame:
    """Train one ``build_mlp`` configuration once per seed, all seeds at once.

    For each seed s the model is exactly ``seed_everything(s); build_mlp(...)`` and is
    trained as ``train(model, ..., seed=s)`` would train it. Data default to
    :func:`helpers.data.load_circles` (the tutorial's split).

    Returns a DataFrame with one row per seed: ``seed``, ``train_accuracy``,
    ``test_accuracy``, ``train_loss``, ``test_loss`` (after the last epoch, on the whole
    sets), ``learned`` (test accuracy >= :data:`LEARNED_THRESHOLD`), the configuration
    (``depth``, ``width``, ``activation``, ``initializer``, ``optimizer``,
    ``learning_rate``, ``epochs``) and ``history``: a dict of per-epoch arrays with the
    same keys as Keras' History. ``batch_norm`` and ``residual`` are passed to
    ``build_mlp`` (and appear as columns too). With ``kernel_l1`` a column ``kernel_l1``
    holds, per seed, an array [epochs + 1, Dense layers] of every Dense kernel's L1 norm
    before training (row 0) and after each epoch. Refuses an empty ``seeds``.
    """
    seed_list = check_seeds(seeds)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    if not isinstance(kernel_l1, bool):
        raise TypeError(f"kernel_l1 must be True or False, got {kernel_l1!r}")
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
        with _KERAS_LOCK:
            models = []
            for s in chunk:
                seed_everything(s)
                models.append(build_mlp(depth, width, activation, initializer,
                                        output_initializer, n_inputs=x_tr.shape[1],
                                        batch_norm=batch_norm, residual=residual))
            params, arch = _stack_params(models)
            state = _stack_state(models)
            del models
            keras.backend.clear_session(free_memory=False)
        slots = _slots_for(params, spec, state)
        idx, mask = _orders(chunk, epochs, len(x_tr), bsz, shuffle=True)
        run = _runner(arch, spec, bsz, ("kernel_l1", None) if kernel_l1 else None)
        params, slots, _, out = run(params, slots, tf.constant(0, tf.int64), tf.constant(idx),
                                    tf.constant(mask), *data)
        hist = [a.numpy() for a in out]
        state = slots[len(slots) - _n_state(arch):]
        tr_loss, tr_acc = _eval_stack(params, arch, x_tr, y_tr, state)
        te_loss, te_acc = _eval_stack(params, arch, x_te, y_te, state)
        for j, s in enumerate(chunk):
            rows.append({
                "depth": depth, "width": width, "activation": activation,
                "initializer": initializer, "optimizer": spec.kind,
                "learning_rate": spec.learning_rate, "batch_norm": batch_norm,
                "residual": residual, "epochs": epochs, "seed": s,
                "train_accuracy": float(tr_acc[j]), "test_accuracy": float(te_acc[j]),
                "train_loss": float(tr_loss[j]), "test_loss": float(te_loss[j]),
                "learned": bool(te_acc[j] >= LEARNED_THRESHOLD),
                "history": {k: h[:, j].copy() for k, h in zip(keys, hist)},
                **({"kernel_l1": hist[4][:, j].copy()} if kernel_l1 else {}),
            })
    return pd.DataFrame(rows)


def evaluate(model: keras.Model, data: tuple) -> tuple[float, float]:
    """Return ``(loss, accuracy)`` of a Dense-chain model on ``(x, y)``, like model.evaluate."""
    x, y = check_data("data", data)
    params, arch = _stack_params([model])
    loss, acc = _eval_stack(params, arch, x, y, _stack_state([model]))
    return float(loss[0]), float(acc[0])
