"""Multilayer perceptrons for the two-circles problem, built the Keras 3 way."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers.validation import check_choice, check_float, check_int

#: Hidden-layer activations ``build_mlp`` accepts (Keras names).
ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "elu", "selu", "gelu", "linear")

#: The tutorial's initializer: every weight drawn from U(0, 1), so all of them positive.
TUTORIAL_INITIALIZER = "uniform_0_1"

#: Initializer names ``build_mlp`` accepts: the tutorial's plus Keras' own.
INITIALIZERS = (TUTORIAL_INITIALIZER, "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                "lecun_uniform", "lecun_normal", "orthogonal", "random_uniform", "random_normal",
                "truncated_normal")

Initializer = str | keras.initializers.Initializer


def activation_name(layer: keras.layers.Layer) -> str:
    """Return the name of a layer's activation function (``"linear"`` for activation=None);
    a layer without an ``activation`` attribute (BatchNormalization, Add) raises AttributeError."""
    return getattr(layer.activation, "__name__", type(layer.activation).__name__)


#: Names a bias initializer may take: zeros (Keras' default) and the kernel ones.
BIAS_INITIALIZERS = ("zeros", *INITIALIZERS)


def check_initializer(name: str, value: Initializer,
                      allowed: tuple[str, ...] = INITIALIZERS) -> Initializer:
    """Return ``value`` if it is a name in ``allowed`` or a Keras initializer."""
    if isinstance(value, keras.initializers.Initializer):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(allowed)} or a "
                        f"keras.initializers.Initializer, got {type(value).__name__}")
    return check_choice(name, value, allowed)


def make_initializer(name: Initializer) -> keras.initializers.Initializer:
    """Return a NEW initializer for ``name`` (a name, or a copy of a Keras initializer): in
    Keras 3 one instance reused across layers gives layers of one shape the same values."""
    if isinstance(check_initializer("initializer", name, BIAS_INITIALIZERS),
                  keras.initializers.Initializer):
        return type(name).from_config(name.get_config())
    if name == TUTORIAL_INITIALIZER:
        return keras.initializers.RandomUniform(minval=0.0, maxval=1.0)
    return keras.initializers.get(name)


#: Optimizer names an :class:`MLPConfig` accepts (besides None and Keras optimizers).
OPTIMIZERS = ("sgd", "adam")


@dataclasses.dataclass(frozen=True)
class MLPConfig:
    """One network and its training settings, the one place they are listed: what
    :func:`build_mlp`, ``train_many``, the sweep grids (the field order is the stored tables'
    column order, but depth comes after the others and bias_initializer only where a grid sets
    it), the remedies and the lab take. Values are kept as given (tables key on their
    text). ``optimizer``: None/"sgd" (the tutorial's SGD), "adam" or a Keras optimizer; another
    None: that setting's default (:meth:`output_init`, the optimizer's). Refuses what
    :meth:`check_field` refuses, residual with depth 1 and linear with batch_norm."""

    depth: int
    width: int = 5
    activation: str = "tanh"
    initializer: Initializer = TUTORIAL_INITIALIZER
    batch_size: int = 32
    optimizer: Any = None
    output_initializer: Initializer | None = None
    learning_rate: float | None = None
    clipnorm: float | None = None
    clipvalue: float | None = None
    batch_norm: bool = False
    residual: bool = False
    bias_initializer: Initializer = dataclasses.field(default="zeros", metadata={"if_set": True})

    @staticmethod
    def check_field(name: str, value: Any) -> None:
        """Refuse ``value`` for field ``name`` with an error naming it and what is allowed."""
        if name in ("depth", "width", "batch_size"):
            check_int(name, value, minimum=1)
        elif name == "activation":
            check_choice(name, value, ACTIVATIONS)
        elif name == "initializer" or name == "output_initializer" and value is not None:
            check_initializer(name, value)
        elif name == "bias_initializer":
            check_initializer(name, value, BIAS_INITIALIZERS)
        elif name == "optimizer" and not (
                value is None or isinstance(value, keras.optimizers.Optimizer)
                or isinstance(value, str) and value.lower() in OPTIMIZERS):
            raise (ValueError if isinstance(value, str) else TypeError)(
                f"optimizer must be None, 'sgd', 'adam' or a keras.optimizers.Optimizer, got "
                f"{value!r} ({type(value).__name__})")
        elif name in ("learning_rate", "clipnorm", "clipvalue") and value is not None:
            check_float(name, value, minimum=0.0, strict_min=True)
        elif name in ("batch_norm", "residual") and not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            self.check_field(field.name, getattr(self, field.name))
        if self.residual and self.depth < 2:
            raise ValueError("residual=True needs depth >= 2: the first hidden layer maps the "
                             "inputs to the hidden width and cannot have a skip connection")
        if self.activation == "linear" and self.batch_norm:
            raise ValueError("activation='linear' with batch_norm=True makes the whole network "
                             "linear; choose a non-linear activation")

    @classmethod
    def of(cls, config: MLPConfig | Mapping[str, Any] | int | None = None, *args: Any,
           **changes: Any) -> MLPConfig:
        """``config`` with ``changes``, or a new configuration from a dict of fields or of depth
        ``config``; ``args``: width, activation, initializer. Refuses more, and unknown names."""
        if isinstance(config, Mapping):
            config, changes = None, {**config, **changes}
        names = [f.name for f in dataclasses.fields(cls)][1:4]
        if len(args) > len(names):
            raise TypeError(f"give the settings after {names[-1]} by keyword, got {len(args)} "
                            "positional settings")
        changes = {**dict(zip(names, args)), **changes}
        if isinstance(config, cls):
            return dataclasses.replace(config, **changes)
        return cls(**changes) if config is None else cls(config, **changes)

    def output_init(self) -> Initializer:
        """The output layer's initializer: ``output_initializer``, or when None the hidden one
        if that is the tutorial's ``uniform_0_1``, else Keras' default ``glorot_uniform``."""
        tutorial = self.initializer == TUTORIAL_INITIALIZER
        return self.output_initializer or (self.initializer if tutorial else "glorot_uniform")


def build_mlp(config: MLPConfig | int | None = None, *args: Any, n_inputs: int = 2,
              **changes: Any) -> keras.Model:
    """Return an uncompiled Keras MLP of ``MLPConfig.of(config, *args, **changes)`` (e.g.
    ``build_mlp(5, activation="relu")``): ``depth`` Dense layers ``hidden_1`` ... then
    ``Dense(1, "sigmoid")`` ``output``, each with a new initializer (seed first for reproducible
    weights). ``batch_norm``: Dense -> BatchNormalization (``hidden_i_bn``) -> Activation
    (``hidden_i_act``); ``residual``: blocks 2 ... depth compute h + block(h) (``hidden_i_add``);
    with either a functional Model, else a Sequential. Refuses what :class:`MLPConfig` refuses
    and n_inputs below 1."""
    c = MLPConfig.of(config, *args, **changes)
    n_inputs = check_int("n_inputs", n_inputs, minimum=1)

    def dense(units: int, name: str, init: Initializer, activation: str | None = None
              ) -> keras.layers.Dense:
        return keras.layers.Dense(units, activation=activation, name=name,
                                  kernel_initializer=make_initializer(init),
                                  bias_initializer=make_initializer(c.bias_initializer))

    if not c.batch_norm and not c.residual:
        # All layers at once: Sequential.add would rebuild the model after every layer
        # (time quadratic in depth); the weights are drawn in layer order either way.
        hidden = [dense(c.width, f"hidden_{i}", c.initializer, c.activation)
                  for i in range(1, c.depth + 1)]
        return keras.Sequential([keras.Input(shape=(n_inputs,)), *hidden,
                                 dense(1, "output", c.output_init(), "sigmoid")],
                                name=f"mlp_{c.depth}x{c.width}_{c.activation}")
    inputs = keras.Input(shape=(n_inputs,))
    h = inputs
    for i in range(1, c.depth + 1):
        name = f"hidden_{i}"
        if c.batch_norm:
            z = dense(c.width, name, c.initializer)(h)
            z = keras.layers.BatchNormalization(name=f"{name}_bn")(z)
            a = keras.layers.Activation(c.activation, name=f"{name}_act")(z)
        else:
            a = dense(c.width, name, c.initializer, c.activation)(h)
        h = keras.layers.Add(name=f"{name}_add")([h, a]) if c.residual and i > 1 else a
    outputs = dense(1, "output", c.output_init(), "sigmoid")(h)
    tags = "_bn" * c.batch_norm + "_res" * c.residual
    return keras.Model(inputs, outputs, name=f"mlp_{c.depth}x{c.width}_{c.activation}{tags}")


class StackedDense(keras.layers.Layer):
    """The same Dense layer of S networks at once: ``kernel`` [S, in, out] and ``bias``
    [S, out] stacked from ``layers``; returns ``h @ kernel + bias`` (no activation) for h
    [S, B, in] or a shared [1, B, in]."""

    def __init__(self, layers: list[keras.layers.Dense], **kwargs: Any):
        super().__init__(**kwargs)
        self.kernel, self.bias = (self.add_weight(shape=w.shape, initializer=w) for w in (
            np.stack([layer.kernel.numpy() for layer in layers]),
            np.stack([layer.bias.numpy() for layer in layers])))

    def call(self, h: Any) -> Any:
        return tf.matmul(h, self.kernel) + self.bias[:, None, :]


class StackedBatchNorm(keras.layers.Layer):
    """The same BatchNormalization of S networks at once (``gamma``, ``beta`` and the moving
    statistics stacked [S, units], Keras' momentum and epsilon): normalizes z [S, B, units]
    by the batch statistics (updating the moving ones as Keras does) when ``training``."""

    def __init__(self, layers: list[keras.layers.BatchNormalization], **kwargs: Any):
        super().__init__(**kwargs)
        self.momentum, self.epsilon = layers[0].momentum, layers[0].epsilon
        self.gamma, self.beta, self.moving_mean, self.moving_variance = (
            self.add_weight(shape=w.shape, initializer=w, trainable=name in ("gamma", "beta"))
            for name, w in ((name, np.stack([getattr(layer, name).numpy() for layer in layers]))
                            for name in ("gamma", "beta", "moving_mean", "moving_variance")))

    def call(self, z: Any, training: bool = False) -> Any:
        mean, var = self.moving_mean, self.moving_variance
        if training:
            m, v = keras.ops.moments(z, axes=[1], keepdims=True)
            mean.assign(mean * self.momentum + m[:, 0] * (1.0 - self.momentum))
            var.assign(var * self.momentum + v[:, 0] * (1.0 - self.momentum))
        else:
            m, v = mean[:, None, :], var[:, None, :]
        return keras.ops.batch_normalization(z, m, v, axis=-1, epsilon=self.epsilon,
                                             offset=self.beta[:, None, :],
                                             scale=self.gamma[:, None, :])


class StackedMLP(keras.Model):
    """S networks of one :class:`MLPConfig` as one Keras model, their weights copied from
    ``models`` (``build_mlp(config)`` per seed) and stacked on a leading axis; returns [S, B, 1]
    logits for x [S, B, d] or a shared [B, d]. ``dense``: its :class:`StackedDense` layers."""

    def __init__(self, config: MLPConfig, models: list[keras.Model], **kwargs: Any):
        super().__init__(**kwargs)
        self.mlp = config
        self.activation = keras.activations.get(config.activation)
        def stacked(kind: type, stack: type) -> list:  # one stacked layer per layer of `kind`
            per_model = [[layer for layer in m.layers if isinstance(layer, kind)] for m in models]
            return [stack(list(layers)) for layers in zip(*per_model)]

        self.dense = stacked(keras.layers.Dense, StackedDense)
        self.norms = stacked(keras.layers.BatchNormalization, StackedBatchNorm)

    def call(self, x: Any, training: bool = False) -> Any:
        h = x if x.shape.rank == 3 else x[None]
        for i, dense in enumerate(self.dense[:-1]):
            z = dense(h)
            if self.norms:
                z = self.norms[i](z, training=training)
            h = h + self.activation(z) if self.mlp.residual and i > 0 else self.activation(z)
        return self.dense[-1](h)
