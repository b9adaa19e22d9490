"""The concept questions' feedback, registered in the same registry as the prose (tests/claims.py).

The feedback under each option of a concept question (the text after `</summary>`, see
`Notebook.quiz_feedback_sentences`) is the course speaking to the learner, so a feedback sentence
that states a result in words is registered here exactly like a prose sentence: a `@claim` whose
check asserts it from the notebook's printed outputs, or a NOT_RESULTS entry with the reason. The
question's stem and the options themselves are not registered: an option is offered to be judged
and is often false on purpose. Imported by tests/test_claims_registry.py.
"""

from __future__ import annotations

import re

import claims as c
from claims import CLAIMS, NOT_RESULTS, Notebook, claim

__all__ = ["CLAIMS", "NOT_RESULTS"]


def _not_results(number: str, entries: dict[str, str]) -> None:
    NOT_RESULTS.setdefault(number, {}).update(entries)


# ------------------------------------------------------------------ notebook 01
_not_results(
    "01",
    {
        "one side of a straight line always holds parts of both rings": "quiz: the rings' geometry (a straight line cannot enclose the inner ring)",
        "This is the tutorial's recipe, and the course keeps it only for comparability": "quiz: the course's convention",
    },
)


@claim("01", "the minimum and maximum the scaler learns then include test points")
def quiz_scaler_fitted_on_all_points_moves_the_inputs(nb):
    assert 0 < nb.number("b422bf9d", r"between the two recipes: ([\d.]+)") < 0.05


@claim(
    "01",
    "the noise pushes points of one ring into the other, so no rule can be right on every point",
)
def quiz_radius_rule_is_near_the_ceiling(nb):
    radius = nb.number("6bb2794b", r"radius rule - Train: ([\d.]+)")
    assert radius < 1 and nb.number("6bb2794b", r"radius rule - Train: [\d.]+, Test: ([\d.]+)") < 1
    # no recipe of the course does better on the test half (medians over 30 seeds in notebook 07)
    medians = [float(v) for v in re.findall(r"median ([\d.]+)", Notebook("07").text("3644b936"))]
    assert len(medians) == 6 and max(medians) <= radius + 0.01


# ------------------------------------------------------------------ notebook 02


@claim(
    "02",
    "it is not an approximation: it calls the same training step as `fit`",
    "the cell above compares them epoch by epoch and finds no difference at all",
)
def quiz_train_computes_what_fit_computes(nb):
    assert nb.number("630e8e75", r"loss difference over 10 epochs: ([\d.e+-]+)") == 0
    assert "identical: True" in nb.text("630e8e75")


@claim(
    "02", "the float32 and float64 rows above learn in the same share of seeds, with medians that"
)
def quiz_float32_and_float64_rows_agree(nb):
    text = nb.text("451c9f9d")
    rows = re.findall(
        r"float(?:64|32): learned in (\d+) of 20 seeds, median test accuracy ([\d.]+)", text
    )
    assert len(rows) == 2 and rows[0] == rows[1]


@claim("02", "in float32 a last-bit rounding difference between CPUs can grow over 500 epochs")
def quiz_rounding_differences_grow_to_printed_digits(nb):
    # the precisions differ from the last bit on, and after 500 epochs every seed's printed
    # accuracy differs; float64's rounding error is hundreds of millions of times smaller
    assert nb.number("451c9f9d", r"differs between float64 and float32: (\d+) of 20") > 0
    c.float64_rounding_is_hundreds_of_millions_of_times_smaller(nb)


# ------------------------------------------------------------------ notebook 03
@claim(
    "03", "saturation slows learning by passing little gradient, but it does not decide the shape"
)
def quiz_all_positive_weights_decide_the_boundary(nb):
    c.all_positive_network_is_monotone_until_weights_turn_negative(nb)
    # ReLU does not saturate, yet with the same U(0, 1) weights it fails as well (notebook 07)
    c.initializer_not_activation_decides_at_five_layers(Notebook("07"))


@claim(
    "03",
    "a seed is not a setting you can tune for new data: most seeds fail",
    "one layer learns in every seed and five layers in only a few",
)
def quiz_five_layers_fail_in_most_seeds(nb):
    counts = c._deep_counts(nb)
    assert counts["1 hidden layer"] == 20 and counts["5 hidden layers"] <= 5


@claim("03", "each Dense layer has its own kernel variable; they only start with the same values")
def quiz_shared_initializer_gives_same_values_not_same_variable(nb):
    c.shared_initializer_gives_identical_layers(nb)


