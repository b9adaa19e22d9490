"""helpers.transformer: the reversal task, the three block placements, the gradient per block and
the trainer (fast), and notebook 12's headline claim re-measured on seeds it never uses (slow)."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from helpers.seeding import seed_everything
from helpers.transformer import (
    DEFAULT_SETTINGS,
    HEADLINE_DEPTH,
    LEARNED_ACCURACY,
    PLACEMENTS,
    block_gradients,
    build_transformer,
    make_reversal,
    profile_array,
    profile_config,
    sweep_configs,
    train_config,
    train_transformer_many,
)


@pytest.fixture(autouse=True)
def _float64():
    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx(before)


TINY = {"length": 4, "vocab": 4, "width": 8, "heads": 2, "n_train": 40, "epochs": 1,
        "batch_size": 20}


def test_reversal_data_is_seeded_and_reversed():
    x, y = make_reversal(50, 6, 5, seed=3)
    assert x.shape == y.shape == (50, 6)
    np.testing.assert_array_equal(y, x[:, ::-1])
    assert x.min() >= 0 and x.max() <= 4 and len(np.unique(x)) == 5
    np.testing.assert_array_equal(make_reversal(50, 6, 5, seed=3)[0], x)
    assert not np.array_equal(make_reversal(50, 6, 5, seed=4)[0], x)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"n": 0, "length": 5, "vocab": 4, "seed": 0}, ValueError, "n must be at least 1"),
    ({"n": 5, "length": 1, "vocab": 4, "seed": 0}, ValueError, "length"),
    ({"n": 5, "length": 5, "vocab": 1, "seed": 0}, ValueError, "vocab"),
    ({"n": 5, "length": 5, "vocab": 4, "seed": -1}, ValueError, "seed"),
])
def test_reversal_refuses_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        make_reversal(**kwargs)


def test_bad_placement_depth_width_and_settings_are_refused():
    with pytest.raises(ValueError, match="placement") as info:
        build_transformer("middle", 2)
    assert all(p in str(info.value) for p in PLACEMENTS)
    with pytest.raises(ValueError, match="depth"):
        build_transformer("pre", 0)
    with pytest.raises(ValueError, match="multiple of heads"):
        build_transformer("pre", 1, width=10, heads=3)
    with pytest.raises(TypeError, match="unknown setting.*epoch_count"):
        train_transformer_many("pre", 2, [0], epoch_count=3)
    with pytest.raises(ValueError, match="learning_rate"):
        train_transformer_many("pre", 2, [0], learning_rate=0.0)
    with pytest.raises(ValueError, match="warmup_steps"):
        train_transformer_many("pre", 2, [0], warmup_steps=-1)
    with pytest.raises(ValueError, match="seeds"):
        train_transformer_many("pre", 2, [])
    with pytest.raises(ValueError, match="seed must be at most"):  # before seed 0 trains
        train_transformer_many("pre", 2, [0, 2**31], epochs=1, n_train=8)


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_models_and_block_gradients(placement):
    seed_everything(0)
    model = build_transformer(placement, 3, length=4, vocab=4, width=8)
    x, y = make_reversal(6, 4, 4, seed=1)
    p = model(x).numpy()
    assert p.shape == (6, 4, 4)
    np.testing.assert_allclose(p.sum(-1), 1.0)
    norms = [layer for layer in model.layers if "norm" in layer.name]
    assert len(norms) == {"post": 6, "pre": 7, "rezero": 0}[placement]
    g = block_gradients(model, x, y)
    assert g.shape == (3,) and np.all(np.isfinite(g))
    if placement == "rezero":  # every gate starts at 0: no gradient reaches a branch's weights
        np.testing.assert_array_equal(g, 0.0)
    else:
        assert np.all(g > 0)


def test_block_gradients_refuses_a_model_without_blocks():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="no transformer blocks"):
        block_gradients(model, np.zeros((1, 2)), np.zeros((1,)))


def test_trainer_columns_determinism_and_reuse():
    a = train_transformer_many("pre", 2, [2, 3], **TINY)
    assert list(a.columns) == ["seed", "train_loss", "test_accuracy", "learned",
                               "grad_last_over_first"]
    assert a["seed"].tolist() == [2, 3]
    assert a["test_accuracy"].between(0, 1).all()
    assert (a["learned"] == (a["test_accuracy"] >= LEARNED_ACCURACY)).all()
    # a seed gives the same row whether it runs first (fresh model) or after another one
    b = train_config({"placement": "pre", "depth": 2, "warmup_steps": 0, **TINY}, [3])
    pd.testing.assert_frame_equal(a.iloc[[1]].reset_index(drop=True), b)


def test_warmup_changes_the_run():
    cold = train_transformer_many("post", 2, [0], **TINY)
    warm = train_transformer_many("post", 2, [0], warmup_steps=10, **TINY)
    assert cold["train_loss"].iloc[0] != warm["train_loss"].iloc[0]
    assert cold["grad_last_over_first"].iloc[0] == warm["grad_last_over_first"].iloc[0]


def test_profile_matches_the_trainers_ratio():
    prof = profile_config({"placement": "post", "depth": 3, **TINY}, [5])
    g = profile_array(prof["gradients"].iloc[0])
    run = train_transformer_many("post", 3, [5], **TINY)
    assert len(g) == 3
    assert g[-1] / g[0] == pytest.approx(run["grad_last_over_first"].iloc[0], rel=1e-12)


def test_sweep_configs_spell_out_every_setting():
    depths = (d for d in [2, 4])  # a one-shot iterator is read once per placement
    configs = sweep_configs(["post", "pre"], depths, warmup_steps=5, epochs=2)
    assert [(c["placement"], c["depth"]) for c in configs] == [("post", 2), ("post", 4),
                                                               ("pre", 2), ("pre", 4)]
    assert all(c["epochs"] == 2 and c["warmup_steps"] == 5 and
               set(DEFAULT_SETTINGS) <= set(c) for c in configs)
    assert HEADLINE_DEPTH >= 2 and 0 < LEARNED_ACCURACY < 1
