"""Per-layer gradients and activations of Keras models: a monitoring callback
(:class:`GradientMonitor`, with optional TensorBoard logs) and a one-call health check
(:func:`diagnose`). Replaces the ``TensorBoard(write_grads=True)`` that Keras 3 refuses."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import math
import os
import re
from collections.abc import Sequence

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers._validate import check_xy
from helpers.models import activation_name

# --------------------------------------------------------------------------- thresholds
# Rules of thumb, not laws. Sources: CS231n "Neural Networks Part 3" (Karpathy), section
# "Babysitting the learning process" (ratio of updates to weights about 1e-3; dead ReLUs);
# Karpathy, "Building makemore Part 3: Activations & Gradients, BatchNorm" (2022) (share of
# tanh activations with |t| > 0.97); Glorot & Bengio (2010) "Understanding the difficulty of
# training deep feedforward neural networks" (saturated top hidden layers; back-propagated
# gradients shrinking towards the input layers). The numeric cut-offs below were chosen
# after measuring this course's models over many seeds (see notebook 05), so they separate
# the tutorial's deep tanh U(0, 1) network from the 5-layer ReLU + He network.

#: A tanh unit is saturated when |a| > this (makemore part 3; tanh'(a) = 1 - a^2 < 0.06).
TANH_SATURATION = 0.97
#: A sigmoid unit is saturated when a < 1 - this or a > this (same slope argument).
SIGMOID_SATURATION = 0.97
#: Healthy size of one update step relative to the weights (CS231n: "somewhere around 1e-3").
UPDATE_RATIO_TARGET = 1e-3
#: "vanishing" when some hidden layer's mean |kernel gradient| is below this fraction of the
#: output layer's (Glorot & Bengio 2010, fig. 7: back-propagated gradients shrink layer by
#: layer). Measured on this course's 5x5 models at initialization, 30 seeds each: the weakest
#: hidden layer of tanh + U(0, 1) got 0.0013 to 0.012 of the output layer's gradient, of
#: ReLU + He 0.032 to 0.50, of tanh + Glorot 0.038 to 1.0.
VANISHING_RATIO = 0.02
#: "exploding" when some hidden layer's mean |kernel gradient| is above this multiple of the
#: output layer's, or any gradient is not finite (healthy trained models here: at most ~7).
EXPLODING_RATIO = 100.0
#: ... or when any layer's mean |kernel gradient| exceeds this absolute size: with inputs in
#: [-1, 1] and a loss near log 2, healthy layers here stay below ~1, while a network whose
#: every layer amplifies the signal has huge gradients in all layers at once (so the ratio
#: to the output layer stays unremarkable; notebook 09 shows such a network).
EXPLODING_ABS = 10.0
#: "saturated" when more than this share of a hidden tanh/sigmoid layer's activations on the
#: batch are saturated (makemore part 3 already worries at a few percent; we flag clear
#: cases: tanh + U(0, 1) at init 0.44 to 0.95 in its worst layer, tanh + Glorot after 500
#: epochs of training at most 0.41).
SATURATED_SHARE = 0.5
#: "dead_units" when more than this share of all hidden ReLU units output 0 for every input
#: of the batch (CS231n: "as much as 40% of your network can be dead"), or when every unit
#: of a hidden layer is dead (nothing passes: the output is constant; Lu et al. 2020). A
#: single layer of a width-5 net often loses 3 of 5 units and still learns, so one layer
#: alone is not enough (ReLU + He here: network-wide share at most 0.36 over 60 seeds).
DEAD_SHARE = 0.4

FINDING_KINDS = ("vanishing", "exploding", "saturated", "dead_units")

_SATURATING = ("tanh", "sigmoid")
_DYING = ("relu", "relu6")

# Order of the per-layer numbers the compiled probe returns.
_STATS = ("kernel_grad_mean_abs", "kernel_grad_norm", "bias_grad_mean_abs", "bias_grad_norm",
          "kernel_l1", "bias_l1", "kernel_update_ratio", "bias_update_ratio",
          "act_mean", "act_std", "saturated_share", "dead_share")
_S = {name: i for i, name in enumerate(_STATS)}


# --------------------------------------------------------------------------- model access


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """Return the Dense layers of a built Keras model, in order.

    Refuses (TypeError) anything that is not a ``keras.Model``, and (ValueError) a model
    that is not built, has no Dense layer, has no symbolic inputs (a subclassed model), or
    has more than one output.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError("model is not built: start it with keras.Input(shape=(n_features,)) "
                         "or call it once on data")
    layers = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
    if not layers:
        kinds = sorted({type(lay).__name__ for lay in model.layers})
        raise ValueError(f"model has no Dense layers (it has {kinds}); gradient inspection "
                         "here looks at Dense layers")
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError("model has no symbolic inputs (a subclassed model?): build it with "
                         "keras.Input (Sequential or functional API)")
    if len(inputs) != 1:
        raise ValueError(f"model must have one input, got {len(inputs)}")
    if len(model.outputs) != 1:
        raise ValueError(f"model must have one output, got {len(model.outputs)}")
    return layers


