"""The gradient-flow lab of notebook 08: :func:`run_lab` trains one configuration and returns a
:class:`LabResult`; :class:`Lab` is the ipywidgets panel that calls it when Train is clicked."""

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
import pandas as pd

from helpers.data import load_circles
from helpers.experiments import wilson_ci
from helpers.gradients import Diagnosis, Finding, GradientMonitor, diagnose
from helpers.models import (
    ACTIVATIONS,
    INITIALIZERS,
    OPTIMIZERS,
    TUTORIAL_INITIALIZER,
    MLPConfig,
    build_mlp,
)
from helpers.plots import plot_lab
from helpers.seeding import seed_everything
from helpers.training import LEARNED_THRESHOLD, train, train_many
from helpers.validation import check_choice, check_float, check_int

#: The settings' bounds: the widgets cannot leave them, run_lab refuses values outside.
DEPTH_RANGE = (1, 30)
WIDTH_RANGE = (2, 64)
EPOCHS_RANGE = (10, 2000)
SEEDS_RANGE = (1, 20)
LEARNING_RATE_RANGE = (1e-4, 1.0)
#: Each optimizer's usual learning rate: the lab switches to it when the optimizer changes.
DEFAULT_LEARNING_RATES = {"sgd": 0.01, "adam": 0.001}
#: What the initializer dropdown shows (other initializers show their name).
INITIALIZER_LABELS = {TUTORIAL_INITIALIZER: "RandomUniform(0, 1) (the tutorial's)"} | {
    name: f"{name} ({hint})" for name, hint in [
        ("glorot_uniform", "Xavier; Keras' default"), ("glorot_normal", "Xavier"),
        ("he_uniform", "He, for ReLU"), ("he_normal", "He, for ReLU"),
        ("lecun_normal", "for SELU"), ("random_uniform", "U(-0.05, 0.05)"),
        ("random_normal", "N(0, 0.05²)"), ("truncated_normal", "N(0, 0.05²), cut at 2σ")]}


@dataclasses.dataclass(frozen=True)
class LabSettings(MLPConfig):
    """One configuration of the lab: an :class:`MLPConfig` whose defaults are the tutorial's failing
    deep network, with the lab's ``epochs``, ``n_seeds`` and ``every_epoch``. Refuses what MLPConfig
    refuses, values outside the ranges above, INITIALIZERS and OPTIMIZERS, naming the setting."""

    depth: int = 5
    optimizer: str = "sgd"
    learning_rate: float = 0.01
    epochs: int = 500
    n_seeds: int = 1
    every_epoch: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()  # refuses what MLPConfig refuses; then the lab's narrower ranges
        for name, bounds in (("depth", DEPTH_RANGE), ("width", WIDTH_RANGE),
                             ("epochs", EPOCHS_RANGE), ("n_seeds", SEEDS_RANGE)):
            check_int(name, getattr(self, name), *bounds)
        check_choice("initializer", self.initializer, INITIALIZERS)  # names only
        check_choice("optimizer", self.optimizer, OPTIMIZERS)  # lower case, not None
        check_float("learning_rate", self.learning_rate, *LEARNING_RATE_RANGE)
        if not isinstance(self.every_epoch, bool):
            raise TypeError(f"every_epoch must be True or False, got {self.every_epoch!r}")

    def describe(self) -> str:
        """One line, e.g. ``5 x 5 tanh, RandomUniform(0, 1), SGD lr 0.01, 500 epochs, 1 seed``."""
        init = ("RandomUniform(0, 1)" if self.initializer == TUTORIAL_INITIALIZER
                else self.initializer)
        return (f"{self.depth} x {self.width} {self.activation}, {init}, "
                f"{'SGD' if self.optimizer == 'sgd' else 'Adam'} lr {self.learning_rate:.3g}, "
                f"{self.epochs} epochs, {self.n_seeds} seed{'s' if self.n_seeds > 1 else ''}")