# ------------------------------------------------------------------ notebook 04
@claim("04", "All-positive weights are the tutorial's U(0, 1), the recipe that failed")
def quiz_all_positive_recipe_failed(nb):
    assert nb.number("33324285", r"tanh \+ U\(0, 1\): learned in\s+(\d+) of 20") <= 4


@claim("04", "ReLU zeroes about half of its inputs, and the factor 2 makes up for that")
def quiz_he_keeps_the_signal_size(nb):
    nb05 = Notebook("05")
    c.relu_halves_the_second_moment(nb05)
    c.variance_algebra_holds_for_glorot_and_he_not_uniform(nb05)


@claim(
    "04",
    "twenty seeds per recipe settle that: the gap between the two success rates",
    "the ReLU + He runs learn in most seeds, and the boundary plotted above",
)
def quiz_relu_he_gap_is_not_luck(nb):
    c.relu_he_fixes_five_layers(nb)
    assert nb.number("13d91411", r"Test: ([\d.]+)") >= 0.7


@claim(
    "04",
    "at both depths some seeds learn and others fail",
    "depth lowers the probability of learning; one run per depth only draws once from it",
)
def quiz_depth_lowers_the_probability(nb):
    rate = c._relu_depth(nb)
    assert all(0 < rate[d] < 1 for d in (15, 20)) and rate[5] > rate[15] > rate[20]


# ------------------------------------------------------------------ notebook 05
def _init_gradients(nb: Notebook) -> dict[str, float]:
    line = re.search(r"^deep_tanh (.*)$", nb.text("e4967238"), re.M).group(1)
    return {k: float(v) for k, v in re.findall(r"(\w+) ([\d.e+-]+)", line)}


@claim(
    "05",
    "`hidden_1` gets 0.071, the largest gradient of all the hidden layers",
    "with 0.00302 it gets less than a hundredth of the output layer's 0.417",
    "`hidden_5` gets 0.00763, more than twice as much as `hidden_3`",
    "Learning stalls in the middle; the section",
)
def quiz_tanh_gradient_profile_is_u_shaped(nb):
    g = _init_gradients(nb)
    hidden = {k: v for k, v in g.items() if k.startswith("hidden")}
    assert max(hidden, key=hidden.get) == "hidden_1" and min(hidden, key=hidden.get) == "hidden_3"
    assert g["hidden_3"] < g["output"] / 100 and g["hidden_5"] > 2 * g["hidden_3"]
    assert g["hidden_5"] > g["hidden_4"] > g["hidden_3"] < g["hidden_2"]
    c.update_ratios(nb)  # and in training the middle layers move least


@claim("05", "is at most 1 (at z = 0), so the slopes can only shrink the signal")
def quiz_slope_factors_are_below_one(nb):
    assert nb.number("68181016", r"z = 0: tanh'\(z\) = ([\d.]+)") == 1
    chain = c._chain(nb)
    assert len(chain) == 5 and all(row["slope factor"] < 1 for row in chain.values())


@claim("05", "the weight factor is 2.03 to 2.63 at every step below `hidden_5`, because")
def quiz_all_positive_weights_add_up_coherently(nb):
    c.all_positive_weights_amplify_the_error_signal(nb)


@claim(
    "05",
    "it does learn: after 500 epochs its test accuracy is 0.852",
    "the same recipe passes in four of five seeds, and the flagged network learns anyway",
)
def quiz_flagged_relu_network_learns(nb):
    assert nb.number("086469fa", r"deep_relu: Train: [\d.]+, Test: ([\d.]+)") >= 0.7
    c.diagnose_verdicts_over_five_seeds(nb)
    assert "vanishing" in re.search(r"Diagnosis of deep_relu: (.*)", nb.text("ef813580")).group(1)


# ------------------------------------------------------------------ notebook 06
_not_results(
    "06",
    {
        "a layer whose gradients are a thousand times smaller still moves at about the same pace": "quiz: Adam's definition (it divides by a running estimate of each gradient's size)",
        "the initialization stays U(0, 1); only the optimizer changes in extension 2": "quiz: method",
    },
)


@claim("06", "an overfitting network fits its training points and misses only the test points")
def quiz_failing_runs_miss_their_training_points_too(nb):
    c.failing_wide_runs_miss_their_training_points(nb)


@claim("06", "the sum's size grows with the number of inputs, and tanh lands")
def quiz_wider_inputs_saturate_tanh(nb):
    c.wider_layers_have_larger_pre_activations(nb)


