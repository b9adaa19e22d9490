"""Multilayer perceptrons for the two-circles problem, built the Keras 3 way."""

from __future__ import annotations

import keras

from helpers._validate import check_choice, check_int

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

#: Keras' own default kernel initializer for Dense layers.
KERAS_DEFAULT_INITIALIZER = "glorot_uniform"


def activation_name(layer: keras.layers.Layer) -> str:
    """Return the name of a layer's activation function (``"linear"`` when it has none)."""
    fn = layer.activation
    return getattr(fn, "__name__", type(fn).__name__)


Initializer = str | keras.initializers.Initializer


def check_initializer(name: str, value: Initializer) -> Initializer:
    """Return ``value`` if it is a name in :data:`INITIALIZERS` or a Keras initializer."""
    if isinstance(value, keras.initializers.Initializer):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {', '.join(INITIALIZERS)} or a "
                        f"keras.initializers.Initializer, got {type(value).__name__}")
    return check_choice(name, value, INITIALIZERS)


def make_initializer(name: Initializer) -> keras.initializers.Initializer:
    """Return a NEW initializer instance for ``name`` (a name, or a copy of an initializer).

    A new instance per layer matters in Keras 3: one instance reused across layers
    hands every layer of the same shape the same values (the trap in older tutorials).
    """
    check_initializer("initializer", name)
    if isinstance(name, keras.initializers.Initializer):
        return type(name).from_config(name.get_config())
    if name == TUTORIAL_INITIALIZER:
        return keras.initializers.RandomUniform(minval=0.0, maxval=1.0)
    return keras.initializers.get(name)


def resolve_output_initializer(initializer: Initializer,
                               output_initializer: Initializer | None) -> Initializer:
    """Return the output layer's initializer name under ``build_mlp``'s rule.

    ``None`` means: the hidden initializer when that is the tutorial's ``uniform_0_1``
    (as in its tanh models), otherwise Keras' default ``glorot_uniform`` (as in its ReLU
    model). The output layer then depends only on the initializer, never on the
    activation, so activation x initializer comparisons stay controlled.
    """
    if output_initializer is None:
        return initializer if initializer == TUTORIAL_INITIALIZER else KERAS_DEFAULT_INITIALIZER
    return check_initializer("output_initializer", output_initializer)


def build_mlp(depth: int, width: int = 5, activation: str = "tanh",
              initializer: Initializer = TUTORIAL_INITIALIZER,
              output_initializer: Initializer | None = None,
              n_inputs: int = 2, batch_norm: bool = False,
              residual: bool = False) -> keras.Model:
    """Return an uncompiled Keras MLP for binary classification.

    Layers: ``keras.Input(shape=(n_inputs,))``, then ``depth`` hidden ``Dense(width,
    activation)`` layers named ``hidden_1`` ... ``hidden_<depth>``, then ``Dense(1,
    "sigmoid")`` named ``output``. Initializers are names of :data:`INITIALIZERS` or Keras
    initializers; each layer gets its own instance, so every layer draws its own weights;
    biases start at zero (Keras' default). For the output
    layer's initializer when ``output_initializer`` is None, see
    :func:`resolve_output_initializer`. Call :func:`helpers.seed_everything` first for
    reproducible weights.

    Options (both off by default, which gives a ``keras.Sequential``; with either on the
    result is a functional ``keras.Model``):

    - ``batch_norm``: each hidden block is ``Dense`` (no activation) -> ``BatchNormalization``
      (``hidden_i_bn``, Keras defaults) -> ``Activation`` (``hidden_i_act``), after Ioffe &
      Szegedy (2015).
    - ``residual``: hidden layers 2 ... depth add their input to their output
      (``hidden_i_add``): h = h + block(h), after He et al. (2016). The first hidden layer
      changes the width from ``n_inputs`` to ``width`` and has no skip. Needs depth >= 2.

    Refuses depth or width below 1, unknown names, and residual with depth 1.
    """
    depth = check_int("depth", depth, minimum=1)
    width = check_int("width", width, minimum=1)
    n_inputs = check_int("n_inputs", n_inputs, minimum=1)
    check_choice("activation", activation, ACTIVATIONS)
    check_initializer("initializer", initializer)
    out_init = resolve_output_initializer(initializer, output_initializer)
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