def _settings(settings: LabSettings | None, changes: dict[str, Any]) -> LabSettings:
    if settings is not None and not isinstance(settings, LabSettings):
        raise TypeError(f"settings must be a LabSettings or None, got {type(settings).__name__}")
    return dataclasses.replace(settings or LabSettings(), **changes)


def lab_notes(settings: LabSettings | None = None, **changes: Any) -> list[str]:
    """Explanations of ``settings`` (or :class:`LabSettings` with ``changes``) that are allowed but
    work against each other; empty when nothing stands out. Refuses what LabSettings refuses."""
    s = _settings(settings, changes)
    depth, width, activation, initializer = s.depth, s.width, s.activation, s.initializer
    notes = []
    positive = initializer == TUTORIAL_INITIALIZER  # RandomUniform(0, 1): all weights positive
    # sigmoid's outputs stay in (0, 1): at width 5 its sums settle below saturation (20 saturates)
    saturates = activation == "tanh" or activation == "sigmoid" and width >= 20
    if positive and depth >= 3 and saturates:
        notes.append(f"With every weight positive, pre-activations add up layer after layer and "
                     f"{activation} units saturate, the more the deeper the layer: in notebook "
                     "05's five-layer tanh network the middle layers get the least gradient.")
    if positive and activation in ("relu", "leaky_relu", "elu", "gelu"):
        notes.append(f"{activation} with all weights positive: the signal grows with every layer "
                     "(He initialization, notebook 04, keeps it in scale).")
    if activation == "selu" and initializer not in ("lecun_normal", "lecun_uniform"):
        square_only = initializer.startswith("glorot_") or initializer == "orthogonal"
        notes.append("SELU is self-normalizing with weights of mean 0 and variance 1/fan_in, as "
                     "lecun_normal and lecun_uniform draw them (Klambauer et al., 2017); "
                     + (f"{initializer} gives that variance only where fan_in = fan_out "
                        "(orthogonal: fan_in >= fan_out), so not in the first layer (unless the "
                        "width is 2)." if square_only else
                        f"{initializer} does not, so the self-normalizing property is not "
                        "guaranteed."))
    if activation == "sigmoid" and depth >= 3:
        notes.append("sigmoid's slope is at most 0.25, so unless the weights make up for it the "
                     f"gradient shrinks about 4x per layer on its way back through {depth} layers "
                     "(Glorot & Bengio, 2010).")
    if activation in ("tanh", "sigmoid") and initializer.startswith("he_"):
        notes.append(f"He initialization is scaled for ReLU (half of the units off): with "
                     f"{activation} it makes pre-activations larger and more units saturate.")
    if activation == "relu" and depth >= 8 and initializer.startswith(("glorot", "lecun")):
        notes.append(f"ReLU switches off about half the signal: with {initializer} its scale "
                     f"shrinks layer by layer; over {depth} layers He initialization keeps it.")
    if initializer in ("random_uniform", "random_normal", "truncated_normal"):
        notes.append(f"{initializer} uses a fixed small scale whatever the layer's width: "
                     "signals and gradients shrink layer by layer in a deep network.")
    if activation == "linear":
        notes.append("With linear units the whole network is one linear function: no depth "
                     "lets it separate two circles.")
    if activation == "relu" and depth >= 15 and width <= 6:
        notes.append(f"A narrow ({width}), deep ({depth}) ReLU network can be dead at the start "
                     "(a layer outputs 0 for every input; with He weights at width 5 and 20 "
                     "layers, 0.35 of them in notebook 07): try several seeds.")
    if s.learning_rate > {"sgd": 0.3, "adam": 0.01}[s.optimizer]:
        notes.append(f"A learning rate of {s.learning_rate:.3g} is large for this optimizer "
                     f"(usual: {DEFAULT_LEARNING_RATES[s.optimizer]}): training may diverge.")
    if s.epochs * depth * (1 + s.n_seeds / 4) > 20_000:
        notes.append("This is a long run: expect it to take a while (progress is shown; the "
                     "previous result stays until the new one is ready).")
    return notes