def _check_batch(model: keras.Model, x: object, y: object, what: str):
    x, y = check_xy(x, y, what=what)
    n_in = model.inputs[0].shape[-1]
    if n_in is not None and x.shape[1] != n_in:
        raise ValueError(f"{what}: x has {x.shape[1]} features but the model expects {n_in}")
    n_out = model.outputs[0].shape[-1]
    if n_out != 1:
        raise ValueError(f"{what}: the model must output one probability per row "
                         f"(Dense(1, 'sigmoid')), its output has {n_out} columns")
    return tf.constant(x), tf.constant(y)


# --------------------------------------------------------------------------- the probe


def _ratio(num: tf.Tensor, den: tf.Tensor) -> tf.Tensor:
    """num / den, NaN where den is 0 (e.g. biases that start at zero)."""
    return tf.where(den > 0, num / tf.where(den > 0, den, 1.0), math.nan)


def _pairs(flat: Sequence[tf.Tensor], has_bias: Sequence[bool]) -> list[tuple]:
    """[kernel, bias, kernel, ...] -> [(kernel, bias or None), ...] per layer."""
    out, i = [], 0
    for b in has_bias:
        out.append((flat[i], flat[i + 1] if b else None))
        i += 2 if b else 1
    return out


def layer_stats(kinds: Sequence[str], outputs: Sequence[tf.Tensor],
                grads: Sequence[tuple], weights: Sequence[tuple],
                previous: Sequence[tuple] | None = None) -> tf.Tensor:
    """Return the per-layer numbers of :class:`GradientMonitor`: a float32 tensor
    [n_layers, 12], columns in the order of ``_STATS``.

    Per Dense layer: ``kinds`` its activation's name, ``outputs`` its output on the batch
    [rows, units]; ``grads``, ``weights`` and ``previous`` one ``(kernel, bias or None)``
    pair each: the loss gradient, the weights now and the weights one epoch earlier
    (``previous=None``: update ratios NaN). Used by the Keras-side probe and, inside its
    compiled loop, by :func:`helpers.training.train`, so both give the same numbers.
    """
    dtype = outputs[0].dtype
    nan = tf.constant(math.nan, dtype)
    rows = []
    for i, kind in enumerate(kinds):
        (gk, gb), (k, b) = grads[i], weights[i]
        if b is not None:
            b_stats = [tf.reduce_mean(tf.abs(gb)), tf.norm(gb), tf.reduce_sum(tf.abs(b))]
        else:
            b_stats = [nan, nan, nan]
        k_upd = b_upd = nan
        if previous is not None:
            pk, pb = previous[i]
            k_upd = _ratio(tf.norm(k - pk), tf.norm(pk))
            if b is not None:
                b_upd = _ratio(tf.norm(b - pb), tf.norm(pb))
        a = tf.cast(outputs[i], dtype)
        sat = dead = nan
        if kind == "tanh":
            sat = tf.reduce_mean(tf.cast(tf.abs(a) > TANH_SATURATION, dtype))
        elif kind == "sigmoid":
            sat = tf.reduce_mean(tf.cast((a > SIGMOID_SATURATION)
                                         | (a < 1.0 - SIGMOID_SATURATION), dtype))
        if kind in _DYING:
            dead = tf.reduce_mean(tf.cast(tf.reduce_all(a <= 0.0, axis=0), dtype))
        rows.append(tf.stack([
            tf.reduce_mean(tf.abs(gk)), tf.norm(gk), b_stats[0], b_stats[1],
            tf.reduce_sum(tf.abs(k)), b_stats[2], k_upd, b_upd,
            tf.reduce_mean(a), tf.math.reduce_std(a), sat, dead]))
    return tf.stack(rows)


