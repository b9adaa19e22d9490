"""Per-layer gradients of a Keras model (:func:`layer_gradients`) and what goes wrong with them."""

from __future__ import annotations

import datetime
import html
import os
from typing import NamedTuple

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from helpers.models import activation_name
from helpers.validation import check_xy

# Rules of thumb (CS231n; Karpathy's makemore part 3; Glorot & Bengio 2010), tuned in notebook 05.
TANH_SATURATION = 0.97  #: tanh |a| above this is saturated (tanh' < 0.06); sigmoid a: 1 - a or a
VANISHING_RATIO = 0.02  #: the weakest hidden layer's gradient below this share of the output's
EXPLODING_RATIO = 100.0  #: the strongest hidden layer's gradient above this times the output's
EXPLODING_ABS = 10.0    #: ... or some layer's mean |kernel gradient| above this
SATURATED_SHARE = 0.5   #: diagnose: more than this share of a hidden layer's outputs saturated
DEAD_SHARE = 0.4        #: diagnose: more than this share of all hidden ReLU units dead


def vanishing(grads: object) -> int | None:
    """Index of the weakest hidden layer if under :data:`VANISHING_RATIO` of the output layer's
    ``grads`` (mean |kernel gradient| per Dense layer, output last), else None."""
    g = np.asarray(grads, dtype=float)
    if len(g) < 2 or not np.all(np.isfinite(g)) or not g[-1] > 0:
        return None
    i = int(np.argmin(g[:-1]))
    return i if g[i] / g[-1] < VANISHING_RATIO else None


def exploding(grads: object) -> int | None:
    """Index of the first non-finite gradient, else of the strongest hidden layer if over
    :data:`EXPLODING_RATIO` times the output's, else of the largest if over EXPLODING_ABS."""
    g = np.asarray(grads, dtype=float)
    if not np.all(np.isfinite(g)):
        return int(np.argmin(np.isfinite(g)))
    if len(g) > 1 and g[-1] > 0 and (g[:-1] / g[-1]).max() > EXPLODING_RATIO:
        return int(np.argmax(g[:-1]))
    return int(np.argmax(g)) if g.max() > EXPLODING_ABS else None


def saturated(outputs: object, activation: str) -> np.ndarray | None:
    """True where a tanh or sigmoid output is saturated; None for other activations."""
    a = np.asarray(outputs)
    if activation == "tanh":
        return np.abs(a) > TANH_SATURATION
    if activation == "sigmoid":
        return (a > TANH_SATURATION) | (a < 1.0 - TANH_SATURATION)
    return None


def dead_units(outputs: object, activation: str) -> np.ndarray | None:
    """Per unit (column), True if a ReLU unit outputs 0 for every input (row); None if not ReLU."""
    return np.all(np.asarray(outputs) <= 0.0, axis=0) if activation in ("relu", "relu6") else None


def dead_network(features: object, tol: float = 1e-6) -> bool:
    """True if a layer's outputs (rows = inputs) are constant across inputs (every column's
    spread below ``tol``): from that layer on the network no longer depends on its input (for
    a layer of ReLU units all at 0, no gradient passes below it either)."""
    return bool(np.ptp(np.asarray(features), axis=0).max() < tol)


def _dense_layers(model: keras.Model) -> list[keras.layers.Dense]:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    inputs = getattr(model, "inputs", None)  # none: not built, or a subclassed model
    if not model.built or not inputs or len(inputs) != 1 or len(model.outputs) != 1:
        raise ValueError("model must be built from one keras.Input (Sequential or functional "
                         "API) with one output")
    layers = [lay for lay in model.layers if isinstance(lay, keras.layers.Dense)]
    if not layers:  # (no walrus: AutoGraph, tracing the monitor's probe, cannot read it)
        raise ValueError("model has no Dense layers")
    return layers


def _checked(model: keras.Model, x: object, y: object, what: str):
    layers = _dense_layers(model)
    x, y = check_xy(x, y, what, n_features=model.inputs[0].shape[-1])
    last = model.layers[-1]  # Dense(1, "sigmoid"), or Activation("sigmoid") after Dense(1)
    kind = activation_name(last) if hasattr(last, "activation") else type(last).__name__
    if (n_out := model.outputs[0].shape[-1]) != 1 or kind != "sigmoid":
        raise ValueError(f"{what}: the model must output one probability per row (end with "
                         f"Dense(1, 'sigmoid')); it has {n_out} output column(s) and its last "
                         f"layer gives {kind}")
    return layers, x, y


