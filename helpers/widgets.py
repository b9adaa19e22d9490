"""The gradient-flow lab: choose a network, train it, see what its gradients did.

:func:`run_lab` is the whole experiment as one function (a notebook cell can call it
directly); :class:`Lab` is the ipywidgets front end that calls it when Train is clicked.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import math
import time
from collections.abc import Callable
from typing import Any

import keras
import matplotlib.figure
import numpy as np
import pandas as pd

from helpers._validate import check_choice, check_float, check_int
from helpers.data import load_circles
from helpers.experiments import wilson_ci
from helpers.gradients import GradientMonitor, diagnose
from helpers.models import ACTIVATIONS, INITIALIZERS, TUTORIAL_INITIALIZER, build_mlp
from helpers.plots import plot_lab
from helpers.seeding import seed_everything
from helpers.training import LEARNED_THRESHOLD, evaluate, train, train_many

# --------------------------------------------------------------------------- the settings

#: Bounds of the lab's settings (the widgets cannot leave them; run_lab refuses values outside).
DEPTH_RANGE = (1, 30)
WIDTH_RANGE = (2, 64)
EPOCHS_RANGE = (10, 2000)
SEEDS_RANGE = (1, 20)
LEARNING_RATE_RANGE = (1e-4, 1.0)
OPTIMIZERS = ("sgd", "adam")

#: What the dropdowns show for each value.
OPTIMIZER_LABELS = {
    "sgd": "SGD, momentum 0.9 (the tutorial's)",
    "adam": "Adam",
}
#: Each optimizer's usual learning rate: the lab switches to it when the optimizer changes.
DEFAULT_LEARNING_RATES = {"sgd": 0.01, "adam": 0.001}
INITIALIZER_LABELS = {
    TUTORIAL_INITIALIZER: "RandomUniform(0, 1) (the tutorial's)",
    "glorot_uniform": "glorot_uniform (Xavier; Keras' default)",
    "glorot_normal": "glorot_normal (Xavier)",
    "he_uniform": "he_uniform (He, for ReLU)",
    "he_normal": "he_normal (He, for ReLU)",
    "lecun_uniform": "lecun_uniform",
    "lecun_normal": "lecun_normal (for SELU)",
    "orthogonal": "orthogonal",
    "random_uniform": "random_uniform (U(-0.05, 0.05))",
    "random_normal": "random_normal (N(0, 0.05²))",
    "truncated_normal": "truncated_normal (N(0, 0.05²), cut at 2σ)",
}


@dataclasses.dataclass(frozen=True)
class LabSettings:
    """One configuration of the lab, checked: see :func:`check_settings`. The defaults are
    the lab's starting point, the tutorial's deep network that fails to learn."""

    depth: int = 5
    width: int = 5
    activation: str = "tanh"
    initializer: str = TUTORIAL_INITIALIZER
    optimizer: str = "sgd"
    learning_rate: float = 0.01
    epochs: int = 500
    n_seeds: int = 1
    first_seed: int = 0
    every_epoch: bool = False

    @property
    def seeds(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.n_seeds))

    def describe(self) -> str:
        """One line, e.g. ``5 x 5 tanh, RandomUniform(0, 1), SGD lr 0.01, 500 epochs, 1 seed``."""
        init = ("RandomUniform(0, 1)" if self.initializer == TUTORIAL_INITIALIZER
                else self.initializer)
        opt = "SGD" if self.optimizer == "sgd" else "Adam"
        seeds = f"{self.n_seeds} seed{'s' if self.n_seeds > 1 else ''}"
        return (f"{self.depth} x {self.width} {self.activation}, {init}, {opt} lr "
                f"{self.learning_rate:.3g}, {self.epochs} epochs, {seeds}")


#: The lab's starting point (:class:`LabSettings`' defaults).
DEFAULTS: dict[str, Any] = dataclasses.asdict(LabSettings())


def check_settings(depth: int, width: int, activation: str, initializer: str, optimizer: str,
                   learning_rate: float, epochs: int, n_seeds: int, first_seed: int = 0,
                   every_epoch: bool = False) -> LabSettings:
    """Return the checked :class:`LabSettings`; ValueError/TypeError naming the argument for
    anything outside the lab's bounds (DEPTH_RANGE, WIDTH_RANGE, EPOCHS_RANGE, SEEDS_RANGE,
    LEARNING_RATE_RANGE, OPTIMIZERS, ACTIVATIONS, INITIALIZERS)."""
    if not isinstance(every_epoch, bool):
        raise TypeError(f"every_epoch must be True or False, got {every_epoch!r}")
    return LabSettings(
        depth=check_int("depth", depth, *DEPTH_RANGE),
        width=check_int("width", width, *WIDTH_RANGE),
        activation=check_choice("activation", activation, ACTIVATIONS),
        initializer=check_choice("initializer", initializer, INITIALIZERS),
        optimizer=check_choice("optimizer", optimizer, OPTIMIZERS),
        learning_rate=check_float("learning_rate", learning_rate, *LEARNING_RATE_RANGE),
        epochs=check_int("epochs", epochs, *EPOCHS_RANGE),
        n_seeds=check_int("n_seeds", n_seeds, *SEEDS_RANGE),
        first_seed=check_int("first_seed", first_seed, minimum=0, maximum=2**31),
        every_epoch=every_epoch,
    )


# --------------------------------------------------------------------------- the notes

_RELU_LIKE = ("relu", "leaky_relu", "elu", "gelu")
_SMALL_FIXED = ("random_uniform", "random_normal", "truncated_normal")


def lab_notes(depth: int, width: int, activation: str, initializer: str,
              optimizer: str = "sgd", learning_rate: float = 0.01, epochs: int = 500,
              n_seeds: int = 1) -> list[str]:
    """Return short explanations of settings that are allowed but work against each other
    (plain text, one per sentence group; empty when nothing stands out). Never refuses a
    combination: the lab lets learners try them."""
    notes = []
    if initializer == TUTORIAL_INITIALIZER:
        if activation in ("tanh", "sigmoid"):
            notes.append(
                f"RandomUniform(0, 1) makes every weight positive: pre-activations add up layer "
                f"after layer and {activation} units saturate, so almost no gradient flows "
                "back (the tutorial's failing setup, notebook 03).")
        elif activation in _RELU_LIKE:
            notes.append(
                f"{activation} with RandomUniform(0, 1): all weights are positive, so the "
                "signal grows with every layer instead of staying in scale (He "
                "initialization, notebook 04, keeps it in scale); with positive weights only, "
                "each layer can only add its inputs up.")
        elif activation == "selu":
            notes.append("SELU keeps signals in scale only with lecun_normal weights; "
                         "RandomUniform(0, 1) (all positive) breaks that.")
    if activation == "selu" and initializer not in ("lecun_normal", TUTORIAL_INITIALIZER):
        notes.append("SELU is self-normalizing only with lecun_normal weights (Klambauer et "
                     f"al., 2017); with {initializer} it is just another activation.")
    if activation == "sigmoid" and depth >= 3:
        notes.append(f"sigmoid's slope is at most 0.25, so the gradient shrinks at least 4x per "
                     f"layer on its way back: {depth} sigmoid layers is a textbook case of "
                     "vanishing gradients (Glorot & Bengio, 2010).")
    if activation in ("tanh", "sigmoid") and initializer in ("he_uniform", "he_normal"):
        notes.append(f"He initialization is scaled for ReLU (half of the units off); with "
                     f"{activation} it makes pre-activations larger than glorot_uniform would, "
                     "and more units saturate.")
    if activation == "relu" and initializer in ("glorot_uniform", "glorot_normal",
                                                  "lecun_uniform", "lecun_normal") and depth >= 8:
        notes.append(f"ReLU switches off about half the signal: with {initializer} its scale "
                     f"shrinks layer by layer; over {depth} layers He initialization keeps it.")
    if initializer in _SMALL_FIXED:
        notes.append(f"{initializer} uses a fixed small scale whatever the layer's width: "
                     "signals and gradients shrink layer by layer in a deep network.")
    if activation == "linear":
        notes.append("With linear units the whole network is one linear function: no depth "
                     "lets it separate two circles.")
    if activation in ("relu",) and depth >= 15 and width <= 8:
        notes.append(f"A narrow ({width}) and deep ({depth}) ReLU network is often dead "
                     "before training starts (every unit of some layer outputs 0): "
                     "try several seeds to see how often (Lu et al., 2020; notebook 07).")
    if optimizer == "adam" and learning_rate > 0.01:
        notes.append(f"A learning rate of {learning_rate:.3g} is large for Adam (usual: 0.001); "
                     "training may jump around or diverge.")
    if optimizer == "sgd" and learning_rate >= 0.3:
        notes.append(f"A learning rate of {learning_rate:.3g} is large for SGD with momentum "
                     "0.9; training may diverge.")
    work = epochs * depth * (1 + n_seeds / 4)
    if work > 20_000:
        notes.append("This is a long run: expect it to take a while (progress is shown; the "
                     "previous result stays until the new one is ready).")
    return notes


# --------------------------------------------------------------------------- the run


@dataclasses.dataclass(frozen=True, repr=False)
class LabResult:
    """What one lab run produced: the checked ``settings``; the first seed's per-epoch
    ``history`` (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``) and one such dict
    per seed in ``histories``; ``seeds``, one row per seed as
    :func:`helpers.training.train_many` returns; the first seed's ``monitor_table``
    (``GradientMonitor.table``: epoch 0, then the last or every epoch); its
    :func:`helpers.gradients.diagnose` before training (``diagnosis_before``) and after
    (``diagnosis``, whose findings are ``findings``), both on the training set; the share of
    seeds that learned (``success_rate``) with its 95% Wilson interval; the first seed's
    trained ``model``; :func:`lab_notes`; and the run's wall time in ``seconds``."""

    settings: LabSettings
    history: dict[str, list[float]]
    histories: list[dict[str, list[float]]]
    seeds: pd.DataFrame
    monitor_table: pd.DataFrame
    diagnosis_before: Any
    diagnosis: Any
    success_rate: float
    success_interval: tuple[float, float]
    model: keras.Model
    notes: tuple[str, ...]
    seconds: float

    @property
    def depth(self) -> int:
        return self.settings.depth

    @property
    def findings(self) -> list:
        return list(self.diagnosis.findings)

    @property
    def train_accuracy(self) -> float:
        """The first seed's final accuracy on the whole training set (test: likewise)."""
        return float(self.seeds["train_accuracy"].iloc[0])

    @property
    def test_accuracy(self) -> float:
        return float(self.seeds["test_accuracy"].iloc[0])

    @property
    def n_learned(self) -> int:
        return int(self.seeds["learned"].sum())

    def gradient_flow(self, epoch: int | None = None) -> pd.Series:
        """Mean |kernel gradient| per Dense layer (index: layer name) at ``epoch`` (default:
        the last recorded one; 0 = before training)."""
        t = self.monitor_table
        t = t[t["parameter"] == "kernel"]
        epoch = int(t["epoch"].max()) if epoch is None else epoch
        rows = t[t["epoch"] == epoch]
        if rows.empty:
            raise ValueError(f"epoch {epoch} was not recorded; recorded: "
                             f"{sorted(t['epoch'].unique().tolist())}")
        return pd.Series(rows["grad_mean_abs"].to_numpy(), index=rows["layer"].to_numpy(),
                         name=f"epoch {epoch}")

    def summary(self) -> str:
        """Plain-text summary, numbers rounded to what they can hold."""
        lines = [self.settings.describe(),
                 f"First seed ({self.settings.first_seed}): Train: {self.train_accuracy:.3f}, "
                 f"Test: {self.test_accuracy:.3f}"]
        n = self.settings.n_seeds
        lo, hi = self.success_interval
        lines.append(f"Learned (test accuracy >= {LEARNED_THRESHOLD:.2f}): {self.n_learned}/{n} "
                     f"seeds" + (f", 95% interval {lo:.2f} to {hi:.2f}" if n > 1 else ""))
        ratio = self.diagnosis.first_to_output_ratio
        lines.append("First hidden layer's mean |gradient| / output layer's: "
                     f"{self.diagnosis_before.first_to_output_ratio:.2g} before training, "
                     f"{ratio:.2g} after")
        for when, diag in (("Before training", self.diagnosis_before),
                           ("After training", self.diagnosis)):
            found = "; ".join(f.kind + (f" ({f.layer})" if f.layer else "")
                              for f in diag.findings)
            lines.append(f"{when}: {found or 'no findings (healthy)'}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LabResult({self.settings.describe()}; test {self.test_accuracy:.3f})"


ProgressFn = Callable[[float, str], None]


def run_lab(depth: int = 5, width: int = 5, activation: str = "tanh",
            initializer: str = TUTORIAL_INITIALIZER, optimizer: str = "sgd",
            learning_rate: float = 0.01, epochs: int = 500, n_seeds: int = 1, *,
            first_seed: int = 0, every_epoch: bool = False,
            progress: ProgressFn | None = None) -> LabResult:
    """Train ``build_mlp(depth, width, activation, initializer)`` on the two circles and
    return a :class:`LabResult`.

    Seeds ``first_seed`` ... ``first_seed + n_seeds - 1``. The first seed is trained with
    :func:`helpers.training.train` and watched by a :class:`helpers.gradients.GradientMonitor`
    on the training set, and diagnosed before and after training; the other seeds are trained
    together by :func:`helpers.training.train_many` (same maths, same seeding). ``optimizer``
    is ``"sgd"`` (momentum 0.9, the tutorial's) or ``"adam"``, with ``learning_rate``.

    The monitor records before training and after the last epoch (its hooks called around
    ``train``), which keeps the default run fast; ``every_epoch=True`` passes it to ``train``
    as a callback, recording and reporting progress every epoch. ``progress(fraction,
    message)`` is called as the run advances. Refuses settings outside the lab's bounds
    (see :func:`check_settings`).
    """
    s = check_settings(depth, width, activation, initializer, optimizer, learning_rate,
                       epochs, n_seeds, first_seed, every_epoch)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function (fraction, message) or None, "
                        f"got {type(progress).__name__}")
    report = progress or (lambda fraction, message: None)
    start = time.perf_counter()
    train_data, test_data = load_circles()
    span_first = 0.8 / s.n_seeds ** 0.5 if s.n_seeds > 1 else 0.85

    # The first seed, in detail.
    report(0.0, f"seed 1 of {s.n_seeds}: building and diagnosing the model")
    seed0 = seed_everything(s.first_seed)
    model = build_mlp(s.depth, s.width, s.activation, s.initializer)
    diag_before = diagnose(model, *train_data)
    monitor = GradientMonitor(*train_data)
    report(0.02, f"seed 1 of {s.n_seeds}: training {s.epochs} epochs")
    if s.every_epoch:
        every = max(1, s.epochs // 50)  # at most about 50 progress reports

        def epoch_done(epoch, logs=None):
            if (epoch + 1) % every == 0 or epoch + 1 == s.epochs:
                report(0.02 + (span_first - 0.02) * (epoch + 1) / s.epochs,
                       f"seed 1: epoch {epoch + 1}/{s.epochs}")

        history = train(model, train_data, test_data, epochs=s.epochs, optimizer=s.optimizer,
                        learning_rate=s.learning_rate, seed=seed0,
                        callbacks=[monitor, keras.callbacks.LambdaCallback(
                            on_epoch_end=epoch_done)]).history
    else:
        # The monitor's hooks around the fast path: epoch 0 and the last epoch only.
        monitor.set_model(model)
        monitor.on_train_begin()
        history = train(model, train_data, test_data, epochs=s.epochs, optimizer=s.optimizer,
                        learning_rate=s.learning_rate, seed=seed0).history
        monitor.on_epoch_end(s.epochs - 1)
        monitor.on_train_end()
    history = {k: [float(v) for v in vals] for k, vals in history.items()}
    tr_loss, tr_acc = evaluate(model, train_data)
    te_loss, te_acc = evaluate(model, test_data)
    first = {"depth": s.depth, "width": s.width, "activation": s.activation,
             "initializer": s.initializer, "optimizer": s.optimizer,
             "learning_rate": s.learning_rate, "epochs": s.epochs, "seed": s.first_seed,
             "train_accuracy": tr_acc, "test_accuracy": te_acc, "train_loss": tr_loss,
             "test_loss": te_loss, "learned": bool(te_acc >= LEARNED_THRESHOLD),
             "history": {k: np.asarray(v) for k, v in history.items()}}
    report(span_first, "diagnosing the trained model")
    diag_after = diagnose(model, *train_data)

    # The other seeds, all at once.
    rows = pd.DataFrame([first])
    if s.n_seeds > 1:
        report(span_first + 0.01, f"seeds 2 to {s.n_seeds}: training them together")
        others = train_many(s.depth, s.width, s.activation, s.initializer,
                            seeds=s.seeds[1:], epochs=s.epochs, optimizer=s.optimizer,
                            learning_rate=s.learning_rate, train_data=train_data,
                            test_data=test_data)
        rows = pd.concat([rows, others[rows.columns]], ignore_index=True)
    report(0.95, "summing up")
    k = int(rows["learned"].sum())
    return LabResult(
        settings=s, history=history,
        histories=[{key: [float(v) for v in vals] for key, vals in h.items()}
                   for h in rows["history"]],
        seeds=rows, monitor_table=monitor.table, diagnosis_before=diag_before,
        diagnosis=diag_after, success_rate=k / s.n_seeds,
        success_interval=tuple(float(v) for v in wilson_ci(k, s.n_seeds)), model=model,
        notes=tuple(lab_notes(s.depth, s.width, s.activation, s.initializer, s.optimizer,
                              s.learning_rate, s.epochs, s.n_seeds)),
        seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------- the widget


def _findings_html(result: LabResult) -> str:
    parts = [f"<p><b>{html.escape(result.settings.describe())}</b> "
             f"(trained in {result.seconds:.1f} s)</p>"]
    lo, hi = result.success_interval
    n = result.settings.n_seeds
    rate = (f"{result.n_learned}/{n} seeds learned (test accuracy &ge; {LEARNED_THRESHOLD:.2f})"
            + (f", 95% interval {lo:.2f} to {hi:.2f}" if n > 1 else ""))
    parts.append(f"<p>First seed: train {result.train_accuracy:.3f}, test "
                 f"{result.test_accuracy:.3f}. {rate}.</p>")
    for when, diag in (("Before training", result.diagnosis_before),
                       ("After training", result.diagnosis)):
        if diag.findings:
            items = "".join(f.to_html() for f in diag.findings)
            parts.append(f"<p>{when}, <code>diagnose</code> found:</p><ul>{items}</ul>")
        else:
            parts.append(f"<p>{when}, <code>diagnose</code> found nothing wrong.</p>")
    return "<div class='gradient-lab-findings'>" + "\n".join(parts) + "</div>"


def _outputs(result: LabResult) -> tuple[dict, dict]:
    """The lab's two display_data outputs: :func:`helpers.plots.plot_lab` as a PNG (drawn
    outside pyplot, so no figure is left open) and the findings as HTML, each with text."""
    fig = plot_lab(result, fig=matplotlib.figure.Figure())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    w, h = fig.get_size_inches() * fig.dpi
    png = {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
           "text/plain": f"<Figure size {w:.0f}x{h:.0f} with {len(fig.axes)} Axes>"}
    text = {"text/html": _findings_html(result), "text/plain": result.summary()}
    return tuple({"output_type": "display_data", "data": d, "metadata": {}} for d in (png, text))


class Lab:
    """The gradient-flow lab widget. ``Lab()`` then ``display(lab)`` (or ``lab.widget``).

    - ``lab.controls``: dict of the control widgets (``depth``, ``width``, ``activation``,
      ``initializer``, ``optimizer``, ``learning_rate``, ``epochs``, ``n_seeds``,
      ``every_epoch``), all bounded: values outside the lab's ranges cannot be entered.
    - ``lab.train_button``: clicking it trains with the current settings via
      :func:`run_lab`. While training the button is disabled and ``lab.progress`` /
      ``lab.status`` show progress (the stage, and the seconds elapsed); the previous result
      stays visible in ``lab.output`` until the new one is ready. If the run fails, the
      error's text is shown in ``lab.status``
      (no traceback), the previous result stays, and the button is enabled again.
    - ``lab.result``: the latest :class:`LabResult` (None before the first run);
      ``lab.error``: the exception of the latest run, or None; ``lab.runs``: runs finished.
    - ``lab.notes``: explains the current combination of settings (:func:`lab_notes`).

    Train runs inside the click handler, without a thread: a default run takes a few
    seconds, during which the progress bar and status still update (each update is sent to
    the browser as it happens) and the disabled button refuses further clicks.
    """

    def __init__(self, **settings: Any):
        import ipywidgets as w

        s = {**DEFAULTS, **settings}
        check_settings(**s)
        kw = {"style": {"description_width": "7.5em"}, "layout": w.Layout(width="31em")}

        def slider(name: str, label: str, bounds: tuple[int, int], **extra) -> w.IntSlider:
            return w.IntSlider(value=s[name], min=bounds[0], max=bounds[1], description=label,
                               **kw, **extra)

        def dropdown(name: str, options: list) -> w.Dropdown:
            return w.Dropdown(options=options, value=s[name], description=name, **kw)

        self.controls: dict[str, w.ValueWidget] = {
            "depth": slider("depth", "hidden layers", DEPTH_RANGE),
            "width": slider("width", "units / layer", WIDTH_RANGE),
            "activation": dropdown("activation", list(ACTIVATIONS)),
            "initializer": dropdown("initializer", [(INITIALIZER_LABELS.get(n, n), n)
                                                    for n in INITIALIZERS]),
            "optimizer": dropdown("optimizer", [(OPTIMIZER_LABELS[n], n) for n in OPTIMIZERS]),
            "learning_rate": w.FloatLogSlider(
                value=s["learning_rate"], base=10, min=math.log10(LEARNING_RATE_RANGE[0]),
                max=math.log10(LEARNING_RATE_RANGE[1]), step=0.25, readout_format=".2g",
                description="learning rate", **kw),
            "epochs": slider("epochs", "epochs", EPOCHS_RANGE, step=10),
            "n_seeds": slider("n_seeds", "seeds", SEEDS_RANGE),
            "every_epoch": w.Checkbox(value=s["every_epoch"], indent=False,
                                      description="record gradients every epoch (slower)"),
        }
        self.train_button = w.Button(description="Train", button_style="primary",
                                     icon="play", tooltip="Train with these settings")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0,
                                        layout=w.Layout(width="14em"))
        self.status = w.HTML(value="Choose settings, then press <b>Train</b>.")
        self.notes = w.HTML()
        self.output = w.Output(layout=w.Layout(min_height="3em"))
        self.result: LabResult | None = None
        self.error: BaseException | None = None
        self.runs = 0

        c = self.controls
        c["optimizer"].observe(self._on_optimizer, names="value")
        for ctl in c.values():
            ctl.observe(self._update_notes, names="value")
        self.train_button.on_click(self._on_click)
        self._update_notes()

        columns = w.HBox([w.VBox([c["depth"], c["width"], c["activation"], c["initializer"]]),
                          w.VBox([c["optimizer"], c["learning_rate"], c["epochs"],
                                  c["n_seeds"], c["every_epoch"]])])
        self.widget = w.VBox([
            w.HTML("<h3 style='margin:0'>Gradient-flow lab</h3>"),
            columns, self.notes,
            w.HBox([self.train_button, self.progress, self.status],
                   layout=w.Layout(align_items="center")),
            self.output,
        ])
        self.widget.add_class("gradient-lab")

    # Settings ------------------------------------------------------------------------
    def settings(self) -> LabSettings:
        """The current control values, checked."""
        v = {k: ctl.value for k, ctl in self.controls.items()}
        return check_settings(**v)

    def _on_optimizer(self, change) -> None:
        self.controls["learning_rate"].value = DEFAULT_LEARNING_RATES[change["new"]]

    def _update_notes(self, change=None) -> None:
        v = {k: ctl.value for k, ctl in self.controls.items() if k != "every_epoch"}
        notes = lab_notes(**v)
        if not notes:
            self.notes.value = ""
            return
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        self.notes.value = ("<div class='gradient-lab-notes' style='font-size:90%'>"
                            f"<b>Note on these settings</b> (allowed, but know what to expect):"
                            f"<ul style='margin-top:0.2em'>{items}</ul></div>")

    # Training ------------------------------------------------------------------------
    def train(self) -> LabResult | None:
        """Train with the current settings, as the button does; return ``lab.result`` (on
        failure it stays the previous one and ``lab.error`` is set)."""
        self.train_button.click()
        return self.result

    def _on_click(self, _button=None) -> None:
        if self.train_button.disabled:  # a run is already going
            return
        self.train_button.disabled = True
        self._t0 = time.perf_counter()
        try:
            s = self.settings()
            self.progress.bar_style = ""
            self._report(0.0, f"Training {s.describe()}")
            result = run_lab(s.depth, s.width, s.activation, s.initializer, s.optimizer,
                             s.learning_rate, s.epochs, s.n_seeds,
                             every_epoch=s.every_epoch, progress=self._report)
            self._report(0.97, "drawing")
            self.output.outputs = _outputs(result)  # the previous result goes only now
        except Exception as exc:  # shown to the learner; the previous result stays
            self._finish_failed(exc)
            return
        self.result, self.error = result, None
        self.runs += 1
        self.progress.value = 1.0
        self.progress.bar_style = "success"
        self.status.value = (f"Run {self.runs} finished in {result.seconds:.1f} s: test "
                             f"accuracy {result.test_accuracy:.3f}, {result.n_learned}/"
                             f"{result.settings.n_seeds} seeds learned.")
        self.train_button.disabled = False

    def _report(self, fraction: float, message: str) -> None:
        self.progress.value = min(max(float(fraction), 0.0), 1.0)
        self.status.value = (f"{html.escape(message)} … "
                             f"({time.perf_counter() - self._t0:.0f} s)")

    def _finish_failed(self, exc: BaseException) -> None:
        self.error = exc
        self.progress.bar_style = "danger"
        kept = " The previous result is kept below." if self.result is not None else ""
        self.status.value = (
            f"<span class='gradient-lab-error' style='color:#b00020'>Training failed: "
            f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}.{kept}</span>")
        self.train_button.disabled = False

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def __repr__(self) -> str:
        return f"Lab({self.settings().describe()})"


__all__ = ["DEFAULTS", "Lab", "LabResult", "LabSettings", "check_settings", "lab_notes",
           "run_lab"]