#: Buckets per TensorBoard histogram (TensorBoard's default).
HISTOGRAM_BUCKETS = 30


def bucket_counts(values: tf.Tensor, buckets: int = HISTOGRAM_BUCKETS) -> tf.Tensor:
    """Return ``[min, max, count of bucket 1, ..., count of bucket k]`` (float32, exact for
    float32 data): all a TensorBoard histogram of ``values`` needs, small enough to record
    inside a training loop. :func:`buckets_from_counts` turns it into the histogram."""
    data = tf.cast(tf.reshape(values, [-1]), tf.float64)
    lo, hi = tf.reduce_min(data), tf.reduce_max(data)
    spread = hi - lo
    width = tf.where(spread > 0, spread, 1.0) / buckets
    index = tf.minimum(tf.cast(tf.floor((data - lo) / width), tf.int32), buckets - 1)
    counts = tf.reduce_sum(tf.one_hot(index, buckets, dtype=tf.float64), axis=0)
    return tf.cast(tf.concat([[lo, hi], counts], 0), values.dtype)


def buckets_from_counts(packed: tf.Tensor) -> tf.Tensor:
    """Return the float64 [k, 3] histogram (left edge, right edge, count) of
    :func:`bucket_counts`' output, exactly as ``tf.summary.histogram`` computes it:
    equal-width buckets from the minimum to the maximum; when all values are equal, every
    edge at that value and all counts in the last bucket."""
    packed = tf.cast(packed, tf.float64)
    lo, hi, counts = packed[0], packed[1], packed[2:]
    k = tf.shape(counts)[0]
    edges = tf.concat([tf.linspace(lo, hi, k + 1)[:-1], [hi]], 0)
    single = tf.concat([tf.zeros([k - 1], tf.float64), [tf.reduce_sum(counts)]], 0)
    return tf.where(hi > lo,
                    tf.stack([edges[:-1], edges[1:], counts], axis=1),
                    tf.stack([tf.fill([k], hi), tf.fill([k], hi), single], axis=1))


def _write_histogram(tag: str, buckets: tf.Tensor, step) -> None:
    """Write a [k, 3] histogram (:func:`buckets_from_counts`) as a TensorBoard summary
    under exactly ``tag`` (``tf.summary.histogram`` would prefix a loop's name scope)."""
    from tensorboard.plugins.histogram import metadata

    tf.summary.write(tag, tf.cast(buckets, tf.float64), step=step,
                     metadata=metadata.create_summary_metadata(display_name=None,
                                                               description=None))


def _write_scalar(tag: str, value: tf.Tensor, step) -> None:
    """Write a float32 scalar summary under exactly ``tag``, like ``tf.summary.scalar``."""
    from tensorboard.plugins.scalar import metadata

    tf.summary.write(tag, tf.cast(value, tf.float32), step=step,
                     metadata=metadata.create_summary_metadata(display_name=None,
                                                               description=None))


class _Probe:
    """One compiled function that returns every per-layer number for a batch at once."""

    def __init__(self, model: keras.Model, track_updates: bool = False,
                 writer: tf.summary.SummaryWriter | None = None, compiled: bool = True):
        self.layers = dense_layers(model)
        self.names = [lay.name for lay in self.layers]
        self.kinds = [activation_name(lay) for lay in self.layers]
        self._extract = keras.Model(model.inputs[0],
                                    [lay.output for lay in self.layers] + list(model.outputs))
        self._loss = keras.losses.BinaryCrossentropy()
        self._vars = [v for lay in self.layers for v in (lay.kernel, lay.bias)
                      if v is not None]
        self._has_bias = [lay.bias is not None for lay in self.layers]
        self._prev = ([tf.Variable(v.value, trainable=False) for v in self._vars]
                      if track_updates else None)
        self._writer = writer
        if compiled:
            # A fresh closure per probe: TensorFlow's "frequent retracing" warning counts
            # calls per Python function, and a bound method would be shared by all probes.
            def compute(x, y, step):
                return self._compute(x, y, step)
            self._fn = tf.function(compute)
        else:
            self._fn = self._compute

    def reset_updates(self) -> None:
        if self._prev is not None:
            for p, v in zip(self._prev, self._vars):
                p.assign(v.value)

    def __call__(self, x: tf.Tensor, y: tf.Tensor, step: int = 0) -> np.ndarray:
        """Return an array [n_layers, len(_STATS)] and the loss."""
        out, loss = self._fn(x, y, tf.constant(step, tf.int64))
        return np.array(out), float(loss)

    def _compute(self, x, y, step):
        with tf.GradientTape() as tape:
            outs = self._extract(x, training=False)
            loss = self._loss(y, outs[-1])
        grads = tape.gradient(loss, self._vars)
        grads = [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                 for g, v in zip(grads, self._vars)]
        grad_pairs = _pairs(grads, self._has_bias)
        now = [tf.convert_to_tensor(v) for v in self._vars]
        result = layer_stats(self.kinds, outs[:len(self.layers)], grad_pairs,
                             _pairs(now, self._has_bias),
                             None if self._prev is None
                             else _pairs([tf.convert_to_tensor(p) for p in self._prev],
                                         self._has_bias))
        kernel_grads = [g for g, _ in grad_pairs]
        if self._prev is not None:
            for p, v in zip(self._prev, self._vars):
                p.assign(tf.convert_to_tensor(v))
        if self._writer is not None:
            with self._writer.as_default(step=step):
                for i, name in enumerate(self.names):
                    tf.summary.histogram(f"{name}/kernel_gradient", kernel_grads[i])
                    tf.summary.histogram(f"{name}/activation", outs[i])
                    tf.summary.scalar(f"{name}/kernel_grad_mean_abs", result[i, 0])
                    tf.summary.scalar(f"{name}/bias_grad_mean_abs", result[i, 2])
                tf.summary.scalar("loss_on_monitor_batch", loss)
        return result, loss