@claim("06", "one and two layers learn at every width within the same 500 epochs")
def quiz_shallow_networks_learn_at_every_width(nb):
    c.width_makes_the_uniform_tanh_network_fail_sooner(nb)


# ------------------------------------------------------------------ notebook 07
def _five_layers(nb: Notebook) -> dict[str, list[int]]:
    """activation -> seeds learned of 30 for glorot_uniform, he_uniform, uniform_0_1."""
    text = nb.text("3644b936")
    return {
        a: [int(k) for k in re.findall(r"(\d+)/30", re.search(rf"^{a} .*$", text, re.M).group(0))]
        for a in ("relu", "tanh")
    }


@claim(
    "07",
    "with Glorot or He weights tanh learns in every seed (30/30) at five layers",
    "with U(0, 1) weights ReLU fails as well (0/30)",
    "all six settings were trained with the same SGD, and four of them learn in nearly every seed",
)
def quiz_initializer_not_activation_at_five_layers(nb):
    r = _five_layers(nb)
    assert r["tanh"][:2] == [30, 30] and r["relu"][2] == 0
    assert sorted(r["relu"][:2] + r["tanh"][:2])[0] >= 27 and r["tanh"][2] <= 3


# ------------------------------------------------------------------ notebook 08
_not_results(
    "08",
    {
        "to narrow the interval, count more seeds": "quiz: advice (a Wilson interval narrows with more seeds)",
    },
)


@claim(
    "08",
    "its test accuracy is 0.622, below the 0.70 that counts as learned",
    "This run ends with a healthy-looking gradient profile and still scores only 0.622",
    "it ran at both times: before training it found a vanishing gradient and saturated units",
)
def quiz_healthy_profile_without_learning(nb):
    assert nb.number("7f57ede7", r"First seed \(0\): Train: [\d.]+, Test: ([\d.]+)") < 0.7
    c.tutorial_network_vanishes_then_looks_healthy_without_learning(nb)


@claim("08", "the first seed's result says nothing about the others, and one of these five did not")
def quiz_one_of_five_relu_seeds_fails(nb):
    assert "Learned (test accuracy >= 0.70): 4/5 seeds" in nb.text("90706013")


# ------------------------------------------------------------------ notebook 09
_not_results(
    "09",
    {
        "✔ Right: every weight tensor is clipped separately": "quiz: Keras' documented behaviour; checked by test_keras_clipnorm_is_per_variable",
    },
)


@claim("09", "The clipped gradient as a whole can therefore still have a norm above 1")
def quiz_per_variable_clipping_keeps_a_norm_above_1(nb):
    cell = c._cell_after(nb, "c7532db3")
    assert nb.number(cell, r"each variable\): norm of the clipped gradient ([\d.]+)") > 1
    c.per_variable_clipping_bends_the_gradient_global_does_not(nb)


@claim(
    "09",
    "the `learned` column is 0.0 with and without clipping: no run learned either way",
    "clipping limits how far one step can move the weights; it does not repair",
)
def quiz_clipping_does_not_make_the_network_learn(nb):
    c.no_clipped_or_unclipped_run_learns_and_none_overflows(nb)
    c.clipping_tames_the_first_epoch(nb)


@claim(
    "09",
    "both learn in 0.00 of the seeds at 30 layers, although nothing vanishes or explodes",
    "these two get a sizeable gradient in every layer (their first hidden layer 0.011 and 0.0022)",
)
def quiz_healthy_profiles_still_fail(nb):
    c.selu_and_orthogonal_profiles_are_healthy(nb)
    for name in ("SELU \\+ LeCun normal", "tanh \\+ orthogonal"):
        assert (
            nb.number(c.PROFILE_CELL, name + r"\s+median .*first hidden layer ([\d.e+-]+)") > 1e-3
        )


@claim(
    "09",
    "Adam changes how the weights move, not whether a gradient reaches them; its networks learn in no seed",
    "it is the only configuration that learns in some seeds at 50 layers of width 5",
    "on its own it fails beyond 10 layers here",
)
def quiz_only_residual_batch_norm_learns_at_50(nb):
    assert c._rates(nb)["ReLU + He + Adam"][c.W5[50]] == 0
    c.only_residual_batch_norm_trains_at_30_and_50(nb)
    c.batch_norm_alone_fails_beyond_10_layers(nb)