class LayerGradients(NamedTuple):
    """What :func:`layer_gradients` returns; lists have one entry per Dense layer."""

    loss: tf.Tensor      #: binary cross-entropy on the batch
    kernel: list         #: d loss / d kernel
    bias: list           #: d loss / d bias (None for a layer without bias)
    outputs: list        #: the layer's outputs, rows = inputs
    inputs: list         #: the layer's inputs (the last one's: the last hidden layer's output)

    def sizes(self, part: str = "kernel") -> list[float]:
        """Mean |d loss / d kernel| (or ``"bias"``) per Dense layer; NaN for a missing bias."""
        return [np.nan if t is None else float(tf.reduce_mean(tf.abs(t)))
                for t in getattr(self, part)]


def layer_gradients(model: keras.Model, x, y, training: bool = False) -> LayerGradients:
    """Binary cross-entropy of ``model(x, training=training)`` on ``(x, y)`` and each Dense layer's
    gradients, inputs and outputs (``training=True``: in training mode, batch normalization using
    the statistics of these rows as a training step does; the model is left unchanged).
    Refuses models :func:`diagnose` refuses."""
    layers = _dense_layers(model)
    probe = keras.Model(model.inputs[0], [[lay.output for lay in layers],
                                          [lay.input for lay in layers], model.outputs[0]])
    kept = [(v, tf.identity(v)) for v in model.non_trainable_variables] if training else []
    with tf.GradientTape() as tape:
        outputs, inputs, out = probe(x, training=training)
        loss = keras.losses.BinaryCrossentropy()(tf.reshape(y, (-1, 1)), out)
    params = [[w for w in (lay.kernel, lay.bias) if w is not None] for lay in layers]
    grads = tape.gradient(loss, params, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    for var, value in kept:  # undo the moving averages' update
        var.assign(value)
    return LayerGradients(loss, [g[0] for g in grads],
                          [g[1] if len(g) > 1 else None for g in grads], outputs, inputs)


def kernel_gradients(model: keras.Model, x: object, y: object,
                     training: bool = False) -> dict[str, float]:
    """``{Dense layer name: mean |d loss / d kernel|}`` on ``(x, y)``: notebook 05's computation
    (``training``: see :func:`layer_gradients`). Refuses what :func:`diagnose` refuses."""
    layers, x, y = _checked(model, x, y, "kernel_gradients data")
    g = layer_gradients(model, x, y, training=training)
    return dict(zip([lay.name for lay in layers], g.sizes()))


@np.errstate(all="ignore")  # an exploded network gives inf and NaN: reported, not warned
def _layer_stats(layers: list, g: LayerGradients) -> list[dict]:
    """Two rows per Dense layer, kernel then bias (NaN where not applicable)."""
    rows, sizes = [], zip(g.sizes(), g.sizes("bias"))
    for lay, k, b, a, (sk, sb) in zip(layers, g.kernel, g.bias, g.outputs, sizes):
        a, kind = np.asarray(a), activation_name(lay)
        sat, dead = saturated(a, kind), dead_units(a, kind)
        layer = {"layer": lay.name, "activation": kind, "units": lay.units,
                 "act_mean": float(a.mean()), "act_std": float(a.std()),
                 "saturated_share": np.nan if sat is None else float(sat.mean()),
                 "dead_share": np.nan if dead is None else float(dead.mean())}
        rows += [{**layer, "parameter": par, "grad_mean_abs": size,
                  "grad_norm": np.nan if t is None else float(np.linalg.norm(t))}
                 for par, t, size in (("kernel", k, sk), ("bias", b, sb))]
    return rows


class GradientMonitor(keras.callbacks.Callback):
    """Keras callback: records each Dense layer's gradients, weights and outputs on ``(x, y)``
    before training (epoch 0) and after every epoch in :attr:`table`; with ``log_dir``, also
    TensorBoard summaries, each run in a new folder ``run_dir``. Refuses what :func:`diagnose`
    refuses, and a ``log_dir`` that is not a path."""

    def __init__(self, x: object, y: object, log_dir: str | os.PathLike | None = None):
        super().__init__()
        self._x, self._y = check_xy(x, y, what="GradientMonitor batch")
        if log_dir is not None and not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"log_dir must be a path (str) or None, got {type(log_dir).__name__}")
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.run_dir, self._rows, self._writer = None, [], None

    def on_train_begin(self, logs=None):
        model, (layers, x, y) = self.model, _checked(self.model, self._x, self._y,
                                                     "GradientMonitor batch")
        self._rows, self._previous, self._layers, self._writer = [], None, layers, None
        self._steps = (self.params or {}).get("steps") or np.nan
        if self.log_dir is not None:  # a new folder per run: base, base-2, base-3...
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            base = os.path.join(self.log_dir, f"{model.name}-{stamp}")
            i, self.run_dir = 1, base
            while os.path.exists(self.run_dir):
                i, self.run_dir = i + 1, f"{base}-{i + 1}"
            self._writer = tf.summary.create_file_writer(self.run_dir)

        def probe(x, y, step):  # traced once per run, explicitly: no retracing notice
            g = layer_gradients(model, x, y)
            if self._writer is not None:
                with self._writer.as_default(step=step):
                    for lay, k, a in zip(layers, g.kernel, g.outputs):
                        tf.summary.histogram(f"{lay.name}/kernel_gradient", k)
                        tf.summary.histogram(f"{lay.name}/activation", a)
                        tf.summary.scalar(f"{lay.name}/kernel_grad_mean_abs",
                                          tf.reduce_mean(tf.abs(k)))
            return g

        self._batch = (tf.constant(x), tf.constant(y))
        self._probe = tf.function(probe).get_concrete_function(*self._batch, np.int64(0))
        self._record(0)

    def on_epoch_end(self, epoch, logs=None):
        self._record(epoch + 1)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()

    @np.errstate(all="ignore")  # weights that overflowed give NaN ratios, without warnings
    def _record(self, epoch: int) -> None:
        g = self._probe(*self._batch, tf.constant(epoch, tf.int64))
        weights = [None if w is None else w.numpy() for lay in self._layers
                   for w in (lay.kernel, lay.bias)]
        before = self._previous or [None] * len(weights)
        for row, w, w0 in zip(_layer_stats(self._layers, g), weights, before):
            n0 = np.nan if w0 is None else np.linalg.norm(w0)
            ratio = float(np.linalg.norm(w - w0) / n0) if n0 > 0 else np.nan
            self._rows.append({**row, "epoch": epoch, "update_ratio": ratio,
                               "update_ratio_per_step": ratio / self._steps,
                               "weight_l1": np.nan if w is None else float(np.abs(w).sum())})
        self._previous = weights

    @property
    def table(self) -> pd.DataFrame:
        """One row per epoch, layer and parameter (kernel, bias); update_ratio: ``||W - W_before||
        / ||W_before||`` over the epoch (per step, CS231n's rule of thumb is about 1e-3)."""
        cols = ("epoch layer activation parameter grad_mean_abs grad_norm weight_l1 update_ratio "
                "update_ratio_per_step act_mean act_std saturated_share dead_share").split()
        return pd.DataFrame(self._rows, columns=cols).astype({c: float for c in cols[4:]})