@dataclasses.dataclass(frozen=True, repr=False)
class LabResult:
    """What :func:`run_lab` returns: ``seeds``, a row per seed (accuracies, losses, ``learned``,
    ``history``); for seed 0 the trained ``model``, its GradientMonitor table, ``diagnose``
    before and after training (the latter's ``findings``) and its ``test_accuracy``; the share
    of seeds that learned with its 95% Wilson interval."""

    settings: LabSettings
    seeds: pd.DataFrame
    model: keras.Model
    monitor_table: pd.DataFrame
    diagnosis_before: Diagnosis
    diagnosis: Diagnosis
    findings: list[Finding]
    test_accuracy: float
    n_learned: int
    success_rate: float
    success_interval: tuple[float, float]
    seconds: float

    def gradient_flow(self, epoch: int | None = None) -> pd.Series:
        """Mean |kernel gradient| per Dense layer (index: layer name) at ``epoch`` (default: the
        last recorded; 0: before training). Refuses an epoch that was not recorded."""
        t = self.monitor_table[self.monitor_table["parameter"] == "kernel"]
        epoch = t["epoch"].max() if epoch is None else epoch
        if epoch not in set(t["epoch"]):
            raise ValueError(f"epoch {epoch} was not recorded; recorded: {sorted(set(t['epoch']))}")
        return t[t["epoch"] == epoch].set_index("layer")["grad_mean_abs"].rename(f"epoch {epoch}")

    def summary(self) -> str:
        """The run in a few lines of plain text."""
        n, (lo, hi) = self.settings.n_seeds, self.success_interval
        lines = [self.settings.describe(),
                 f"First seed (0): Train: {self.seeds['train_accuracy'].iloc[0]:.3f}, "
                 f"Test: {self.test_accuracy:.3f}",
                 f"Learned (test accuracy >= {LEARNED_THRESHOLD:.2f}): {self.n_learned}/{n} seeds"
                 + (f", 95% interval {lo:.2f} to {hi:.2f}" if n > 1 else ""),
                 "First hidden layer's mean |gradient| / output layer's: "
                 f"{self.diagnosis_before.first_to_output_ratio:.2g} before training, "
                 f"{self.diagnosis.first_to_output_ratio:.2g} after"]
        for when, diag in (("Before", self.diagnosis_before), ("After", self.diagnosis)):
            found = "; ".join(f.kind + (f" ({f.layer})" if f.layer else "") for f in diag.findings)
            lines.append(f"{when} training: {found or 'no findings (healthy)'}")
        return "\n".join(lines)


