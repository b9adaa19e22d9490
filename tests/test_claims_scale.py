"""The claims notebook 11 makes, checked on seeds the notebook never uses (1000 and up)."""

import numpy as np
import pytest

from helpers import seed_everything
from helpers.experiments import dead_at_init
from helpers.scale import (HEADLINE, build_recipe, gradient_norms, load_digits_split,
                           train_digits_many)

SEEDS = range(1000, 1010)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


@pytest.mark.slow
def test_headline_sigmoid_stays_at_chance_where_relu_he_learns():
    # notebook 11: at HEADLINE, sigmoid + Glorot learns in at most 30% of seeds, ReLU + He in
    # at least 70%
    sigmoid = train_digits_many("sigmoid_glorot", seeds=SEEDS, **HEADLINE)
    relu = train_digits_many("relu_he", seeds=SEEDS, **HEADLINE)
    assert sigmoid.learned.mean() <= 0.3
    assert relu.learned.mean() >= 0.7


def test_sigmoid_gradient_vanishes_at_initialization_relu_he_keeps_it(digits):
    # notebook 11: at initialization the first layer's gradient norm is below 1e-6 of the
    # last layer's for sigmoid + Glorot; within a factor 100 for ReLU + He (every seed)
    (x, y), _ = digits
    for seed in (1000, 1001, 1002):
        ratios = {}
        for recipe in ("sigmoid_glorot", "relu_he"):
            seed_everything(seed)
            g = gradient_norms(build_recipe(recipe, **HEADLINE), x[:500], y[:500])
            ratios[recipe] = g[0] / g[-1]
        assert ratios["sigmoid_glorot"] < 1e-6, ratios
        assert 1e-2 < ratios["relu_he"] < 1e2, ratios


def test_dead_relu_networks_at_initialization_vanish_at_real_width(digits):
    # notebook 11: at depth 20, some width-5 ReLU + He networks are dead at initialization on
    # the digits; none of width 128
    (x, _), _ = digits
    dead = dead_at_init(HEADLINE["depth"], [5, HEADLINE["width"]], seeds=range(1000, 1050),
                        x=x).groupby("width").dead.mean()
    assert dead[5] >= 0.1
    assert dead[HEADLINE["width"]] == 0.0
