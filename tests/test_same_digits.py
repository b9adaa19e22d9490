"""Same digits on every CPU: the stand-in for "another machine".

Two CPUs differ in the last bit of some float results (their kernels round differently), and
500 epochs of SGD can amplify such a difference into another printed accuracy. The course trains
in float64 (every notebook's setup cell) so that this does not happen. These tests re-run the
course's single-model headline runs with every initial weight perturbed at the rounding level of
the float type in use (a relative change of one machine epsilon, random sign) and assert that
every digit the notebooks print for those runs is unchanged.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from helpers import seed_everything
from helpers.models import build_mlp
from helpers.training import train


def _scaled_relu_net(depth: int, scale: float) -> keras.Model:
    """Notebook 09's width-5 ReLU network with weights of variance scale / fan_in."""
    def init():
        return keras.initializers.VarianceScaling(scale, "fan_in", "uniform")
    return keras.Sequential(
        [keras.Input(shape=(2,))]
        + [keras.layers.Dense(5, activation="relu", kernel_initializer=init())
           for _ in range(depth)]
        + [keras.layers.Dense(1, activation="sigmoid", kernel_initializer=init())])


def _perturb(model: keras.Model, seed: int) -> None:
    """Multiply every weight by (1 +/- eps), eps the float type's machine epsilon."""
    rng = np.random.default_rng(seed)
    eps = np.finfo(keras.config.floatx()).eps
    model.set_weights([w * (1 + eps * rng.choice([-1.0, 1.0], size=w.shape))
                       for w in model.get_weights()])


def _printed(model: keras.Model, data, seed: int, epochs: int = 500, **kw) -> str:
    """What the notebooks print for a run: accuracies to 3 decimals, losses to 3 digits."""
    h = train(model, *data, epochs=epochs, seed=seed, **kw).history
    return (f"Train: {h['accuracy'][-1]:.3f} / {model.evaluate(*data[0], verbose=0)[1]:.3f}, "
            f"Test: {h['val_accuracy'][-1]:.3f}, losses "
            + " ".join(f"{v:.3g}" for v in h["loss"][:5] + h["loss"][-1:]))


RUNS = {  # notebook: how its headline model is built, and its seed
    "02 shallow tanh": (lambda: build_mlp(1, 5, "tanh", "uniform_0_1"), 1, {}),
    "03 deep tanh": (lambda: build_mlp(5, 5, "tanh", "uniform_0_1"), 0, {}),
    "04 ReLU + He": (lambda: build_mlp(5, 5, "relu", "he_uniform"), 1, {}),
    "05 deep tanh": (lambda: build_mlp(5, 5, "tanh", "uniform_0_1"), 0, {}),
    "05 deep ReLU": (lambda: build_mlp(5, 5, "relu", "he_uniform"), 0, {}),
    "06 tanh + Glorot": (lambda: build_mlp(5, 5, "tanh", "glorot_uniform"), 0, {}),
    "09 scale 16, clipnorm 1": (lambda: _scaled_relu_net(20, 16.0), 0,
                                {"epochs": 100, "clipnorm": 1.0}),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_printed_digits_survive_rounding_level_perturbation(name, circles):
    build, seed, kw = RUNS[name]
    assert keras.config.floatx() == "float64"
    seed_everything(seed)
    reference = build()
    seed_everything(seed)
    perturbed = build()
    _perturb(perturbed, seed=1234)
    assert any(not np.array_equal(a, b) for a, b in
               zip(reference.get_weights(), perturbed.get_weights()))
    assert _printed(reference, circles, seed, **kw) == _printed(perturbed, circles, seed, **kw)