def _write_logs(writer, names: Sequence[str], stats: np.ndarray, losses: np.ndarray,
                grad_counts: np.ndarray, act_counts: np.ndarray) -> None:
    """Write the TensorBoard summaries of a whole run computed inside helpers.training's
    loop (the same tags and values the per-epoch probe writes), in one compiled call."""
    @tf.function
    def write_all(stats, losses, grad_counts, act_counts):
        with writer.as_default():
            for e in tf.range(tf.shape(stats)[0]):
                step = tf.cast(e, tf.int64)
                for i, name in enumerate(names):
                    _write_histogram(f"{name}/kernel_gradient",
                                     buckets_from_counts(grad_counts[e, i]), step)
                    _write_histogram(f"{name}/activation",
                                     buckets_from_counts(act_counts[e, i]), step)
                    _write_scalar(f"{name}/kernel_grad_mean_abs", stats[e, i, 0], step)
                    _write_scalar(f"{name}/bias_grad_mean_abs", stats[e, i, 2], step)
                _write_scalar("loss_on_monitor_batch", losses[e], step)

    write_all(*(tf.constant(a, tf.float32) for a in (stats, losses, grad_counts, act_counts)))


# --------------------------------------------------------------------------- the callback


_RUN_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def _new_run_dir(log_dir: str | os.PathLike, run_name: str | None, default: str) -> str:
    """Create and return a NEW sub-folder of ``log_dir``; never reuses an existing one."""
    base = run_name if run_name is not None else default
    os.makedirs(log_dir, exist_ok=True)
    for i in range(1, 1000):
        name = base if i == 1 else f"{base}-{i}"
        path = os.path.join(log_dir, name)
        try:
            os.mkdir(path)  # atomic: fails if someone else created it first
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"log_dir already holds runs {base!r} to {base}-999; "
                          "pick another run_name")