def run_lab(settings: LabSettings | None = None, *,
            progress: Callable[[float, str], None] | None = None, **changes: Any) -> LabResult:
    """Train ``settings`` (default: :class:`LabSettings`', with ``changes``: ``run_lab(depth=3)``)
    on the two circles for seeds 0 to ``n_seeds - 1``; return a :class:`LabResult`. Seed 0 is
    watched by a GradientMonitor and diagnosed, the others trained together by ``train_many``;
    ``progress(fraction, message)`` is called as the run advances. Refuses what
    :class:`LabSettings` refuses."""
    s = _settings(settings, changes)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function or None, got {type(progress).__name__}")
    report = progress or (lambda fraction, message: None)
    start = time.perf_counter()
    train_data, test_data = load_circles()
    share = 0.85 if s.n_seeds == 1 else 0.8 / math.sqrt(s.n_seeds)  # seed 0's part of the bar
    report(0.0, f"seed 1 of {s.n_seeds}: building and diagnosing the model")
    seed = seed_everything(0)
    model = build_mlp(s)
    diagnosis_before = diagnose(model, *train_data)
    monitor = GradientMonitor(*train_data)
    every = max(1, s.epochs // 50)  # 50 to 99 progress reports (one per epoch below 100)

    def epoch_done(epoch: int, logs: dict | None = None) -> None:
        if (epoch + 1) % every == 0:
            report(0.02 + (share - 0.02) * (epoch + 1) / s.epochs,
                   f"seed 1: epoch {epoch + 1}/{s.epochs}")

    callbacks = [keras.callbacks.LambdaCallback(on_epoch_end=epoch_done)]
    if s.every_epoch:
        callbacks.insert(0, monitor)
    else:  # the monitor's hooks by hand: before training and after the last epoch (fast)
        monitor.set_model(model)
        monitor.on_train_begin()
    history = train(model, train_data, test_data, epochs=s.epochs, batch_size=s.batch_size,
                    optimizer=s.optimizer, learning_rate=s.learning_rate, clipnorm=s.clipnorm,
                    clipvalue=s.clipvalue, seed=seed, callbacks=callbacks).history
    if not s.every_epoch:
        monitor.on_epoch_end(s.epochs - 1)
    (train_loss, train_acc), (test_loss, test_acc) = (model.evaluate(*data, verbose=0)
                                                      for data in (train_data, test_data))
    seeds = pd.DataFrame([{"seed": 0, "train_accuracy": train_acc, "test_accuracy": test_acc,
                           "train_loss": train_loss, "test_loss": test_loss,
                           "learned": test_acc >= LEARNED_THRESHOLD, "history": history}])
    report(share, "diagnosing the trained model")
    diagnosis = diagnose(model, *train_data)
    if s.n_seeds > 1:
        report(share + 0.01, f"seeds 2 to {s.n_seeds}: training them together")
        others = train_many(s, seeds=range(1, s.n_seeds), epochs=s.epochs,
                            train_data=train_data, test_data=test_data)
        seeds = pd.concat([seeds, others[seeds.columns]], ignore_index=True)
    k = int(seeds["learned"].sum())
    return LabResult(s, seeds, model, monitor.table, diagnosis_before, diagnosis,
                     list(diagnosis.findings), test_acc, k, k / s.n_seeds,
                     wilson_ci(k, s.n_seeds), time.perf_counter() - start)


def _outputs(result: LabResult) -> tuple[dict, dict]:
    """The lab's two display_data outputs: :func:`plot_lab`'s figure as a PNG (drawn outside
    pyplot, so no figure stays open) and the summary with ``diagnose``'s findings."""
    fig = plot_lab(result, fig=matplotlib.figure.Figure())
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=80, bbox_inches="tight")
    text = f"<pre>{html.escape(result.summary())}</pre>"
    for when, diag in (("Before", result.diagnosis_before), ("After", result.diagnosis)):
        items = "".join(f.to_html() for f in diag.findings) or "<li>nothing wrong</li>"
        text += f"<p>{when} training, <code>diagnose</code> found:</p><ul>{items}</ul>"
    data = ({"image/png": base64.b64encode(png.getvalue()).decode("ascii"),
             "text/plain": repr(fig)},  # as IPython shows a figure
            {"text/html": text, "text/plain": result.summary()})
    return tuple({"output_type": "display_data", "data": d, "metadata": {}} for d in data)


