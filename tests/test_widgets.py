"""The gradient-flow lab without a browser: run_lab directly, and the widget driven the way a
learner drives it (set the controls, click Train), checking what ends up in its outputs."""

from __future__ import annotations

import base64

import pytest
import traitlets

import helpers.widgets as hw
from helpers.training import LEARNED_THRESHOLD, train_many
from helpers.widgets import Lab, LabResult, LabSettings, lab_notes, run_lab

SMALL = {"depth": 3, "width": 4, "epochs": 20}


@pytest.fixture(scope="module")
def small_result() -> LabResult:
    return run_lab(**SMALL)


def _pngs(lab: Lab) -> list[bytes]:
    return [base64.b64decode(o["data"]["image/png"]) for o in lab.output.outputs
            if "image/png" in o.get("data", {})]


# --------------------------------------------------------------------------- run_lab


def test_run_lab_returns_what_it_says(small_result):
    r = small_result
    assert isinstance(r, LabResult)
    assert (r.settings.depth, r.settings.width, r.settings.epochs) == (3, 4, 20)
    history = r.seeds["history"].iloc[0]
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 20 for v in history.values())
    assert len(r.seeds) == 1
    # The monitor saw every Dense layer before training (epoch 0) and after the last epoch.
    t = r.monitor_table
    assert sorted(t["epoch"].unique()) == [0, 20]
    assert list(dict.fromkeys(t["layer"])) == ["hidden_1", "hidden_2", "hidden_3", "output"]
    assert (t.loc[t["parameter"] == "kernel", "grad_mean_abs"] >= 0).all()
    prof = r.gradient_flow()
    assert list(prof.index) == ["hidden_1", "hidden_2", "hidden_3", "output"]
    assert prof.name == "epoch 20"
    assert list(r.gradient_flow(0)) != list(prof)  # before training
    with pytest.raises(ValueError, match="not recorded"):
        r.gradient_flow(5)
    # The model is the trained first seed: its accuracy is the one reported.
    assert len(r.model.layers) == 4
    assert r.seeds["seed"].tolist() == [0]
    assert r.success_rate == float(r.test_accuracy >= LEARNED_THRESHOLD)
    assert r.findings == list(r.diagnosis.findings)
    assert 0.0 <= r.success_interval[0] <= r.success_rate <= r.success_interval[1] <= 1.0
    text = r.summary()
    assert "3 x 4 tanh, RandomUniform(0, 1), SGD lr 0.01, 20 epochs, 1 seed" in text
    assert f"Test: {r.test_accuracy:.3f}" in text


def test_run_lab_several_seeds_match_train_many():
    r = run_lab(depth=2, width=5, activation="relu", initializer="he_uniform", epochs=30,
                n_seeds=3)
    assert r.seeds["seed"].tolist() == [0, 1, 2]
    assert len(r.seeds["history"].iloc[2]["val_accuracy"]) == 30
    assert r.success_rate == pytest.approx(r.seeds["learned"].mean())
    assert r.n_learned == int(r.seeds["learned"].sum())
    # The first seed, trained with train + monitor, is the run train_many would make.
    ref = train_many(2, 5, "relu", "he_uniform", seeds=[0, 1], epochs=30)
    assert r.seeds["test_accuracy"].iloc[0] == pytest.approx(ref["test_accuracy"].iloc[0],
                                                             abs=1e-6)
    assert r.seeds["test_accuracy"].iloc[1] == pytest.approx(ref["test_accuracy"].iloc[1],
                                                             abs=1e-6)


def test_run_lab_every_epoch_and_progress():
    calls = []
    r = run_lab(depth=2, width=3, epochs=12, optimizer="adam", learning_rate=0.001,
                every_epoch=True, progress=lambda f, m: calls.append((f, m)))
    assert sorted(r.monitor_table["epoch"].unique()) == list(range(13))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and 0.0 <= fractions[0] and fractions[-1] <= 1.0
    assert any("epoch 12/12" in m for _, m in calls)
    assert r.settings.optimizer == "adam"