class GradientMonitor(keras.callbacks.Callback):
    """Record per-layer gradients, weights and activations on a fixed batch every epoch.

    ``GradientMonitor(x, y)`` keeps ``(x, y)`` (e.g. the training set) and, for every Dense
    layer, records on that batch: the mean |gradient| and the L2 norm of the gradient of the
    kernel and of the bias (loss: ``keras.losses.BinaryCrossentropy`` on the model's
    output, as in training); the L1 norm of the weights; the update-to-weight ratio
    ``||W_now - W_before|| / ||W_before||`` over the last epoch (and divided by the number of
    steps per epoch); the mean and standard deviation of the layer's outputs; the share of
    saturated activations (tanh: |a| > 0.97; sigmoid: a < 0.03 or a > 0.97; NaN for other
    activations); the share of dead units (ReLU: output 0 for every row of the batch; NaN
    for other activations).

    Epoch numbering: row ``epoch=0`` is recorded at ``on_train_begin`` (the weights before
    training, update ratio NaN); row ``epoch=e`` after the e-th epoch (Keras' epoch index
    plus one, so ``fit(initial_epoch=k)`` numbers them from k + 1). Each new training run
    (``fit`` / ``train`` call) starts a new table; keep ``monitor.table`` first if needed.

    Works with ``model.fit(..., callbacks=[monitor])`` and
    ``helpers.training.train(..., callbacks=[monitor])``; the numbers depend only on the
    weights. With ``model.fit`` the per-epoch work is one compiled ``tf.function`` call;
    ``train`` (with the monitor as its only callback) computes the same numbers inside its
    own compiled training loop, which costs far less, and writes the TensorBoard logs (same
    tags and values) when training ends.

    ``log_dir``: also write TensorBoard summaries into a new sub-folder
    ``<log_dir>/<run_name>`` (default run name: model name plus a timestamp; if the folder
    exists, ``-2``, ``-3``... is appended: earlier runs are never overwritten). Written per
    epoch: a histogram of every Dense kernel's gradient and of its activations
    (``<layer>/kernel_gradient``, ``<layer>/activation``) and scalars of the mean |gradient|
    (``<layer>/kernel_grad_mean_abs``, ``<layer>/bias_grad_mean_abs``). ``monitor.run_dir``
    is the folder of the latest run.

    Refuses x/y of the wrong shape or length (ValueError/TypeError); the model is checked at
    ``on_train_begin`` (see :func:`dense_layers`).
    """

    #: Read-only: helpers.training.train need not read the weights back after each epoch.
    changes_weights = False

    def __init__(self, x: object, y: object, log_dir: str | os.PathLike | None = None,
                 run_name: str | None = None):
        super().__init__()
        self._x, self._y = check_xy(x, y, what="GradientMonitor batch")
        if log_dir is not None and not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"log_dir must be a path (str) or None, got {type(log_dir).__name__}")
        if run_name is not None and (not isinstance(run_name, str)
                                     or not _RUN_NAME.match(run_name)):
            raise ValueError("run_name must be a non-empty string of letters, digits, "
                             f"'.', '_' or '-', got {run_name!r}")
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.run_name = run_name
        self.run_dir: str | None = None
        self._records: list[tuple[int, np.ndarray, float]] = []
        self._probe: _Probe | None = None
        self._writer = None
        self._steps: int | None = None
        self._names: list[str] = []
        self._kinds: list[str] = []
        self._in_engine = False

    # helpers.training.train ------------------------------------------------------------
    def engine_batch(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """For :func:`helpers.training.train`: return ``(x, y, histograms)``, the batch on
        which the trainer computes this monitor's numbers inside its compiled loop (same
        maths, see :func:`layer_stats`; with ``histograms`` also the bucket counts of the
        TensorBoard histograms) to hand them to :meth:`engine_results`; ``on_epoch_end``
        is then not called. Checks the batch against ``self.model``."""
        dense_layers(self.model)
        x, y = _check_batch(self.model, self._x, self._y, "GradientMonitor batch")
        self._in_engine = True
        return x.numpy(), y.numpy(), self.log_dir is not None

    def engine_results(self, records: np.ndarray) -> None:
        """Take the trainer's numbers: an array [epochs + 1, layers, 13 (+ 2 x 32)], row 0
        before training: the columns of :func:`layer_stats`, the loss on the batch and,
        with TensorBoard logs, :func:`bucket_counts` of each kernel gradient and layer
        output, which are written to the run's folder here."""
        n = len(_STATS)
        self._records = [(e, np.array(r[:, :n]), float(r[0, n])) for e, r in enumerate(records)]
        if self._writer is not None:
            k = (records.shape[2] - n - 1) // 2
            _write_logs(self._writer, self._names, records[:, :, :n], records[:, 0, n],
                        records[:, :, n + 1:n + 1 + k], records[:, :, n + 1 + k:])

    # Keras hooks ---------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        model = self.model
        self._records = []
        self._steps = (self.params or {}).get("steps")
        self._writer = None
        layers = dense_layers(model)  # refuses models it cannot inspect, before any folder
        if self.log_dir is not None:
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            self.run_dir = _new_run_dir(self.log_dir, self.run_name, f"{model.name}-{stamp}")
            self._writer = tf.summary.create_file_writer(self.run_dir)
        if self._in_engine:  # helpers.training.train computes the numbers (engine_batch)
            self._in_engine = False
            self._names = [lay.name for lay in layers]
            self._kinds = [activation_name(lay) for lay in layers]
            return
        xt, yt = _check_batch(model, self._x, self._y, "GradientMonitor batch")
        self._xt, self._yt = xt, yt
        self._probe = _Probe(model, track_updates=True, writer=self._writer)
        self._probe.reset_updates()
        self._names, self._kinds = self._probe.names, self._probe.kinds
        self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch + 1)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None

    def _record(self, epoch: int) -> None:
        stats, loss = self._probe(self._xt, self._yt, epoch)
        if not self._records:  # no previous epoch yet: no update to measure
            stats[:, [_S["kernel_update_ratio"], _S["bias_update_ratio"]]] = math.nan
        self._records.append((epoch, stats, loss))

    # Results -------------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        """Tidy DataFrame, one row per (epoch, layer, parameter) with parameter "kernel" or
        "bias". Columns: epoch, layer, depth (1 = first Dense layer), activation,
        parameter, grad_mean_abs, grad_norm, weight_l1, update_ratio,
        update_ratio_per_step, act_mean, act_std, saturated_share, dead_share, loss (on
        the monitor batch). Layer-level columns (act_*, *_share, loss) repeat on both rows."""
        cols = ["epoch", "layer", "depth", "activation", "parameter", "grad_mean_abs",
                "grad_norm", "weight_l1", "update_ratio", "update_ratio_per_step",
                "act_mean", "act_std", "saturated_share", "dead_share", "loss"]
        rows = []
        steps = self._steps or math.nan
        for epoch, stats, loss in self._records:
            for i, (name, kind) in enumerate(zip(self._names, self._kinds)):
                s = stats[i]
                layer_part = [s[_S["act_mean"]], s[_S["act_std"]], s[_S["saturated_share"]],
                              s[_S["dead_share"]], loss]
                for par in ("kernel", "bias"):
                    upd = s[_S[f"{par}_update_ratio"]]
                    rows.append([epoch, name, i + 1, kind, par,
                                 s[_S[f"{par}_grad_mean_abs"]], s[_S[f"{par}_grad_norm"]],
                                 s[_S[f"{par}_l1"]], upd, upd / steps, *layer_part])
        df = pd.DataFrame(rows, columns=cols)
        for c in cols[5:]:
            df[c] = df[c].astype(float)
        return df


# --------------------------------------------------------------------------- diagnosis


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem found by :func:`diagnose`: ``kind`` (one of FINDING_KINDS), the layer
    concerned (None for the whole network), a one-line explanation and a suggested fix."""

    kind: str
    layer: str | None
    message: str
    fix: str

    def __str__(self) -> str:
        where = f" [{self.layer}]" if self.layer else ""
        return f"{self.kind}{where}: {self.message} Try: {self.fix}"

    def to_html(self) -> str:
        """The finding as one HTML list item (``<li>...</li>``), text escaped."""
        where = f" [{html.escape(self.layer)}]" if self.layer else ""
        return (f"<li><b>{html.escape(self.kind)}</b>{where}: "
                f"{html.escape(self.message)} <i>Try:</i> {html.escape(self.fix)}</li>")


