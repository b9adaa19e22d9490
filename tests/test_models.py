import dataclasses

import keras
import numpy as np
import pytest

from helpers import seed_everything
from helpers.models import ACTIVATIONS, INITIALIZERS, MLPConfig, build_mlp


def test_structure():
    model = build_mlp(5)
    names = [layer.name for layer in model.layers]
    assert names == ["hidden_1", "hidden_2", "hidden_3", "hidden_4", "hidden_5", "output"]
    assert model.input_shape == (None, 2)
    assert model.layers[-1].units == 1
    assert model.layers[-1].activation.__name__ == "sigmoid"
    assert all(layer.units == 5 for layer in model.layers[:-1])
    assert all(layer.activation.__name__ == "tanh" for layer in model.layers[:-1])


def test_every_layer_draws_its_own_weights():
    # The Keras 3 trap: one initializer instance shared by layers gives them equal kernels.
    seed_everything(0)
    model = build_mlp(5)
    kernels = [layer.kernel.numpy() for layer in model.layers[1:-1]]  # all 5x5
    for i in range(len(kernels)):
        for j in range(i + 1, len(kernels)):
            assert not np.allclose(kernels[i], kernels[j])


def test_tutorial_initializer_is_uniform_0_1_everywhere():
    seed_everything(0)
    model = build_mlp(5)
    for layer in model.layers:
        w = layer.kernel.numpy()
        assert w.min() >= 0 and w.max() <= 1
        assert 0.3 < w.mean() < 0.7
        assert np.all(layer.bias.numpy() == 0)


def test_output_initializer_rule():
    seed_everything(0)
    relu = build_mlp(5, activation="relu", initializer="he_uniform")
    # output layer: Keras' default glorot_uniform, limit sqrt(6 / (5 + 1)) = 1, with negatives
    out = relu.layers[-1].kernel.numpy()
    assert out.min() < 0 and np.abs(out).max() <= 1.0
    hidden = relu.layers[0].kernel.numpy()
    assert np.abs(hidden).max() <= np.sqrt(6 / 2) + 1e-6  # he_uniform limit for fan_in 2
    explicit = build_mlp(2, output_initializer="he_uniform")
    assert explicit.layers[-1].kernel.numpy().min() < 0


def test_same_seed_same_weights_and_different_seed_different():
    seed_everything(3)
    a = build_mlp(3, activation="relu", initializer="he_uniform").get_weights()
    seed_everything(3)
    b = build_mlp(3, activation="relu", initializer="he_uniform").get_weights()
    seed_everything(4)
    c = build_mlp(3, activation="relu", initializer="he_uniform").get_weights()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.allclose(a[0], c[0])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_all_activations_build(activation):
    assert isinstance(build_mlp(2, activation=activation), keras.Sequential)


@pytest.mark.parametrize("initializer", INITIALIZERS)
def test_all_initializers_build(initializer):
    assert isinstance(build_mlp(2, initializer=initializer), keras.Sequential)


def test_a_keras_initializer_gives_the_weights_keras_layers_draw_with_it():
    # notebook 09 trains its own scale-16 ReLU network through build_mlp/train_many this way
    def init():
        return keras.initializers.VarianceScaling(16.0, "fan_in", "uniform")

    seed_everything(3)
    own = keras.Sequential([keras.Input(shape=(2,))]
                           + [keras.layers.Dense(5, "relu", kernel_initializer=init())
                              for _ in range(20)]
                           + [keras.layers.Dense(1, "sigmoid", kernel_initializer=init())])
    scale_16 = init()  # made before seeding: making an unseeded initializer draws a seed
    seed_everything(3)
    built = build_mlp(20, activation="relu", initializer=scale_16, output_initializer=scale_16)
    assert all(np.array_equal(a, b) for a, b in zip(own.get_weights(), built.get_weights()))
    kernels = [layer.kernel.numpy() for layer in built.layers[1:-1]]
    assert not np.array_equal(kernels[0], kernels[1])  # a copy per layer, not one shared draw


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"depth": 0}, ValueError, "depth"),
    ({"depth": 2.5}, TypeError, "depth"),
    ({"depth": True}, TypeError, "depth"),
    ({"depth": 2, "width": 0}, ValueError, "width"),
    ({"depth": 2, "activation": "swish"}, ValueError, "activation.*tanh"),
    ({"depth": 2, "initializer": "xavier"}, ValueError, "initializer.*he_uniform"),
    ({"depth": 2, "initializer": 0.5}, TypeError, "initializer.*keras.initializers"),
    ({"depth": 2, "output_initializer": keras.layers.Dense(1)}, TypeError, "output_initializer"),
    ({"depth": 2, "output_initializer": "nope"}, ValueError, "output_initializer"),
])
def test_bad_input(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        build_mlp(**kwargs)


def test_batch_norm_and_residual_structure():
    bn = build_mlp(3, activation="relu", initializer="he_uniform", batch_norm=True)
    names = [layer.name for layer in bn.layers]
    assert "hidden_2_bn" in names and "hidden_2_act" in names
    assert bn.get_layer("hidden_2").activation.__name__ == "linear"
    res = build_mlp(3, activation="relu", initializer="he_uniform", residual=True)
    names = [layer.name for layer in res.layers]
    assert "hidden_1_add" not in names and "hidden_2_add" in names and "hidden_3_add" in names
    x = np.zeros((4, 2), dtype=np.float32)
    assert res(x).shape == (4, 1) and bn(x).shape == (4, 1)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"depth": 1, "residual": True}, ValueError, "residual=True needs depth >= 2"),
    ({"depth": 3, "batch_norm": "yes"}, TypeError, "batch_norm"),
    ({"depth": 3, "residual": 1}, TypeError, "residual"),
    ({"depth": 3, "activation": "linear", "batch_norm": True}, ValueError, "linear"),
])
def test_bad_options(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        build_mlp(**kwargs)


# --------------------------------------------------------------------------- MLPConfig


def test_config_and_keywords_build_the_same_network():
    config = MLPConfig(4, activation="relu", initializer="he_uniform", batch_norm=True)
    assert MLPConfig.of(config, width=7) == dataclasses.replace(config, width=7)
    assert MLPConfig.of(4, 5, "relu", "he_uniform", batch_norm=True) == config
    assert MLPConfig.of({"depth": 4, "activation": "relu", "initializer": "he_uniform",
                         "batch_norm": True}) == config
    seed_everything(1)
    a = build_mlp(config)
    seed_everything(1)
    b = build_mlp(4, activation="relu", initializer="he_uniform", batch_norm=True)
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.depth = 3
    with pytest.raises(TypeError, match="by keyword"):
        build_mlp(2, 5, "tanh", "uniform_0_1", "glorot_uniform")
    with pytest.raises(TypeError, match="nope"):
        build_mlp(2, nope=1)


def test_bias_initializer_reaches_every_dense_layer():
    """The field added to show what a new option costs: zeros by default (the numbers of
    every stored table), any initializer name otherwise."""
    assert all(not layer.bias.numpy().any() for layer in build_mlp(3).layers)
    seed_everything(0)
    model = build_mlp(3, bias_initializer="random_normal")
    assert all(layer.bias.numpy().all() for layer in model.layers)
    with pytest.raises(ValueError, match="bias_initializer.*he_uniform"):
        MLPConfig(2, bias_initializer="twos")


def test_remedies_are_valid_configurations():
    from helpers.remedies import REMEDIES
    for fields in REMEDIES.values():
        MLPConfig(2, **fields)
