"""Training: :func:`train` runs ``model.fit``'s maths (Keras' ``train_step``/``test_step``,
callbacks between epochs) inside one compiled function; :func:`train_many` trains one
``build_mlp`` configuration for many seeds at once, their weights stacked on a leading axis
and updated by a Keras optimizer (SGD and Adam act elementwise)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers.data import load_circles
from helpers.models import MLPConfig, StackedMLP, build_mlp
from helpers.seeding import seed_everything
from helpers.validation import check_data, check_int, check_seeds

#: A run "learned" the two circles at a final test accuracy of at least this: a guess scores
#: about 0.5 (sd 0.022 on the 500 test points), the models that learn about 0.8.
LEARNED_THRESHOLD = 0.70

#: The keys of a ``train_many`` history (a Keras History has the same keys, in another order).
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")

_BATCH_HOOKS = [h for h in dir(keras.callbacks.Callback)
                if h.startswith(("on_train_batch", "on_batch", "on_test"))]


def resolve_optimizer(optimizer: Any = None, learning_rate: float | None = None,
                      clipnorm: float | None = None,
                      clipvalue: float | None = None) -> keras.optimizers.Optimizer:
    """Return the Keras optimizer: None/"sgd", the tutorial's ``SGD(0.01, momentum=0.9)``;
    "adam", Keras' default Adam; a Keras optimizer: itself, or when a setting is given a new
    one of its type from its config with those settings (its state is not carried over).
    Refuses what :meth:`MLPConfig.check_field` refuses."""
    changes = {"learning_rate": learning_rate, "clipnorm": clipnorm, "clipvalue": clipvalue}
    for name, value in {"optimizer": optimizer, **changes}.items():
        MLPConfig.check_field(name, value)  # the settings' one check
    changes = {name: float(value) for name, value in changes.items() if value is not None}
    # Hyperparameters as float64 scalars: Keras casts a Python float through float32
    # (momentum 0.9 becomes 0.8999999762), a float64 one stays exact in float64 training.
    if optimizer is None or (isinstance(optimizer, str) and optimizer.lower() == "sgd"):
        optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=np.float64(0.9))
    elif isinstance(optimizer, str):
        optimizer = keras.optimizers.Adam(beta_1=np.float64(0.9), beta_2=np.float64(0.999))
    elif not changes:
        return optimizer
    return type(optimizer).from_config({**optimizer.get_config(), **changes})


def _check_callbacks(callbacks: Iterable[keras.callbacks.Callback] | None) -> list:
    out = [callbacks] if isinstance(callbacks, keras.callbacks.Callback) else list(callbacks or [])
    for cb in out:
        if not isinstance(cb, keras.callbacks.Callback):
            raise TypeError("callbacks must be keras.callbacks.Callback objects, got "
                            f"{type(cb).__name__}")
        hooks = [h for h in _BATCH_HOOKS
                 if getattr(type(cb), h) is not getattr(keras.callbacks.Callback, h)]
        if hooks:
            raise ValueError(f"callbacks: {type(cb).__name__} uses {hooks[0]}, but train calls "
                             "callbacks between epochs only; use model.fit for batch or test hooks")
    return out


def train(model: keras.Model, train_data: tuple, test_data: tuple, epochs: int = 500,
          batch_size: int = 32, optimizer: Any = None, seed: int | None = None,
          callbacks: Iterable[keras.callbacks.Callback] | None = None, shuffle: bool = True,
          learning_rate: float | None = None, clipnorm: float | None = None,
          clipvalue: float | None = None) -> keras.callbacks.History:
    """Train ``model`` in place as ``model.fit(x, y, batch_size, epochs, validation_data=
    test_data)`` does, all epochs in one call of a compiled function (one call per epoch when
    callbacks are given); return the Keras History.

    ``callbacks`` get fit's train and epoch hooks (batch and test hooks are refused) and may
    change the weights or stop training. A compiled model keeps its settings unless an
    optimizer setting is given; else BinaryCrossentropy, accuracy, :func:`resolve_optimizer`'s
    optimizer. Epoch e visits the rows in the order of the e-th ``permutation(n)`` of
    ``np.random.default_rng([seed, 0x5EED])`` (seed None: drawn from NumPy's global generator)
    unless not ``shuffle``.
    Refuses bad data, a model expecting other features and bad settings."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    n_in = model.inputs[0].shape[-1] if getattr(model, "inputs", None) else None
    (x_tr, y_tr), (x_te, y_te) = (check_data(name, data, n_in) for name, data in (
        ("train_data", train_data), ("test_data", test_data)))
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = min(check_int("batch_size", batch_size, minimum=1), len(x_tr))
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
    seed = check_int("seed", int(np.random.randint(0, 2**31 - 1)) if seed is None else seed,
                     minimum=0, maximum=2**32 - 1)
    callbacks = _check_callbacks(callbacks)
    if not model.compiled or any(v is not None for v in (optimizer, learning_rate, clipnorm,
                                                         clipvalue)):
        model.compile(optimizer=resolve_optimizer(optimizer, learning_rate, clipnorm, clipvalue),
                      loss=keras.losses.BinaryCrossentropy(), metrics=["accuracy"])
    model.test_step((x_te[:1], y_te[:1]))  # builds the compiled loss and metrics, eagerly
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    x_tr, y_tr, x_te, y_te = (tf.constant(a) for a in (x_tr, y_tr, x_te, y_te))
    n, steps, names = len(x_tr), math.ceil(len(x_tr) / batch_size), []

    @tf.function
    def run(orders):  # [k, n]: k epochs, each with its row order; returns their logs, [k, keys]
        out = tf.TensorArray(tf.float64, size=tf.shape(orders)[0])
        for e in tf.range(tf.shape(orders)[0]):
            model.reset_metrics()
            for i in tf.range(steps):
                rows = orders[e, i * batch_size:(i + 1) * batch_size]
                model.train_step((tf.gather(x_tr, rows), tf.gather(y_tr, rows)))
            logs = model.get_metrics_result()  # in fit's order: training, then validation
            model.reset_metrics()
            logs |= {f"val_{k}": v for k, v in model.test_step((x_te, y_te)).items()}
            names[:] = logs
            out = out.write(e, tf.stack([tf.cast(v, tf.float64) for v in logs.values()]))
        return out.stack()

    run = run.get_concrete_function(tf.TensorSpec([None, n], tf.int32))  # traced once
    rng = np.random.default_rng([seed, 0x5EED])
    orders = np.stack([rng.permutation(n) if shuffle else np.arange(n) for _ in range(epochs)])
    per_call = 1 if callbacks else epochs  # callbacks see (and may change) every epoch's end
    hooks = keras.callbacks.CallbackList(callbacks, add_history=True, model=model,
                                         epochs=epochs, steps=steps, verbose=0)
    model.stop_training, logs = False, {}
    hooks.on_train_begin()
    for epoch in range(epochs):
        hooks.on_epoch_begin(epoch)
        if epoch % per_call == 0:
            rows = iter(run(tf.constant(orders[epoch:epoch + per_call], tf.int32)).numpy())
        logs = dict(zip(names, next(rows).tolist()))
        hooks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    hooks.on_train_end(logs)
    return model.history  # set by the History callback, as under fit


def train_many(config: MLPConfig | int | None = None, *args: Any,
               seeds: Iterable[int] = range(20), epochs: int = 500,
               train_data: tuple | None = None, test_data: tuple | None = None,
               kernel_l1: bool = False, **changes: Any) -> pd.DataFrame:
    """Train ``MLPConfig.of(config, *args, **changes)`` once per seed, all seeds at once, each
    as ``seed_everything(s); train(build_mlp(config), ..., seed=s)`` would (same batch order
    and maths) on ``load_circles()`` unless data are given. One row per seed: ``depth``,
    ``width``, ``activation``, ``initializer``, ``optimizer`` (``"sgd"`` or ``"adam"``),
    ``learning_rate`` (as used), ``batch_norm``, ``residual``, ``epochs``, ``seed``, final
    ``train_``/``test_accuracy`` and ``_loss``, ``learned`` (test accuracy >=
    :data:`LEARNED_THRESHOLD`), ``history`` and with ``kernel_l1`` the kernels' L1 norms
    [epochs + 1, layers] (before training, after every epoch). Refuses what :class:`MLPConfig`
    refuses, empty or repeated seeds and optimizers other than SGD and Adam. Like
    ``seed_everything`` and ``build_mlp``, it leaves the global seeds as the last seed set them;
    it also clears the Keras session (layer-name counters and a dtype policy set by hand)."""
    c = MLPConfig.of(config, *args, **changes)
    seed_list, epochs = check_seeds(seeds), check_int("epochs", epochs, minimum=1)
    if not isinstance(kernel_l1, bool):
        raise TypeError(f"kernel_l1 must be True or False, got {kernel_l1!r}")
    opt = resolve_optimizer(c.optimizer, c.learning_rate, c.clipnorm, c.clipvalue)
    opt_config = opt.get_config()
    if type(opt) not in (keras.optimizers.SGD, keras.optimizers.Adam) or opt_config.get(
            "global_clipnorm"):
        raise ValueError("optimizer: train_many runs SGD or Adam (without global_clipnorm), "
                         f"got {type(opt).__name__}; use train for others")
    clipnorm = opt_config.pop("clipnorm")  # applied below, per model
    opt = type(opt).from_config({**opt_config, "clipnorm": None})  # a fresh optimizer
    if (train_data is None) != (test_data is None):
        raise ValueError("give both train_data and test_data, or neither")
    if train_data is None:
        train_data, test_data = load_circles()
    (x_tr, y_tr), (x_te, y_te) = check_data("train_data", train_data), check_data("test_data",
                                                                                  test_data)
    models = []
    for s in seed_list:
        seed_everything(s)
        models.append(build_mlp(c, n_inputs=x_tr.shape[1]))
    net = StackedMLP(c, models)
    del models
    keras.backend.clear_session(free_memory=False)

    def loss_and_hits(y, z):  # per model: mean cross-entropy [S], 0/1 hits [S, B], as Keras
        y = tf.broadcast_to(y, tf.shape(z))
        ce = keras.losses.binary_crossentropy(y, z, from_logits=True)
        return tf.reduce_mean(ce, axis=1), keras.metrics.binary_accuracy(y, tf.sigmoid(z))[..., 0]

    n, n_seeds, bsz = len(x_tr), len(seed_list), min(c.batch_size, len(x_tr))
    steps = math.ceil(n / bsz)
    x_tr, y_tr, x_te, y_te = (tf.constant(a) for a in (x_tr, y_tr, x_te, y_te))

    @tf.function
    def run(orders):  # [k, S, n]: k epochs, a row order per model; returns [k, 4, S] logs
        out = tf.TensorArray(x_tr.dtype, size=tf.shape(orders)[0])
        for e in tf.range(tf.shape(orders)[0]):
            loss_sum = hit_sum = tf.zeros([n_seeds], x_tr.dtype)
            for i in tf.range(steps):
                rows = orders[e, :, i * bsz:(i + 1) * bsz]
                with tf.GradientTape() as tape:
                    loss, hits = loss_and_hits(tf.gather(y_tr, rows),
                                               net(tf.gather(x_tr, rows), training=True))
                    total = tf.reduce_sum(loss)  # the models are independent: sum their losses
                grads = tape.gradient(total, net.trainable_variables)
                if clipnorm is not None:  # Keras' clipnorm op, for every stacked model alone
                    grads = [tf.clip_by_norm(g, clipnorm, axes=list(range(1, g.shape.rank)))
                             for g in grads]
                opt.apply(grads, net.trainable_variables)
                loss_sum += loss * tf.cast(tf.shape(rows)[1], x_tr.dtype)
                hit_sum += tf.reduce_sum(hits, axis=1)
            val_loss, val_hits = loss_and_hits(y_te, net(x_te, training=False))
            out = out.write(e, tf.stack([loss_sum / n, hit_sum / n, val_loss,
                                         tf.reduce_mean(val_hits, 1)]))
        return out.stack()

    run = run.get_concrete_function(tf.TensorSpec([None, n_seeds, n], tf.int32))

    def kernel_norms():
        return np.stack([np.abs(d.kernel.numpy()).sum(axis=(1, 2)) for d in net.dense], axis=1)

    rngs = [np.random.default_rng([s, 0x5EED]) for s in seed_list]
    history, norms = [], [kernel_norms()] if kernel_l1 else []
    per_call = 1 if kernel_l1 else 100  # kernel norms are read after every epoch
    for start in range(0, epochs, per_call):
        orders = [[r.permutation(n) for r in rngs] for _ in range(min(per_call, epochs - start))]
        history.append(run(tf.constant(np.array(orders), tf.int32)).numpy())
        if kernel_l1:
            norms.append(kernel_norms())
    history = np.concatenate(history)  # [epochs, 4, S]
    final = [loss_and_hits(y, net(x, training=False)) for x, y in ((x_tr, y_tr), (x_te, y_te))]
    (tr_loss, tr_hits), (te_loss, te_hits) = [(loss.numpy(), tf.reduce_mean(hits, 1).numpy())
                                              for loss, hits in final]
    return pd.DataFrame([{
        "depth": c.depth, "width": c.width, "activation": c.activation,
        "initializer": c.initializer,
        "optimizer": type(opt).__name__.lower(), "learning_rate": float(opt.learning_rate),
        "batch_norm": c.batch_norm, "residual": c.residual, "epochs": epochs, "seed": s,
        "train_accuracy": float(tr_hits[j]), "test_accuracy": float(te_hits[j]),
        "train_loss": float(tr_loss[j]), "test_loss": float(te_loss[j]),
        "learned": bool(te_hits[j] >= LEARNED_THRESHOLD),
        "history": {k: history[:, i, j].copy() for i, k in enumerate(HISTORY_KEYS)},
        **({"kernel_l1": np.stack(norms)[:, j]} if kernel_l1 else {}),
    } for j, s in enumerate(seed_list)])