class Finding(NamedTuple):
    """One problem :func:`diagnose` found, in a ``layer`` (None: the whole network)."""

    kind: str
    layer: str | None
    message: str
    fix: str

    def __str__(self) -> str:
        where = f" [{self.layer}]" if self.layer else ""
        return f"{self.kind}{where}: {self.message} Try: {self.fix}"

    def to_html(self) -> str:
        where, e = f" [{html.escape(self.layer)}]" if self.layer else "", html.escape
        return f"<li><b>{e(self.kind)}</b>{where}: {e(self.message)} <i>Try:</i> {e(self.fix)}</li>"


class Diagnosis(NamedTuple):
    """What :func:`diagnose` found (no findings: healthy); ``table``: one row per Dense layer."""

    table: pd.DataFrame
    first_to_output_ratio: float
    findings: list[Finding]
    loss: float
    model_name: str

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))

    def _summary(self) -> tuple[str, pd.DataFrame]:
        t, g3 = self.table.set_index("layer"), "{:.3g}".format
        share = {c: t[f"{c}_share"].map(lambda v: f"{v:.0%}" if pd.notna(v) else "-")
                 for c in ("saturated", "dead")}
        frame = pd.DataFrame({"activation": t["activation"],
                              "mean |grad|": t["grad_mean_abs"].map(g3),
                              "vs output": t["grad_vs_output"].map(g3), **share})
        return (f"Diagnosis of {self.model_name}: {', '.join(self.kinds) or 'healthy'} "
                f"(first/output gradient ratio {self.first_to_output_ratio:.3g}, loss "
                f"{self.loss:.3f})"), frame

    def __repr__(self) -> str:
        headline, frame = self._summary()
        found = ["Findings:", *map("- {}".format, self.findings)] if self.findings else []
        return "\n".join([headline, frame.to_string(), *(found or ["No findings."])])

    def _repr_html_(self) -> str:
        headline, frame = self._summary()
        found = (f"<ul>{''.join(f.to_html() for f in self.findings)}</ul>" if self.findings
                 else "<p>No findings.</p>")
        return "\n".join([f"<p><b>{html.escape(headline)}</b></p>", frame.to_html(), found])


