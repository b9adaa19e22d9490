"""helpers.scale: the digits split, the recipes, the model, training over seeds, diagnostics."""

import keras
import numpy as np
import pytest

from helpers import seed_everything
from helpers.scale import (
    HEADLINE,
    RECIPES,
    UpdateRatio,
    build_digits_mlp,
    build_recipe,
    compile_for_digits,
    gradient_norms,
    hidden_activations,
    load_digits_split,
    saturated_share,
    sweep_configs,
    train_config,
    train_digits_many,
)


def test_split_is_standardized_stratified_and_reproducible():
    (x, y), (xt, yt) = load_digits_split(0)
    assert x.shape[1] == 64 and len(x) + len(xt) == 1797
    assert np.allclose(x.mean(axis=0), 0) and set(np.unique(yt)) == set(range(10))
    (x2, _), _ = load_digits_split(0)
    (x3, _), _ = load_digits_split(1)
    assert np.array_equal(x, x2) and not np.array_equal(x, x3)
    with pytest.raises(ValueError, match="test_size"):
        load_digits_split(0, test_size=1.0)


def test_recipes_and_headline():
    assert {"sigmoid_glorot", "tanh_glorot", "relu_he"} <= set(RECIPES)
    assert set(HEADLINE) == {"depth", "width"}


def test_models_have_named_hidden_layers_and_ten_outputs():
    for recipe in ("relu_he_bn", "relu_he_res_bn", "sigmoid_glorot"):
        model = build_recipe(recipe, 3, 8)
        assert model.outputs[0].shape[-1] == 10
        assert [lay.name for lay in model.layers if lay.name.startswith("hidden_")
                and isinstance(lay, keras.layers.Dense)] == ["hidden_1", "hidden_2", "hidden_3"]
    with pytest.raises(ValueError, match="recipe"):
        build_recipe("swish_he", 3)
    with pytest.raises(ValueError, match="residual"):
        build_digits_mlp(1, residual=True)


def test_diagnostics_shapes():
    (x, y), _ = load_digits_split()
    seed_everything(0)
    model = build_recipe("relu_he_bn", 3, 8)
    assert gradient_norms(model, x[:50], y[:50]).shape == (3,)
    acts = hidden_activations(model, x[:50])
    assert len(acts) == 3 and acts[0].shape == (50, 8) and acts[0].min() >= 0
    assert saturated_share(np.array([0.01, 0.5, 0.99, 0.98]), "sigmoid") == 0.75
    assert saturated_share(np.array([0.0, -1.0, 2.0]), "relu") == 2 / 3
    with pytest.raises(ValueError, match="activation"):
        saturated_share(np.zeros(3), "softplus")
    one = hidden_activations(build_digits_mlp(1, 8), x[:5])  # one block: still a list of one
    assert len(one) == 1 and one[0].shape == (5, 8)


def test_sweep_configs_read_the_depths_once_per_recipe():
    configs = sweep_configs(["relu_he", "sigmoid_glorot"], (d for d in [2, 3]), width=8)
    assert [(c["recipe"], c["depth"]) for c in configs] == [
        ("relu_he", 2), ("relu_he", 3), ("sigmoid_glorot", 2), ("sigmoid_glorot", 3)]


def test_update_ratio_records_one_value_per_layer_and_epoch():
    (x, y), _ = load_digits_split()
    seed_everything(0)
    model = compile_for_digits(build_recipe("relu_he", 2, 8))
    ratio = UpdateRatio()
    model.fit(x[:64], y[:64], epochs=2, batch_size=32, verbose=0, callbacks=[ratio])
    assert len(ratio.ratios) == 2 and ratio.ratios[0].shape == (2,)
    assert np.all(ratio.ratios[0] > 0)


def test_train_digits_many_rows_and_refusals():
    runs = train_digits_many("relu_he", 2, 8, [0, 1], epochs=1)
    assert list(runs.columns) == ["seed", "train_accuracy", "test_accuracy", "learned"]
    assert list(runs.seed) == [0, 1]
    again = train_digits_many("relu_he", 2, 8, [1], epochs=1)
    assert again.test_accuracy.iloc[0] == runs.test_accuracy.iloc[1]
    with pytest.raises(TypeError, match="unknown setting"):
        train_digits_many("relu_he", 2, 8, [0], epoch=1)
    with pytest.raises(ValueError, match="recipe"):
        train_digits_many("relu", 2, 8, [0])
    with pytest.raises(ValueError, match="optimizer"):
        sweep_configs(["relu_he"], [2], optimizer="rmsprop")
    with pytest.raises(ValueError, match="workers"):
        train_digits_many("relu_he", 2, 8, [0], workers=0)


def test_seeds_shared_out_over_worker_processes_give_the_same_rows():
    """A second process (as train_config uses on two cores) returns exactly the rows of one,
    in the order of the seeds, computed in the caller's precision (conftest: float64)."""
    one = train_digits_many("relu_he", 3, 8, [4, 0, 7], epochs=1)
    two = train_digits_many("relu_he", 3, 8, [4, 0, 7], workers=2, epochs=1)
    assert list(two.seed) == [4, 0, 7]
    assert two.equals(one)
    assert two.test_accuracy.nunique() > 1  # the seeds really differ


def test_train_config_refuses_a_precision_other_than_the_stored_tables():
    config = sweep_configs(["relu_he"], [2], width=8, epochs=1)[0]
    keras.config.set_floatx("float32")
    try:
        with pytest.raises(ValueError, match="float64"):
            train_config(config, [0])
    finally:
        keras.config.set_floatx("float64")  # conftest's precision