@dataclasses.dataclass(frozen=True, repr=False)
class Diagnosis:
    """What :func:`diagnose` found. ``table``: one row per Dense layer; ``first_to_output_ratio``:
    first hidden layer's mean |kernel gradient| over the output layer's; ``findings``: list
    of :class:`Finding` (empty: healthy); ``loss`` on the batch."""

    table: pd.DataFrame
    first_to_output_ratio: float
    findings: list[Finding]
    loss: float
    model_name: str

    @property
    def healthy(self) -> bool:
        """True when there are no findings."""
        return not self.findings

    @property
    def kinds(self) -> list[str]:
        """The distinct kinds of the findings, in the order of FINDING_KINDS."""
        found = {f.kind for f in self.findings}
        return [k for k in FINDING_KINDS if k in found]

    def _summary_frame(self) -> pd.DataFrame:
        t = self.table
        return pd.DataFrame({
            "activation": t["activation"].to_numpy(),
            "mean |grad|": [f"{v:.3g}" for v in t["grad_mean_abs"]],
            "vs output": [f"{v:.3g}" for v in t["grad_vs_output"]],
            "saturated": ["-" if np.isnan(v) else f"{v:.0%}" for v in t["saturated_share"]],
            "dead": ["-" if np.isnan(v) else f"{v:.0%}" for v in t["dead_share"]],
        }, index=pd.Index(t["layer"].to_numpy(), name="layer"))

    def _headline(self) -> str:
        state = "healthy" if self.healthy else ", ".join(self.kinds)
        return (f"Diagnosis of {self.model_name}: {state} (first/output gradient ratio "
                f"{self.first_to_output_ratio:.3g}, loss {self.loss:.3f})")

    def __repr__(self) -> str:
        lines = [self._headline(), self._summary_frame().to_string()]
        if self.findings:
            lines.append("Findings:")
            lines += [f"- {f}" for f in self.findings]
        else:
            lines.append("No findings.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<p><b>{html.escape(self._headline())}</b></p>",
                 self._summary_frame().to_html()]
        if self.findings:
            items = "".join(f.to_html() for f in self.findings)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append("<p>No findings.</p>")
        return "\n".join(parts)


