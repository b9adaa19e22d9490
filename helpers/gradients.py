"""Per-layer gradients of a Keras model, and the words for what goes wrong with them.

:func:`layer_gradients` is the one computation (notebook 05's GradientTape); the monitor,
:func:`diagnose`, ``helpers.remedies`` and the lab use it. :func:`vanishing`, :func:`exploding`,
:func:`saturated`, :func:`dead_units` and :func:`dead_network` define each word once.
:class:`GradientMonitor` records per epoch, with TensorBoard histograms if asked (Keras 3
dropped ``TensorBoard(write_grads=True)``); :func:`diagnose` checks a model in one call.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import os
import re
from typing import NamedTuple

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers._validate import check_xy
from helpers.models import activation_name

# --------------------------------------------------------------------------- the words
# Rules of thumb, not laws: CS231n "Neural Networks Part 3" (Karpathy), "Babysitting the
# learning process" (update-to-weight ratio about 1e-3, dead ReLUs); Karpathy, "Building
# makemore Part 3" (2022) (tanh outputs with |t| > 0.97); Glorot & Bengio (2010). The ratios
# were chosen after measuring this course's 5 x 5 models over many seeds (notebook 05).

#: A tanh output ``a`` is saturated when ``|a| > TANH_SATURATION`` (tanh'(z) = 1 - a^2 < 0.06).
TANH_SATURATION = 0.97
#: A sigmoid output is saturated below ``1 - SIGMOID_SATURATION`` or above it.
SIGMOID_SATURATION = 0.97
#: Vanishing: the weakest hidden layer's gradient below this fraction of the output layer's.
#: Measured at initialization, 30 seeds: tanh + U(0, 1) 0.0013 to 0.012, ReLU + He 0.032 to
#: 0.50, tanh + Glorot 0.038 to 1.0.
VANISHING_RATIO = 0.02
#: Exploding: the strongest hidden layer's gradient above this multiple of the output layer's
#: (healthy trained models here: at most about 7) ...
EXPLODING_RATIO = 100.0
#: ... or any layer's mean |kernel gradient| above this (inputs in [-1, 1], loss near log 2:
#: healthy layers stay below about 1; a network whose every layer amplifies has huge gradients
#: everywhere, so its ratios stay unremarkable; notebook 09).
EXPLODING_ABS = 10.0
#: diagnose's "saturated" finding: more than this share of a hidden layer's outputs saturated
#: (tanh + U(0, 1) at init: 0.44 to 0.95 in its worst layer; tanh + Glorot trained: <= 0.41).
SATURATED_SHARE = 0.5
#: diagnose's "dead_units" finding: more than this share of all hidden ReLU units dead
#: (CS231n: "as much as 40% of your network can be dead"; ReLU + He here: at most 0.36).
DEAD_SHARE = 0.4
#: A network is dead when every unit of its last hidden layer varies less than this over the data.
DEAD_TOLERANCE = 1e-6

FINDING_KINDS = ("vanishing", "exploding", "saturated", "dead_units")


def _ratios(grads: np.ndarray) -> np.ndarray | None:
    """Per-layer gradient over the output layer's; None when not all finite or output is 0."""
    g = np.asarray(grads, dtype=float)
    if not np.all(np.isfinite(g)) or not g[-1] > 0:
        return None
    return g / g[-1]


def vanishing(grads: np.ndarray) -> int | None:
    """Return the index of the layer whose gradient vanishes, or None.

    ``grads``: each Dense layer's mean |kernel gradient|, input side first, output layer last.
    Rule: the weakest hidden layer gets less than :data:`VANISHING_RATIO` of the output
    layer's gradient (Glorot & Bengio 2010, fig. 7: gradients shrink layer by layer on their
    way back). None as well when a gradient is not finite or the output layer's is 0.
    """
    r = _ratios(grads)
    if r is None or len(r) < 2:
        return None
    i = int(np.argmin(r[:-1]))
    return i if r[i] < VANISHING_RATIO else None


def exploding(grads: np.ndarray) -> int | None:
    """Return the index of the layer whose gradient explodes, or None.

    ``grads`` as in :func:`vanishing`. Rule, first match: a gradient that is not finite
    (that layer); the strongest hidden layer above :data:`EXPLODING_RATIO` times the output
    layer's gradient (Pascanu, Mikolov & Bengio 2013); any layer above :data:`EXPLODING_ABS`
    (the largest): one SGD step would then move the weights far beyond their size.
    """
    g = np.asarray(grads, dtype=float)
    if not np.all(np.isfinite(g)):
        return int(np.argmin(np.isfinite(g)))
    r = _ratios(g)
    if r is not None and len(r) > 1 and r[:-1].max() > EXPLODING_RATIO:
        return int(np.argmax(r[:-1]))
    return int(np.argmax(g)) if g.max() > EXPLODING_ABS else None