# ------------------------------------------------------------------ notebook 10
@claim(
    "10",
    "its first step gets 5.5e-04 of the last step's gradient: small, but the default GRU's share",
    "its ratio is 1.7e-04, close to SimpleRNN's; the default GRU's is far smaller",
    "With a bias of 0 its gate keeps 0.500 of the state per step",
)
def quiz_default_gru_passes_the_least_gradient(nb):
    gru, lstm, simple = (
        c._ratio(nb, name) for name in ("GRU (Keras' bias 0)", "LSTM (Keras' bias 1)", "SimpleRNN")
    )
    assert gru < min(lstm, simple) / 1e4 and 0.1 < lstm / simple < 10
    assert nb.number("683a4a33", r"update-gate bias\s+0.0: keeps ([\d.]+)") == 0.5


@claim(
    "10",
    "every step back multiplies the gradient by the same matrix and by tanh's slope",
    "all four gains used the same network of 16 units; only the scale of its recurrent matrix",
)
def quiz_gain_sets_the_direction(nb):
    c.gain_decides_vanishing_or_exploding(nb)
    ratios = [float(v) for v in re.findall(r"step 50: ([\d.e+-]+)", nb.text("f125c8ae"))]
    assert len(ratios) == 4 and ratios == sorted(ratios)


@claim(
    "10",
    "clipping only stops the weights from blowing up; it does not rescale the network, and the task",
    "Notebook 09 found that clipping alone does not rescue deep feed-forward networks either",
    "clipping scales a gradient down only to a norm of 1 per variable; at radius 3",
)
def quiz_clipping_bounds_but_does_not_rescale(nb):
    c.clipping_bounds_the_blow_up_but_nothing_learns(nb)
    assert nb.number("f125c8ae", r"gain 3.0: .*step 50: ([\d.e+-]+)") > 1


@claim(
    "10",
    "the sweep below (Adam, also three epochs) trains every network for the same three epochs",
    "among them the LSTM and the GRU with an open gate at 50 steps in 9 and 10 of 10 seeds",
    "In three epochs SimpleRNN at 50 steps failed in 8 of 10 seeds, while other networks learned",
)
def quiz_three_epochs_are_enough_for_many_runs(nb):
    from helpers.recurrent import DEFAULT_SETTINGS

    assert DEFAULT_SETTINGS["epochs"] == 3
    counts = [k for rates in c._rnn_rates(nb).values() for k, _ in rates.values()]
    assert (
        sum(counts) > sum(t for rates in c._rnn_rates(nb).values() for _, t in rates.values()) / 2
    )
    rates = c._rnn_rates(nb)
    assert rates["LSTM (bias 3)"][50] == (9, 10) and rates["GRU (bias 3)"][50] == (10, 10)
    assert rates["SimpleRNN"][50] == (2, 10)


# ------------------------------------------------------------------ notebook 11
_not_results(
    "11",
    {
        "the interval is about the share of seeds that learned, not about their accuracies": "quiz: the Wilson interval's definition",
        "both widths were measured here on the same digits; only the width differs": "quiz: method (the dead shares' setting is printed)",
    },
)


def _update_ratios(nb: Notebook, recipe: str) -> tuple[float, float]:
    line = rf"{recipe}\s+last epoch: first layer ([\d.e+-]+), last layer ([\d.e+-]+)"
    first, last = (float(v) for v in re.search(line, nb.text("ea3d249a")).groups())
    return first, last


@claim(
    "11",
    "the update-to-weight ratios below show the last layers moving at a moderate pace",
    "the first layers' updates are many orders of magnitude smaller than the last layer's",
)
def quiz_sigmoid_first_layers_do_not_move(nb):
    first, last = _update_ratios(nb, "sigmoid_glorot")
    assert 1e-5 < last < 1e-2 and first < last * 1e-6


def _fresh_digits_layers(activation: str, initializer: str, width: int, seed: int) -> list:
    """The hidden outputs of a fresh 20-layer network on the training digits (zero biases), drawn
    exactly as `dead_at_init` draws the notebook's networks."""
    import numpy as np

    from helpers.experiments import make_initializer
    from helpers.scale import load_digits_split
    from helpers.training import seed_everything

    (h, _), _ = load_digits_split()
    act = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0.0)}
    seed_everything(seed)
    layers = []
    for _ in range(20):
        kernel = np.asarray(make_initializer(initializer)((h.shape[1], width)), dtype=np.float64)
        h = act[activation](h @ kernel)
        layers.append(h)
    return layers