_FIXES = {
    "vanishing": "an initializer matched to the activation (glorot_uniform for tanh, "
                 "he_uniform for ReLU), ReLU activations, fewer layers, or batch normalization; "
                 "if the network has these already, check other seeds: one draw of a narrow "
                 "network can be flagged and still learn",
    "exploding": "inputs scaled to about [-1, 1], a smaller learning rate, gradient "
                 "clipping (clipnorm=1.0), or a variance-preserving initializer (Glorot/He) "
                 "if it does not have one; in a narrow deep network, check other seeds",
    "saturated": "zero-centred weights with Glorot scale (glorot_uniform), inputs scaled to "
                 "about [-1, 1], or ReLU activations",
    "dead_units": "fewer or wider layers, or leaky_relu (He weights are the usual start; if the "
                  "units die during training, a smaller learning rate)",
}


def diagnose(model: keras.Model, x: object, y: object) -> Diagnosis:
    """Check a model's gradients and activations on ``(x, y)`` for :func:`vanishing`,
    :func:`exploding`, saturated and dead units; return a :class:`Diagnosis`. Refuses a model
    not built from one keras.Input (Sequential or functional API) with at least one Dense layer,
    the last one Dense(1, 'sigmoid'), and bad x/y."""
    layers, x, y = _checked(model, x, y, "diagnose data")
    g = layer_gradients(model, x, y)
    table = pd.DataFrame(_layer_stats(layers, g)[::2])  # the kernels' rows
    grads = table["grad_mean_abs"].to_numpy()
    rel = grads / grads[-1] if grads[-1] > 0 else grads * np.nan  # NaN: no gradient at the output
    table["grad_vs_output"] = rel
    found = []  # (kind, layer, message)
    if (weak := vanishing(grads)) is not None:
        found.append(("vanishing", layers[weak].name, f"its gradient is {rel[weak]:.3g} of the "
                      f"output layer's (below {VANISHING_RATIO:g}): with these weights it gets "
                      "little gradient and would learn slowly (the table shows whether the layers "
                      "below it get more)."))
    if (strong := exploding(grads)) is not None and not np.all(np.isfinite(grads)):
        found.append(("exploding", None, "some gradients are NaN or infinite."))
    elif strong is not None and rel[strong] > EXPLODING_RATIO:
        found.append(("exploding", layers[strong].name, f"its gradient is {rel[strong]:.3g} "
                      f"times the output layer's (above {EXPLODING_RATIO:g}): updates grow "
                      "towards the input."))
    elif strong is not None:
        found.append(("exploding", layers[strong].name, f"its mean |gradient| is "
                      f"{grads[strong]:.3g} (above {EXPLODING_ABS:g}): at SGD's learning rate "
                      f"0.01 one step would move each weight by about {0.01 * grads[strong]:.2g}, "
                      "a large step next to the weights' typical size."))
    hidden = table.iloc[:-1]  # a confident classifier's output sigmoid is meant to saturate
    for _, row in hidden[hidden["saturated_share"] > SATURATED_SHARE].iterrows():
        found.append(("saturated", row["layer"], f"{row['saturated_share']:.0%} of its "
                      f"{row['activation']} activations are saturated (flat slope, so little "
                      "gradient passes through those units)."))
    relu = hidden[hidden["dead_share"].notna()]
    all_dead = relu.loc[relu["dead_share"] >= 1.0, "layer"]
    share = np.average(relu["dead_share"], weights=relu["units"]) if len(relu) else 0.0
    if len(all_dead):
        found.append(("dead_units", all_dead.iloc[0], "every unit outputs 0 for every input: "
                      "nothing passes through this layer (without skip connections, the "
                      "model's output is constant)."))
    elif share > DEAD_SHARE:
        found.append(("dead_units", None, f"{share:.0%} of the hidden ReLU units output 0 for "
                      f"every input (above {DEAD_SHARE:.0%}): on these inputs their weights get "
                      "no gradient, and they revive only if the layers below them change."))
    findings = [Finding(kind, layer, message, _FIXES[kind]) for kind, layer, message in found]
    return Diagnosis(table, float(rel[0]), findings, float(g.loss), model.name)


def layer_outputs(model: keras.Model, x: object,
                  pre_activation: bool = False) -> dict[str, np.ndarray]:
    """``{Dense layer name: its outputs on x}``, or with ``pre_activation`` its ``inputs @ kernel
    + bias``. Refuses what :func:`diagnose` refuses."""
    layers, x, y = _checked(model, x, np.zeros(len(np.asarray(x))), "layer_outputs data")
    g = layer_gradients(model, x, y)
    return {lay.name: np.asarray(z) @ np.asarray(lay.kernel) + (0.0 if lay.bias is None else
            np.asarray(lay.bias)) if pre_activation else np.asarray(a)
            for lay, z, a in zip(layers, g.inputs, g.outputs)}