def saturated(outputs: np.ndarray, activation: str) -> np.ndarray | None:
    """Return a boolean array, True where a layer's output is saturated, or None when the
    activation cannot saturate. tanh: ``|a| > TANH_SATURATION``; sigmoid: ``a`` outside
    ``[1 - SIGMOID_SATURATION, SIGMOID_SATURATION]``: the slope there is under 6% of its
    maximum, so almost no gradient passes (Karpathy, makemore part 3, 2022)."""
    a = np.asarray(outputs)
    if activation == "tanh":
        return np.abs(a) > TANH_SATURATION
    if activation == "sigmoid":
        return (a > SIGMOID_SATURATION) | (a < 1.0 - SIGMOID_SATURATION)
    return None


def dead_units(outputs: np.ndarray, activation: str) -> np.ndarray | None:
    """Return one boolean per unit (column of ``outputs``, rows = inputs), True for a dead
    unit, or None when the activation cannot die. A ReLU unit is dead when it outputs 0 for
    every input: its weights then get no gradient and never change (CS231n, "dying ReLU")."""
    if activation not in ("relu", "relu6"):
        return None
    return np.all(np.asarray(outputs) <= 0.0, axis=0)


def dead_network(features: np.ndarray, tol: float = DEAD_TOLERANCE) -> bool:
    """True when a network is dead: its last hidden layer's outputs ``features`` (rows =
    inputs) are the same for every input, each unit varying by less than ``tol``. Whatever
    the output layer does, the network then predicts one constant, and no gradient reaches
    the layers before the one that died (Lu et al. 2020, "Dying ReLU and initialization");
    for ReLU it happens when some hidden layer's units are all :func:`dead_units`."""
    f = np.asarray(features)
    return bool(np.ptp(f, axis=0).max() < tol)


# --------------------------------------------------------------------------- the computation


def dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    """Return the Dense layers of a built Keras model, in order.

    Refuses (TypeError) anything that is not a ``keras.Model``, and (ValueError) a model
    that is not built, has no Dense layer, has no symbolic inputs (a subclassed model), or
    has more than one input or output.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError("model is not built: start it with keras.Input(shape=(n_features,)) "
                         "or call it once on data")
    layers = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
    if not layers:
        raise ValueError(f"model has no Dense layers (it has "
                         f"{sorted({type(lay).__name__ for lay in model.layers})})")
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):  # a subclassed model
        inputs = None
    if not inputs:
        raise ValueError("model has no symbolic inputs (a subclassed model?): build it with "
                         "keras.Input (Sequential or functional API)")
    if len(inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"model must have one input and one output, got {len(inputs)} "
                         f"and {len(model.outputs)}")
    return layers


def _check_batch(model: keras.Model, x: object, y: object, what: str):
    x, y = check_xy(x, y, what=what)
    n_in = model.inputs[0].shape[-1]
    if n_in is not None and x.shape[1] != n_in:
        raise ValueError(f"{what}: x has {x.shape[1]} features but the model expects {n_in}")
    if model.outputs[0].shape[-1] != 1:
        raise ValueError(f"{what}: the model must output one probability per row "
                         f"(Dense(1, 'sigmoid')), its output has "
                         f"{model.outputs[0].shape[-1]} columns")
    return x, y


class LayerGradients(NamedTuple):
    """What :func:`layer_gradients` returns; lists have one entry per Dense layer."""

    loss: tf.Tensor            #: binary cross-entropy of the model on the batch
    kernel: list[tf.Tensor]    #: d loss / d kernel
    bias: list                 #: d loss / d bias (None for a layer without bias)
    outputs: list[tf.Tensor]   #: the layer's output on the batch, rows = inputs
    features: tf.Tensor        #: what the last Dense layer sees (the last hidden layer's output)


def layer_gradients(model: keras.Model, x, y, training: bool = False) -> LayerGradients:
    """Return the loss and the gradient of every Dense layer's kernel and bias on ``(x, y)``,
    with every Dense layer's output (a :class:`LayerGradients`).

    The computation of notebook 05: ``keras.losses.BinaryCrossentropy()`` of
    ``model(x, training=training)`` against ``y`` under a ``tf.GradientTape``, gradients with
    respect to each Dense layer's kernel and bias. ``training=True`` shows the gradients the
    first training step sees (batch normalization uses the batch's statistics); the moving
    averages that call updates are restored, so the model is left unchanged. Works eagerly
    and inside ``tf.function``. Refuses what :func:`dense_layers` refuses.
    """
    layers = dense_layers(model)
    probe = keras.Model(model.inputs[0], [lay.output for lay in layers]
                        + [layers[-1].input, model.outputs[0]])
    kept = [(v, tf.identity(v)) for v in model.non_trainable_variables] if training else []
    with tf.GradientTape() as tape:
        *outputs, features, out = probe(x, training=training)
        loss = keras.losses.BinaryCrossentropy()(tf.reshape(y, (-1, 1)), out)
    biases = [lay.bias for lay in layers if lay.bias is not None]
    grads = tape.gradient(loss, [lay.kernel for lay in layers] + biases)
    for var, value in kept:
        var.assign(value)
    grads = [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
             for g, v in zip(grads, [lay.kernel for lay in layers] + biases)]
    kernel, rest = grads[:len(layers)], iter(grads[len(layers):])
    bias = [None if lay.bias is None else next(rest) for lay in layers]
    return LayerGradients(loss, kernel, bias, outputs, features)


def kernel_gradients(model: keras.Model, x: object, y: object,
                     training: bool = False) -> dict[str, float]:
    """Return ``{Dense layer name: mean |d loss / d kernel|}`` on ``(x, y)``: notebook 05's
    ``kernel_gradients`` (see :func:`layer_gradients` for ``training``). Refuses x/y of the
    wrong shape, length or labels, and what :func:`dense_layers` refuses."""
    layers = dense_layers(model)
    g = layer_gradients(model, *_check_batch(model, x, y, "kernel_gradients data"),
                        training=training)
    return {lay.name: float(tf.reduce_mean(tf.abs(k))) for lay, k in zip(layers, g.kernel)}


def _mean_abs(t) -> float:
    return float(np.mean(np.abs(t))) if t is not None else np.nan


def _norm(t) -> float:
    return float(np.linalg.norm(t)) if t is not None else np.nan


@np.errstate(all="ignore")  # an exploded network gives inf and NaN: reported, not warned
def _layer_stats(layers: list, g: LayerGradients) -> list[dict[str, float]]:
    """Per Dense layer: the numbers the monitor and diagnose report (NaN where they do not
    apply: bias of a layer without one, saturation and dead units of other activations)."""
    rows = []
    for lay, k, b, a in zip(layers, g.kernel, g.bias, g.outputs):
        a = np.asarray(a)
        kind = activation_name(lay)
        sat, dead = saturated(a, kind), dead_units(a, kind)
        rows.append({"kernel_grad_mean_abs": _mean_abs(k), "kernel_grad_norm": _norm(k),
                     "bias_grad_mean_abs": _mean_abs(b), "bias_grad_norm": _norm(b),
                     "act_mean": float(a.mean()), "act_std": float(a.std()),
                     "saturated_share": np.nan if sat is None else float(sat.mean()),
                     "dead_share": np.nan if dead is None else float(dead.mean())})
    return rows


# --------------------------------------------------------------------------- the callback

_RUN_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def _new_run_dir(log_dir: str, run_name: str | None, default: str) -> str:
    """Create and return a NEW sub-folder of ``log_dir``; never reuses an existing one."""
    base = run_name if run_name is not None else default
    os.makedirs(log_dir, exist_ok=True)
    for i in range(1, 1000):
        path = os.path.join(log_dir, base if i == 1 else f"{base}-{i}")
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
    layer, records on it (with :func:`layer_gradients`, in inference mode): mean |gradient|
    and L2 norm of the kernel's and the bias' gradient; the L1 norm of the weights; the
    update-to-weight ratio ``||W_now - W_before|| / ||W_before||`` over the last epoch (and
    per step: divided by the steps per epoch; CS231n's rule of thumb is about 1e-3 per
    step); mean and standard deviation of the layer's outputs; the share of
    :func:`saturated` outputs and of :func:`dead_units` (NaN where they do not apply).

    A plain Keras callback: ``model.fit(..., callbacks=[monitor])`` or
    ``helpers.training.train(..., callbacks=[monitor])``. Row ``epoch=0`` is recorded at
    ``on_train_begin`` (update ratio NaN), row ``epoch=e`` after Keras' epoch ``e - 1``.
    Each training run starts a new :attr:`table`.

    ``log_dir``: also write TensorBoard summaries into a new sub-folder
    ``<log_dir>/<run_name>`` (default: model name and time; ``-2``, ``-3``... appended when
    it exists, earlier runs are never overwritten): per epoch, histograms
    ``<layer>/kernel_gradient`` and ``<layer>/activation`` (``tf.summary.histogram``) and
    scalars ``<layer>/kernel_grad_mean_abs``, ``<layer>/bias_grad_mean_abs`` and
    ``loss_on_monitor_batch``. ``monitor.run_dir`` is the latest run's folder.

    Refuses x/y of the wrong shape or length (ValueError/TypeError); the model is checked at
    ``on_train_begin`` (see :func:`dense_layers`).
    """

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
        self._rows: list[dict] = []

    def on_train_begin(self, logs=None):
        model = self.model
        layers = dense_layers(model)  # refuses models it cannot inspect, before any folder
        x, y = _check_batch(model, self._x, self._y, "GradientMonitor batch")
        self._rows, self._previous = [], None
        self._steps = (self.params or {}).get("steps") or np.nan
        writer = None
        if self.log_dir is not None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            self.run_dir = _new_run_dir(self.log_dir, self.run_name, f"{model.name}-{stamp}")
            writer = tf.summary.create_file_writer(self.run_dir)
        self._writer = writer

        def probe(x, y, step):  # a fresh function per run: one trace, then compiled calls
            g = layer_gradients(model, x, y)
            if writer is not None:
                with writer.as_default(step=step):
                    for lay, k, b, a in zip(layers, g.kernel, g.bias, g.outputs):
                        tf.summary.histogram(f"{lay.name}/kernel_gradient", k)
                        tf.summary.histogram(f"{lay.name}/activation", a)
                        tf.summary.scalar(f"{lay.name}/kernel_grad_mean_abs",
                                          tf.reduce_mean(tf.abs(k)))
                        tf.summary.scalar(f"{lay.name}/bias_grad_mean_abs", np.nan if b is None
                                          else tf.reduce_mean(tf.abs(b)))
                    tf.summary.scalar("loss_on_monitor_batch", g.loss)
            weights = [(tf.convert_to_tensor(lay.kernel),  # read here: one call, not 12
                        None if lay.bias is None else tf.convert_to_tensor(lay.bias))
                       for lay in layers]
            return g, weights

        self._probe, self._layers = tf.function(probe), layers
        self._batch = (tf.constant(x), tf.constant(y))
        self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch + 1)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    @np.errstate(all="ignore")  # weights that overflowed give NaN ratios, without warnings
    def _record(self, epoch: int) -> None:
        layers = self._layers
        g, weights = self._probe(*self._batch, tf.constant(epoch, tf.int64))
        weights = [tuple(None if w is None else w.numpy() for w in pair) for pair in weights]
        before = self._previous or [(None, None)] * len(layers)
        loss = float(g.loss)
        for i, (lay, s) in enumerate(zip(layers, _layer_stats(layers, g))):
            layer_part = {k: s[k] for k in ("act_mean", "act_std", "saturated_share",
                                            "dead_share")}
            for j, par in enumerate(("kernel", "bias")):
                w, w0 = weights[i][j], before[i][j]
                ratio = np.nan
                if w is not None and w0 is not None and np.linalg.norm(w0) > 0:
                    ratio = float(np.linalg.norm(w - w0) / np.linalg.norm(w0))
                self._rows.append({
                    "epoch": epoch, "layer": lay.name, "depth": i + 1,
                    "activation": activation_name(lay), "parameter": par,
                    "grad_mean_abs": s[f"{par}_grad_mean_abs"],
                    "grad_norm": s[f"{par}_grad_norm"],
                    "weight_l1": np.nan if w is None else float(np.abs(w).sum()),
                    "update_ratio": ratio, "update_ratio_per_step": ratio / self._steps,
                    **layer_part, "loss": loss})
        self._previous = weights

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
        df = pd.DataFrame(self._rows, columns=cols)
        return df.astype({c: float for c in cols[5:]})


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
        lines += (["Findings:"] + [f"- {f}" for f in self.findings] if self.findings
                  else ["No findings."])
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        found = (f"<ul>{''.join(f.to_html() for f in self.findings)}</ul>" if self.findings
                 else "<p>No findings.</p>")
        return "\n".join([f"<p><b>{html.escape(self._headline())}</b></p>",
                          self._summary_frame().to_html(), found])


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

    Computes :func:`layer_gradients` (inference mode) and returns a :class:`Diagnosis` with,
    per Dense layer, the mean |kernel gradient| and the shares of :func:`saturated` outputs
    and :func:`dead_units`; its ``findings`` may contain ``"vanishing"`` and ``"exploding"``
    (:func:`vanishing`, :func:`exploding`), ``"saturated"`` (a hidden layer with more than
    :data:`SATURATED_SHARE` of its outputs saturated) and ``"dead_units"`` (more than
    :data:`DEAD_SHARE` of all hidden units dead, or every unit of a hidden layer dead).
    The output layer is left out of the last two: a confident classifier's sigmoid is meant
    to saturate. The model is not changed. Refuses what :func:`dense_layers` refuses and
    x/y of the wrong shape, length or labels.
    """
    layers = dense_layers(model)
    g = layer_gradients(model, *_check_batch(model, x, y, "diagnose data"))
    table = pd.DataFrame(_layer_stats(layers, g))
    grads = table["kernel_grad_mean_abs"].to_numpy()
    # NaN when the output layer gets no gradient at all (e.g. everything before it is dead)
    rel = grads / grads[-1] if grads[-1] > 0 else np.full_like(grads, np.nan)
    table = pd.DataFrame({
        "layer": [lay.name for lay in layers],
        "activation": [activation_name(lay) for lay in layers],
        "units": [lay.units for lay in layers],
        "grad_mean_abs": grads, "grad_norm": table["kernel_grad_norm"],
        "bias_grad_mean_abs": table["bias_grad_mean_abs"], "grad_vs_output": rel,
        **{c: table[c] for c in ("act_mean", "act_std", "saturated_share", "dead_share")}})

    findings: list[Finding] = []
    weak, strong = vanishing(grads), exploding(grads)
    if weak is not None:
        findings.append(Finding(
            "vanishing", layers[weak].name,
            f"its gradient is {rel[weak]:.3g} of the output layer's (below "
            f"{VANISHING_RATIO:g}): it barely learns, nor do the layers it feeds back into.",
            _FIXES["vanishing"]))
    if strong is not None:
        if not np.all(np.isfinite(grads)):
            where, why = None, "some gradients are NaN or infinite."
        elif rel[strong] > EXPLODING_RATIO:
            where, why = layers[strong].name, (
                f"its gradient is {rel[strong]:.3g} times the output layer's (above "
                f"{EXPLODING_RATIO:g}): updates grow towards the input.")
        else:
            where, why = layers[strong].name, (
                f"its mean |gradient| is {grads[strong]:.3g} (above {EXPLODING_ABS:g}): one "
                "SGD step would move the weights far beyond their size.")
        findings.append(Finding("exploding", where, why, _FIXES["exploding"]))
    hidden = table.iloc[:-1]
    for _, row in hidden[hidden["saturated_share"] > SATURATED_SHARE].iterrows():
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
    return Diagnosis(table=table, first_to_output_ratio=float(rel[0]) if len(layers) > 1
                     else 1.0, findings=findings, loss=float(g.loss), model_name=model.name)


def layer_outputs(model: keras.Model, x: object,
                  pre_activation: bool = False) -> dict[str, np.ndarray]:
    """Return ``{layer name: array (n_rows, units)}`` for every Dense layer on inputs ``x``:
    the layer's outputs, or with ``pre_activation=True`` its pre-activations
    ``z = inputs @ kernel + bias``. Refuses what :func:`dense_layers` refuses and an ``x``
    that is not (n, n_features)."""
    layers = dense_layers(model)
    x, _ = _check_batch(model, x, np.zeros(len(np.asarray(x))), "layer_outputs data")
    wanted = [lay.input if pre_activation else lay.output for lay in layers]
    values = keras.Model(model.inputs[0], wanted)(tf.constant(x), training=False)
    out = {}
    for lay, v in zip(layers, values):
        v = np.asarray(v)
        if pre_activation:
            v = v @ np.asarray(lay.kernel) + (0.0 if lay.bias is None else np.asarray(lay.bias))
        out[lay.name] = v
    return out
