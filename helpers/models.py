"""Multilayer perceptrons for the two-circles problem, built the Keras 3 way."""

from __future__ import annotations

import keras

from helpers.validation import check_choice, check_int

#: Hidden-layer activations ``build_mlp`` accepts (Keras names).
ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "elu", "selu", "gelu", "linear")

#: The tutorial's initializer: every weight drawn from U(0, 1), so all of them positive.
TUTORIAL_INITIALIZER = "uniform_0_1"

#: Initializer names ``build_mlp`` accepts: the tutorial's plus Keras' own.
INITIALIZERS = (
    TUTORIAL_INITIALIZER,
    "glorot_uniform", "glorot_normal",
    "he_uniform", "he_normal",
    "lecun_uniform", "lecun_normal",
    "orthogonal",
    "random_uniform", "random_normal", "truncated_normal",
)

Initializer = str | keras.initializers.Initializer


def activation_name(layer: keras.layers.Layer) -> str:
    """Return the name of a layer's activation function (``"linear"`` when it has none)."""
    return getattr(layer.activation, "__name__", type(layer.activation).__name__)


def check_initializer(name: str, value: Initializer) -> Initializer:
    """Return ``value`` if it is a name in :data:`INITIALIZERS` or a Keras initializer."""
    if isinstance(value, keras.initializers.Initializer):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(INITIALIZERS)} or a "
                        f"keras.initializers.Initializer, got {type(value).__name__}")
    return check_choice(name, value, INITIALIZERS)


def make_initializer(name: Initializer) -> keras.initializers.Initializer:
    """Return a NEW initializer for ``name`` (a name, or a copy of a Keras initializer).

    A new instance per layer matters in Keras 3: one instance reused across layers
    hands every layer of the same shape the same values (the trap in older tutorials).
    """
    if isinstance(check_initializer("initializer", name), keras.initializers.Initializer):
        return type(name).from_config(name.get_config())
    if name == TUTORIAL_INITIALIZER:
        return keras.initializers.RandomUniform(minval=0.0, maxval=1.0)
    return keras.initializers.get(name)


def build_mlp(depth: int, width: int = 5, activation: str = "tanh",
              initializer: Initializer = TUTORIAL_INITIALIZER,
              output_initializer: Initializer | None = None,
              n_inputs: int = 2, batch_norm: bool = False,
              residual: bool = False) -> keras.Model:
    """Return an uncompiled Keras MLP for binary classification.

    ``keras.Input(shape=(n_inputs,))``, ``depth`` hidden ``Dense(width, activation)`` layers
    ``hidden_1`` ... ``hidden_<depth>``, then ``Dense(1, "sigmoid")`` ``output``; biases start
    at zero. Initializers are names of :data:`INITIALIZERS` or Keras initializers, one new
    instance per layer. The output layer's, when ``output_initializer`` is None: the hidden
    one if that is the tutorial's ``uniform_0_1``, else Keras' default ``glorot_uniform``
    (so it depends on the initializer only, never on the activation). Call
    :func:`helpers.seed_everything` first for reproducible weights.

    ``batch_norm``: each hidden block is ``Dense`` -> ``BatchNormalization`` (``hidden_i_bn``)
    -> ``Activation`` (``hidden_i_act``) (Ioffe & Szegedy 2015). ``residual``: blocks 2 ...
    depth add their input to their output, h = h + block(h) (``hidden_i_add``; He et al.
    2016). With either, a functional ``keras.Model``; else a ``keras.Sequential``.
    Refuses depth or width below 1, unknown names, residual with depth 1, linear with
    batch_norm.
    """
    depth = check_int("depth", depth, minimum=1)
    width = check_int("width", width, minimum=1)
    n_inputs = check_int("n_inputs", n_inputs, minimum=1)
    check_choice("activation", activation, ACTIVATIONS)
    check_initializer("initializer", initializer)
    if output_initializer is None:
        out_init = initializer if initializer == TUTORIAL_INITIALIZER else "glorot_uniform"
    else:
        out_init = check_initializer("output_initializer", output_initializer)
    for name, flag in (("batch_norm", batch_norm), ("residual", residual)):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    if residual and depth < 2:
        raise ValueError("residual=True needs depth >= 2: the first hidden layer maps the "
                         f"{n_inputs} inputs to width {width} and cannot have a skip connection")
    if activation == "linear" and batch_norm:
        raise ValueError("activation='linear' with batch_norm=True makes the whole network "
                         "linear; choose a non-linear activation")

    if not batch_norm and not residual:
        # All layers at once: Sequential.add would rebuild the model after every layer
        # (time quadratic in depth); the weights are drawn in layer order either way.
        hidden = [keras.layers.Dense(width, activation=activation,
                                     kernel_initializer=make_initializer(initializer),
                                     name=f"hidden_{i}") for i in range(1, depth + 1)]
        output = keras.layers.Dense(1, activation="sigmoid",
                                    kernel_initializer=make_initializer(out_init), name="output")
        return keras.Sequential([keras.Input(shape=(n_inputs,)), *hidden, output],
                                name=f"mlp_{depth}x{width}_{activation}")

    inputs = keras.Input(shape=(n_inputs,))
    h = inputs
    for i in range(1, depth + 1):
        name = f"hidden_{i}"
        init = make_initializer(initializer)
        if batch_norm:
            z = keras.layers.Dense(width, kernel_initializer=init, name=name)(h)
            z = keras.layers.BatchNormalization(name=f"{name}_bn")(z)
            a = keras.layers.Activation(activation, name=f"{name}_act")(z)
        else:
            a = keras.layers.Dense(width, activation=activation, kernel_initializer=init,
                                   name=name)(h)
        h = keras.layers.Add(name=f"{name}_add")([h, a]) if residual and i > 1 else a
    outputs = keras.layers.Dense(1, activation="sigmoid",
                                 kernel_initializer=make_initializer(out_init), name="output")(h)
    tags = "_bn" * batch_norm + "_res" * residual
    return keras.Model(inputs, outputs, name=f"mlp_{depth}x{width}_{activation}{tags}")