@pytest.mark.parametrize("kwargs, name", [
    ({"depth": 0}, "depth"), ({"depth": 31}, "depth"), ({"width": 1}, "width"),
    ({"width": 65}, "width"), ({"epochs": 5}, "epochs"), ({"epochs": 2001}, "epochs"),
    ({"n_seeds": 0}, "n_seeds"), ({"n_seeds": 21}, "n_seeds"),
    ({"learning_rate": 0.0}, "learning_rate"), ({"learning_rate": 2.0}, "learning_rate"),
    ({"activation": "swish"}, "activation"), ({"initializer": "zeros"}, "initializer"),
    ({"optimizer": "rmsprop"}, "optimizer"), ({"depth": 2.5}, "depth"),
])
def test_run_lab_refuses_impossible_values(kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        run_lab(**kwargs)


def test_notes_explain_odd_combinations():
    def notes(*args, **changes):  # lab_notes takes a LabSettings (or its fields by keyword)
        return lab_notes(LabSettings(*args, **changes))

    assert any("lecun_normal" in n for n in notes(5, 5, "selu", "glorot_uniform"))
    assert not any("lecun_normal" in n for n in notes(5, 5, "selu", "lecun_normal"))
    assert not any("SELU" in n for n in notes(5, 5, "selu", "lecun_uniform"))
    assert any("fan_in = fan_out" in n for n in notes(5, 5, "selu", "glorot_uniform"))
    assert any("not guaranteed" in n for n in notes(5, 5, "selu", "he_uniform"))
    assert not any("He initialization" in n for n in notes(5, 5, "selu", "uniform_0_1"))
    assert any("saturate" in n for n in notes(10, 20, "sigmoid", "uniform_0_1"))
    assert not any("saturate, the more" in n for n in notes(10, 5, "sigmoid", "uniform_0_1"))
    assert any("positive" in n for n in notes(5, 5, "relu", "uniform_0_1"))
    assert any("0.25" in n for n in notes(10, 5, "sigmoid", "glorot_uniform"))
    assert any("linear" in n for n in notes(3, 5, "linear", "glorot_uniform"))
    assert any("dead" in n for n in notes(20, 5, "relu", "he_uniform", n_seeds=5))
    assert notes(5, 5, "relu", "he_uniform") == []
    assert notes(5, 5, "tanh", "glorot_uniform") == []
    assert lab_notes(depth=20, width=5, activation="relu", initializer="he_uniform") == notes(
        20, 5, "relu", "he_uniform")


def test_plot_lab_draws_four_panels(small_result):
    from matplotlib.figure import Figure

    from helpers.plots import plot_lab

    fig = plot_lab(small_result, fig=Figure())
    assert len(fig.axes) == 4
    flow = fig.axes[1]
    assert flow.get_yscale() == "log"
    assert [t.get_text() for t in flow.get_legend().get_texts()] == ["before training",
                                                                     "after epoch 20"]
    assert [t.get_text() for t in flow.get_xticklabels()][-1] == "out"
    with pytest.raises(TypeError, match="LabResult"):
        plot_lab("not a result")


# --------------------------------------------------------------------------- the widget


def test_controls_are_bounded_and_labelled():
    lab = Lab()
    c = lab.controls
    assert {"depth", "width", "activation", "initializer", "optimizer", "learning_rate",
            "epochs", "n_seeds"} <= set(c)
    assert (c["depth"].min, c["depth"].max) == (1, 30)
    assert (c["width"].min, c["width"].max) == (2, 64)
    assert (c["n_seeds"].min, c["n_seeds"].max) == (1, 20)
    c["depth"].value = 100  # sliders clamp: an impossible depth cannot be entered
    assert c["depth"].value == 30
    c["epochs"].value = 10**6
    assert c["epochs"].value == hw.EPOCHS_RANGE[1]
    c["learning_rate"].value = 50.0
    assert c["learning_rate"].value <= hw.LEARNING_RATE_RANGE[1]
    with pytest.raises(traitlets.TraitError):
        c["activation"].value = "swish"
    labels = dict((v, k) for k, v in c["initializer"].options)
    assert "RandomUniform(0, 1)" in labels["uniform_0_1"]
    assert c["initializer"].value == "uniform_0_1"
    assert "momentum" in dict((v, k) for k, v in c["optimizer"].options)["sgd"]
    lab.settings()  # the clamped values are valid settings


def test_lab_starts_from_given_settings():
    lab = Lab(depth=12, activation="selu", initializer="lecun_normal",
              optimizer="adam", learning_rate=0.001, every_epoch=True)
    got = lab.settings()
    assert (got.depth, got.activation, got.optimizer, got.every_epoch) == (12, "selu", "adam",
                                                                            True)
    assert got.learning_rate == pytest.approx(0.001)
    with pytest.raises(ValueError, match="depth"):
        Lab(depth=40)


def test_notes_follow_the_controls():
    lab = Lab(activation="relu", initializer="he_uniform")
    assert lab.notes.value == ""
    lab.controls["activation"].value = "selu"
    assert "lecun_normal" in lab.notes.value
    lab.controls["initializer"].value = "lecun_normal"
    assert "lecun_normal" not in lab.notes.value


def test_optimizer_switch_sets_its_learning_rate():
    lab = Lab()
    lab.controls["optimizer"].value = "adam"
    assert lab.controls["learning_rate"].value == pytest.approx(0.001)
    lab.controls["optimizer"].value = "sgd"
    assert lab.controls["learning_rate"].value == pytest.approx(0.01)


def test_click_trains_and_shows_the_result():
    lab = Lab()
    assert lab.output.outputs == () and lab.result is None
    for name, value in {**SMALL, "activation": "relu", "initializer": "he_uniform"}.items():
        lab.controls[name].value = value
    lab.train_button.click()
    assert lab.error is None, lab.status.value
    r = lab.result
    assert (r.settings.depth, r.settings.activation, r.settings.epochs) == (3, "relu", 20)
    pngs = _pngs(lab)
    assert len(pngs) == 1 and pngs[0].startswith(b"\x89PNG")
    texts = [o["data"]["text/plain"] for o in lab.output.outputs]
    assert texts[0] == "<Figure size 1100x850 with 4 Axes>"
    assert "3 x 4 relu, he_uniform" in texts[1]
    html = lab.output.outputs[1]["data"]["text/html"]
    assert "diagnose" in html and f"{r.test_accuracy:.3f}" in html
    assert not lab.train_button.disabled
    assert lab.progress.value == 1.0
    assert "Run 1 finished" in lab.status.value

    # A second run with other settings replaces the outputs.
    first_outputs = lab.output.outputs
    lab.controls["depth"].value = 2
    lab.train_button.click()
    assert lab.result.settings.depth == 2 and lab.runs == 2
    assert lab.output.outputs != first_outputs
    assert "2 x 4 relu" in lab.output.outputs[1]["data"]["text/plain"]


def test_button_disabled_while_training(monkeypatch):
    lab = Lab(**SMALL)
    seen = []
    real = hw.run_lab

    def spy(*args, **kwargs):
        seen.append(lab.train_button.disabled)
        kwargs["progress"](0.5, "halfway")
        seen.append(lab.status.value)
        return real(*args, **kwargs)

    monkeypatch.setattr(hw, "run_lab", spy)
    lab.train_button.click()
    assert seen[0] is True and "halfway" in seen[1] and "s)" in seen[1]  # stage, seconds
    assert not lab.train_button.disabled
    # A click while a run is going is ignored (no second run on top of it).
    lab.train_button.disabled = True
    lab.train_button.click()
    assert lab.runs == 1
    lab.train_button.disabled = False


def test_failed_run_keeps_the_previous_result(monkeypatch):
    lab = Lab(**SMALL)
    lab.train_button.click()
    before_outputs, before_result = lab.output.outputs, lab.result
    assert before_result is not None

    def broken(*args, **kwargs):
        raise RuntimeError("the kernel ran out of patience")

    monkeypatch.setattr(hw, "run_lab", broken)
    lab.controls["depth"].value = 7
    lab.train_button.click()
    assert lab.output.outputs == before_outputs  # still there, unchanged
    assert lab.result is before_result
    assert isinstance(lab.error, RuntimeError)
    assert "ran out of patience" in lab.status.value
    assert "previous result is kept" in lab.status.value
    assert "Traceback" not in lab.status.value
    assert not lab.train_button.disabled
    assert lab.progress.bar_style == "danger"

    # A failure while drawing is caught the same way.
    monkeypatch.setattr(hw, "run_lab", lambda *a, **k: "not a LabResult")
    lab.train_button.click()
    assert lab.output.outputs == before_outputs and not lab.train_button.disabled
    assert "TypeError" in lab.status.value


def test_lab_displays_as_its_widget():
    import ipywidgets

    lab = Lab()
    assert isinstance(lab.widget, ipywidgets.VBox)
    assert lab.train_button in lab.widget.children[3].children
    assert lab.output in lab.widget.children


def test_lab_and_plots_import_each_other_in_one_direction_only():
    import ast
    import inspect

    import helpers.plots

    tree = ast.parse(inspect.getsource(helpers.plots))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "helpers.widgets" not in imported and "helpers.plots" in {
        n.module for n in ast.walk(ast.parse(inspect.getsource(hw)))
        if isinstance(n, ast.ImportFrom)}