@claim(
    "11",
    "leave the features that reach the top layers almost the same for every image",
    "each layer shrinks the differences between images, as it shrinks the gradient",
)
def quiz_sigmoid_features_are_the_same_for_every_image(nb):
    import numpy as np

    assert "sigmoid_glorot" in nb.text(c.SWEEP_CELL)  # the recipe: sigmoid, glorot_uniform
    for seed in range(3):
        spread = [
            float(np.ptp(h, axis=0).max())
            for h in _fresh_digits_layers("sigmoid", "glorot_uniform", 128, seed)
        ]
        assert spread[0] > 0.5 and spread[-1] < 1e-9, seed  # layer 1 against layer 20
        assert all(b < a for a, b in zip(spread, spread[1:])), seed  # every layer shrinks them
    ratio = nb.number("564870e6", r"sigmoid_glorot\s+init\s+first layer / last layer: ([\d.e+-]+)")
    assert ratio < 1e-9  # the gradient shrinks by a like factor
    assert c._scale_rates(nb)["sigmoid_glorot sgd"]["median_accuracy"] == 0.1  # one class


@claim("11", "networks of the same size learned within the same ten epochs")
def quiz_same_size_networks_learned_in_ten_epochs(nb):
    rates = c._scale_rates(nb)
    assert c._learned_every_seed(rates["tanh_glorot sgd"])
    assert rates["relu_he sgd"]["share_learned"] == 0.5


@claim(
    "11",
    "ten seeds cannot exclude a recipe that fails now and then",
    "with ten seeds the lower end stays well below 1",
)
def quiz_ten_of_ten_leaves_room_for_failure(nb):
    rows = [r for r in c._scale_rates(nb).values() if c._learned_every_seed(r)]
    assert rows and all(r["ci_low"] < 0.8 and r["ci_high"] == 1.0 for r in rows)


@claim("11", "He's scale keeps the average signal right at any width")
def quiz_dead_networks_are_chance_at_width_5(nb):
    c.relu_half_zero_at_init_more_after_training_gradient_reaches_first_layer(nb)
    c.no_wide_network_dead_at_init(nb)
    ratio = re.search(
        r"median first/last gradient at initialization: \{(.*)\}", nb.text(c.WIDTHS_CELL)
    )
    assert all(0.1 < float(v) < 10 for v in re.findall(r"'([\d.]+)'", ratio.group(1)))


@claim(
    "11",
    "so more and more units are off for every image at once",
    "With 5 units that is a real possibility somewhere in 20 layers; with 128 it practically never",
)
def quiz_deeper_layers_have_more_units_off_for_every_image(nb):
    import numpy as np

    for width in (5, 128):
        # share of units off for every training image, per layer, over five fresh networks
        off = np.array(
            [
                [
                    np.all(h == 0, axis=0).mean()
                    for h in _fresh_digits_layers("relu", "he_uniform", width, s)
                ]
                for s in range(5)
            ]
        )
        blocks = off.reshape(5, 4, 5).mean(axis=(0, 2))  # layers 1-5, 6-10, 11-15, 16-20
        assert off[:, 0].max() == 0 and all(a < b for a, b in zip(blocks, blocks[1:])), width
    dead = c._dead_shares(nb)
    assert dead[5] > 0.2 and dead[128] == 0
    assert "(ReLU + He, depth 20, 50 seeds)" in nb.text(c.WIDTHS_CELL)


# ------------------------------------------------------------------ notebook 12
_not_results(
    "12",
    {
        "between the blocks the residual path is a plain sum; the only normalization on the way back": "quiz: describes Pre-LN's architecture (the block code in the notebook)",
        "each block adds its branch to the stream, so the stream grows with depth": "quiz: Xiong et al.'s mechanism, cited; the table measures its consequence (next sentence)",
        "the attention layers of every block have the same initialization at every depth": "quiz: method (how the networks are built)",
        "the networks with and without warm-up are the same, with the same initial weights": "quiz: method",
        "Adam divides by a running estimate of the gradient's size": "quiz: Adam's definition",
        "Warm-up keeps those first steps small until the network": "quiz: warm-up's definition",
        "Every run here sees the same shuffled data whatever its schedule": "quiz: method",
    },
)


@claim("12", "A bigger stream means a smaller gradient for any one block's contribution")
def quiz_pre_ln_last_block_gradient_shrinks_with_depth(nb):
    rows = re.findall(
        r"^\s+pre\s+(\d+)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+([\d.]+)$",
        nb.text("a6d5b26a"),
        re.M,
    )
    measured = {int(d): (float(m), float(p)) for d, m, p in rows}
    falls = [measured[d][0] for d in sorted(measured)]
    assert len(rows) >= 4 and falls == sorted(falls, reverse=True)
    assert abs(measured[24][0] - measured[24][1]) < 0.1  # close to 1/sqrt(L) at 24 blocks