_FIXES = {
    "vanishing": "an initializer matched to the activation (glorot_uniform for tanh, "
                 "he_uniform for ReLU), ReLU activations, fewer layers, or batch normalization",
    "exploding": "inputs scaled to about [-1, 1], a smaller learning rate, gradient "
                 "clipping (clipnorm=1.0), or a variance-preserving initializer (Glorot/He)",
    "saturated": "zero-centred weights with Glorot scale (glorot_uniform), inputs scaled to "
                 "about [-1, 1], or ReLU activations",
    "dead_units": "he_uniform weights, a smaller learning rate, fewer or wider layers, or "
                  "leaky_relu",
}


def diagnose(model: keras.Model, x: object, y: object) -> Diagnosis:
    """Check a built Keras model's gradients and activations on the batch ``(x, y)``.

    Computes, for every Dense layer, the mean |kernel gradient| of the binary
    cross-entropy, the share of saturated (tanh/sigmoid) activations and of dead (ReLU)
    units, and returns a :class:`Diagnosis` whose ``findings`` may contain:

    - ``"vanishing"``: a hidden layer whose gradient is below :data:`VANISHING_RATIO` times
      the output layer's;
    - ``"exploding"``: a hidden layer above :data:`EXPLODING_RATIO` times the output
      layer's, or a non-finite gradient;
    - ``"saturated"``: a hidden tanh/sigmoid layer with more than :data:`SATURATED_SHARE`
      of its activations saturated;
    - ``"dead_units"``: more than :data:`DEAD_SHARE` of all hidden ReLU units dead on the
      whole batch, or a hidden layer with all its units dead.

    The output layer (the last Dense layer) is left out of the saturation and dead-unit
    checks: a confident classifier's sigmoid is meant to saturate. The model is not changed.
    Refuses (TypeError/ValueError) a non-model, an unbuilt model, a model without Dense
    layers or with several outputs, and x/y of the wrong shape, length or labels.
    """
    layers = dense_layers(model)
    xt, yt = _check_batch(model, x, y, "diagnose data")
    probe = _Probe(model, compiled=False)  # one call: eager is faster than tracing
    stats, loss = probe(xt, yt)
    g = stats[:, _S["kernel_grad_mean_abs"]]
    out_g = g[-1]
    # NaN when the output layer gets no gradient at all (e.g. everything before it is dead)
    rel = g / out_g if out_g > 0 else np.full_like(g, math.nan)
    ratio = float(rel[0]) if len(layers) > 1 else 1.0
    table = pd.DataFrame({
        "layer": probe.names,
        "activation": probe.kinds,
        "units": [lay.units for lay in layers],
        "grad_mean_abs": g,
        "grad_norm": stats[:, _S["kernel_grad_norm"]],
        "bias_grad_mean_abs": stats[:, _S["bias_grad_mean_abs"]],
        "grad_vs_output": rel,
        "act_mean": stats[:, _S["act_mean"]],
        "act_std": stats[:, _S["act_std"]],
        "saturated_share": stats[:, _S["saturated_share"]],
        "dead_share": stats[:, _S["dead_share"]],
    })

    findings: list[Finding] = []
    hidden = table.iloc[:-1]
    if not np.all(np.isfinite(stats[:, :4])):
        findings.append(Finding("exploding", None, "some gradients are NaN or infinite.",
                                _FIXES["exploding"]))
    elif hidden["grad_vs_output"].notna().any():  # NaN: the output layer got no gradient
        weak = hidden.loc[hidden["grad_vs_output"].idxmin()]
        strong = hidden.loc[hidden["grad_vs_output"].idxmax()]
        if weak["grad_vs_output"] < VANISHING_RATIO:
            findings.append(Finding(
                "vanishing", weak["layer"],
                f"its gradient is {weak['grad_vs_output']:.3g} of the output layer's (below "
                f"{VANISHING_RATIO:g}): it barely learns, nor do the layers it feeds "
                "back into.", _FIXES["vanishing"]))
        if strong["grad_vs_output"] > EXPLODING_RATIO:
            findings.append(Finding(
                "exploding", strong["layer"],
                f"its gradient is {strong['grad_vs_output']:.3g} times the output layer's "
                f"(above {EXPLODING_RATIO:g}): updates grow towards the input.",
                _FIXES["exploding"]))
    if ("exploding" not in {f.kind for f in findings}
            and np.nanmax(table["grad_mean_abs"].to_numpy()) > EXPLODING_ABS):
        big = table.loc[table["grad_mean_abs"].idxmax()]
        findings.append(Finding(
            "exploding", big["layer"],
            f"its mean |gradient| is {big['grad_mean_abs']:.3g} (above {EXPLODING_ABS:g}): "
            "one SGD step would move the weights far beyond their size.",
            _FIXES["exploding"]))
    for _, row in hidden.iterrows():
        if not np.isnan(row["saturated_share"]) and row["saturated_share"] > SATURATED_SHARE:
            findings.append(Finding(
                "saturated", row["layer"],
                f"{row['saturated_share']:.0%} of its {row['activation']} activations are "
                "saturated (flat slope, so almost no gradient passes).", _FIXES["saturated"]))
    relu = hidden[hidden["dead_share"].notna()]
    if len(relu):
        share = float(np.average(relu["dead_share"], weights=relu["units"]))
        all_dead = relu[relu["dead_share"] >= 1.0]
        if len(all_dead):
            findings.append(Finding(
                "dead_units", all_dead["layer"].iloc[0],
                "every unit outputs 0 for every input: no signal or gradient passes, the "
                "model's output is constant.", _FIXES["dead_units"]))
        elif share > DEAD_SHARE:
            findings.append(Finding(
                "dead_units", None,
                f"{share:.0%} of the hidden ReLU units output 0 for every input (above "
                f"{DEAD_SHARE:.0%}): their weights never get a gradient.",
                _FIXES["dead_units"]))
    return Diagnosis(table=table, first_to_output_ratio=ratio, findings=findings,
                     loss=loss, model_name=model.name)


