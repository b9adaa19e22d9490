import numpy as np
import pytest
from sklearn.datasets import make_circles
from sklearn.preprocessing import MinMaxScaler

from helpers.data import load_circles


def test_defaults_reproduce_the_tutorial(circles):
    (x_tr, y_tr), (x_te, y_te) = circles
    x, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
    x = MinMaxScaler(feature_range=(-1, 1)).fit_transform(x)
    np.testing.assert_allclose(np.vstack([x_tr, x_te]), x, atol=1e-6)
    np.testing.assert_array_equal(np.concatenate([y_tr, y_te]), y)
    assert x_tr.shape == (500, 2) and x_te.shape == (500, 2)
    assert x_tr.dtype == np.float64
    # scaled on all points: the whole set spans exactly [-1, 1]
    both = np.vstack([x_tr, x_te])
    np.testing.assert_allclose(both.min(axis=0), -1, atol=1e-6)
    np.testing.assert_allclose(both.max(axis=0), 1, atol=1e-6)


def test_classes_are_outer_and_inner_circle(circles):
    (x_tr, y_tr), _ = circles
    r = np.linalg.norm(x_tr, axis=1)
    assert r[y_tr == 0].mean() > r[y_tr == 1].mean() + 0.1


def test_leak_free_scales_on_training_rows_only():
    (x_tr, _), (x_te, _) = load_circles(leak_free=True)
    np.testing.assert_allclose(x_tr.min(axis=0), -1, atol=1e-6)
    np.testing.assert_allclose(x_tr.max(axis=0), 1, atol=1e-6)
    (x_tr2, _), _ = load_circles()
    assert not np.allclose(x_tr, x_tr2)


def test_sizes():
    (x_tr, _), (x_te, _) = load_circles(n_samples=100, n_train=30)
    assert len(x_tr) == 30 and len(x_te) == 70


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"n_samples": 1}, ValueError, "n_samples"),
    ({"n_samples": 10.5}, TypeError, "n_samples"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"n_train": 0}, ValueError, "n_train"),
    ({"n_train": 1000}, ValueError, "n_train"),
    ({"n_train": 2000}, ValueError, "n_train"),
    ({"leak_free": "yes"}, TypeError, "leak_free"),
])
def test_bad_input(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        load_circles(**kwargs)