class Lab:
    """The lab's panel: ``display(Lab())``, or ``Lab(**settings)`` to start from other
    :class:`LabSettings`. Train calls :func:`run_lab` (button disabled meanwhile); ``result``:
    the latest LabResult, ``error``: the latest run's exception, ``runs``: finished runs."""

    def __init__(self, **settings: Any):
        import ipywidgets as w

        s = self._start = LabSettings(**settings)
        kw = {"style": {"description_width": "7.5em"}, "layout": w.Layout(width="31em")}
        sliders = {"depth": ("hidden layers", DEPTH_RANGE, 1),
                   "width": ("units / layer", WIDTH_RANGE, 1),
                   "epochs": ("epochs", EPOCHS_RANGE, 10), "n_seeds": ("seeds", SEEDS_RANGE, 1)}
        c = {name: w.IntSlider(value=getattr(s, name), min=lo, max=hi, step=step,
                               description=label, **kw)
             for name, (label, (lo, hi), step) in sliders.items()}
        for name, options in (("activation", ACTIVATIONS),
                              ("initializer", [(INITIALIZER_LABELS.get(n, n), n)
                                               for n in INITIALIZERS]),
                              ("optimizer", [("SGD, momentum 0.9 (the tutorial's)", "sgd"),
                                             ("Adam", "adam")])):
            c[name] = w.Dropdown(options=options, value=getattr(s, name), description=name, **kw)
        c["learning_rate"] = w.FloatLogSlider(
            value=s.learning_rate, min=math.log10(LEARNING_RATE_RANGE[0]),
            max=math.log10(LEARNING_RATE_RANGE[1]), step=0.25, readout_format=".2g",
            description="learning rate", **kw)
        c["every_epoch"] = w.Checkbox(value=s.every_epoch, indent=False,
                                      description="record gradients every epoch (slower)")
        self.controls = c
        self.train_button = w.Button(description="Train", button_style="primary", icon="play")
        self.progress = w.FloatProgress(value=0.0, max=1.0, layout=w.Layout(width="14em"))
        self.status = w.HTML(value="Choose settings, then press <b>Train</b>.")
        self.notes, self.output = w.HTML(), w.Output(layout=w.Layout(min_height="3em"))
        self.result, self.error, self.runs = None, None, 0
        c["optimizer"].observe(self._on_optimizer, names="value")
        for control in c.values():
            control.observe(self._show_notes, names="value")
        self.train_button.on_click(self._on_click)
        self._show_notes()
        columns = (("depth", "width", "activation", "initializer"),
                   ("optimizer", "learning_rate", "epochs", "n_seeds", "every_epoch"))
        self.widget = w.VBox([w.HTML("<h3 style='margin:0'>Gradient-flow lab</h3>"),
                              w.HBox([w.VBox([c[name] for name in names]) for names in columns]),
                              self.notes,
                              w.HBox([self.train_button, self.progress, self.status],
                                     layout=w.Layout(align_items="center")),
                              self.output])
        self.widget.add_class("gradient-lab")

    def settings(self) -> LabSettings:
        """The LabSettings given with the current control values, checked."""
        return dataclasses.replace(self._start, **{n: c.value for n, c in self.controls.items()})

    def _on_optimizer(self, change: dict) -> None:
        self.controls["learning_rate"].value = DEFAULT_LEARNING_RATES[change["new"]]

    def _show_notes(self, change: dict | None = None) -> None:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in lab_notes(self.settings()))
        self.notes.value = items and (
            "<div class='gradient-lab-notes' style='font-size:90%'><b>Note on these settings</b> "
            f"(allowed, but know what to expect):<ul style='margin-top:0.2em'>{items}</ul></div>")

    def _on_click(self, _button: Any = None) -> None:
        if self.train_button.disabled:  # a run is already going
            return
        self.train_button.disabled, self.progress.bar_style = True, ""
        t0 = time.perf_counter()

        def report(fraction: float, message: str) -> None:
            self.progress.value = min(max(fraction, 0.0), 1.0)
            self.status.value = f"{html.escape(message)} … ({time.perf_counter() - t0:.0f} s)"

        try:
            s = self.settings()
            report(0.0, f"Training {s.describe()}")
            result = run_lab(s, progress=report)
            report(0.97, "drawing")
            self.output.outputs = _outputs(result)  # the previous result goes only now
        except Exception as exc:  # shown to the learner; the previous result stays
            self.error, self.progress.bar_style = exc, "danger"
            kept = " The previous result is kept below." if self.result is not None else ""
            self.status.value = (
                "<span class='gradient-lab-error' style='color:#b00020'>Training failed: "
                f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}.{kept}</span>")
        else:
            self.result, self.error, self.runs = result, None, self.runs + 1
            self.progress.value, self.progress.bar_style = 1.0, "success"
            self.status.value = (f"Run {self.runs} finished in {result.seconds:.1f} s: test "
                                 f"accuracy {result.test_accuracy:.3f}, {result.n_learned}/"
                                 f"{result.settings.n_seeds} seeds learned.")
        finally:
            self.train_button.disabled = False

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