def layer_outputs(model: keras.Model, x: object,
                  pre_activation: bool = False) -> dict[str, np.ndarray]:
    """Return ``{layer name: array (n_rows, units)}`` for every Dense layer on inputs ``x``:
    the layer's outputs, or with ``pre_activation=True`` its pre-activations
    ``z = inputs @ kernel + bias``. Refuses what :func:`dense_layers` refuses and an ``x``
    that is not (n, n_features)."""
    layers = dense_layers(model)
    x, _ = check_xy(x, np.zeros(len(np.asarray(x))), what="layer_outputs data")
    n_in = model.inputs[0].shape[-1]
    if n_in is not None and x.shape[1] != n_in:
        raise ValueError(f"layer_outputs: x has {x.shape[1]} features but the model "
                         f"expects {n_in}")
    wanted = [lay.input if pre_activation else lay.output for lay in layers]
    values = keras.Model(model.inputs[0], wanted)(tf.constant(x), training=False)
    out = {}
    for lay, v in zip(layers, values):
        v = np.asarray(v)
        if pre_activation:
            v = v @ np.asarray(lay.kernel) + (0.0 if lay.bias is None else np.asarray(lay.bias))
        out[lay.name] = v
    return out


def layer_gradients(model: keras.Model, x: object, y: object) -> pd.DataFrame:
    """Return one row per Dense layer with the mean |kernel gradient| and the activation
    statistics on ``(x, y)`` (the table of :func:`diagnose`, without the findings)."""
    return diagnose(model, x, y).table


__all__: Sequence[str] = ("GradientMonitor", "diagnose", "Diagnosis", "Finding",
                          "dense_layers", "layer_gradients", "layer_outputs", "FINDING_KINDS",
                          "TANH_SATURATION", "SIGMOID_SATURATION", "UPDATE_RATIO_TARGET",
                          "VANISHING_RATIO", "EXPLODING_RATIO", "EXPLODING_ABS", "SATURATED_SHARE",
                          "DEAD_SHARE")
