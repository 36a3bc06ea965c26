"""NumPy references of the recurrent cells, and the helpers their tests share.

The step functions are written from the equations in the docstrings of
`kerasseq.layers.SimpleRNNCell`, `GRUCell` and `LSTMCell` (and the papers they
cite), never by calling kerasseq: they are the independent reference the cells
are checked against. `run_sequence` is the documented sequence semantics of
`keras.layers.RNN` (masking, `go_backwards`, `zero_output_for_mask`) in plain
Python.

The rest are small TensorFlow helpers the recurrent test files share: random
non-trivial weights, the masks used everywhere, and `outputs_and_gradients`,
which runs a layer under a `tf.GradientTape` and returns its outputs and the
gradients of a fixed scalar loss.
"""

import numpy as np
import tensorflow as tf

BATCH = 3
TIME = 7
FEATURES = 5
UNITS = 4


# === NumPy equations ===


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def linear(x):
    return x


def simple_rnn_step(x, states, kernel, recurrent_kernel, bias=None, activation=np.tanh):
    """`h_t = act(x W + h_{t-1} U + b)` (Elman 1990)."""
    (h_tm1,) = states
    z = x @ kernel + h_tm1 @ recurrent_kernel
    if bias is not None:
        z = z + bias
    h = activation(z)
    return h, [h]


def gru_step(
    x,
    states,
    kernel,
    recurrent_kernel,
    bias=None,
    reset_after=True,
    activation=np.tanh,
    recurrent_activation=sigmoid,
):
    """One GRU step, gate order `z, r, h`.

    `reset_after=True` (Keras/cuDNN): `bias` is `(2, 3u)`, row 0 the input
    bias, row 1 the recurrent bias, and `h~ = act(x W_h + b_h + r * (h U_h +
    b'_h))`. `reset_after=False` (Cho et al. 2014): `bias` is `(3u,)` and
    `h~ = act(x W_h + (r * h) U_h + b_h)`. Then `h_t = z h_{t-1} + (1 - z) h~`.
    """
    (h_tm1,) = states
    units = h_tm1.shape[-1]
    w_z, w_r, w_h = np.split(kernel, 3, axis=-1)
    u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)
    if bias is None:
        bias = np.zeros((2, 3 * units) if reset_after else (3 * units,))
    if reset_after:
        b_z, b_r, b_h = np.split(bias[0], 3)
        rb_z, rb_r, rb_h = np.split(bias[1], 3)
        z = recurrent_activation(x @ w_z + b_z + h_tm1 @ u_z + rb_z)
        r = recurrent_activation(x @ w_r + b_r + h_tm1 @ u_r + rb_r)
        candidate = activation(x @ w_h + b_h + r * (h_tm1 @ u_h + rb_h))
    else:
        b_z, b_r, b_h = np.split(bias, 3)
        z = recurrent_activation(x @ w_z + h_tm1 @ u_z + b_z)
        r = recurrent_activation(x @ w_r + h_tm1 @ u_r + b_r)
        candidate = activation(x @ w_h + (r * h_tm1) @ u_h + b_h)
    h = z * h_tm1 + (1.0 - z) * candidate
    return h, [h]


def layer_norm(x, gamma, beta, epsilon):
    """Normalises the last axis: biased variance, epsilon inside the sqrt."""
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def lstm_step(
    x,
    states,
    kernel,
    recurrent_kernel,
    bias=None,
    peephole_kernel=None,
    layer_norm_weights=None,
    layer_norm_epsilon=1e-3,
    activation=np.tanh,
    recurrent_activation=sigmoid,
):
    """One LSTM step, gate order `i, f, g, o`.

    - plain (Hochreiter & Schmidhuber 1997): `z = x W + h U + b`,
      `c_t = f c_{t-1} + i g`, `h_t = o act(c_t)`;
    - `peephole_kernel` `(3, u)` (rows `i, f, o`; Gers & Schmidhuber 2000):
      `i` and `f` also see `p * c_{t-1}`, `o` sees `p * c_t`;
    - `layer_norm_weights` a dict with `input_gamma`, `input_beta`,
      `recurrent_gamma`, `recurrent_beta` `(4u,)` and `cell_gamma`,
      `cell_beta` `(u,)` (Ba et al. 2016): `z = LN(x W) + LN(h U) + b`, and
      `h_t = o act(LN(c_t))`; the state `c_t` stays unnormalised.
    """
    h_tm1, c_tm1 = states
    units = h_tm1.shape[-1]
    projected = x @ kernel
    recurrent = h_tm1 @ recurrent_kernel
    if layer_norm_weights is not None:
        ln = layer_norm_weights
        projected = layer_norm(
            projected, ln["input_gamma"], ln["input_beta"], layer_norm_epsilon
        )
        recurrent = layer_norm(
            recurrent, ln["recurrent_gamma"], ln["recurrent_beta"], layer_norm_epsilon
        )
    z = projected + recurrent
    if bias is not None:
        z = z + bias
    z_i, z_f, z_g, z_o = (z[..., k * units : (k + 1) * units] for k in range(4))
    if peephole_kernel is not None:
        z_i = z_i + peephole_kernel[0] * c_tm1
        z_f = z_f + peephole_kernel[1] * c_tm1
    i = recurrent_activation(z_i)
    f = recurrent_activation(z_f)
    c = f * c_tm1 + i * activation(z_g)
    if peephole_kernel is not None:
        z_o = z_o + peephole_kernel[2] * c
    o = recurrent_activation(z_o)
    c_out = c
    if layer_norm_weights is not None:
        c_out = layer_norm(c, ln["cell_gamma"], ln["cell_beta"], layer_norm_epsilon)
    h = o * activation(c_out)
    return h, [h, c]


def cell_step_fn(cell):
    """A NumPy `step(x, states)` for a built kerasseq or Keras cell.

    Reads only the cell's weights (by name) and constructor arguments.
    """
    weights = {_short_name(w): w.numpy().astype("float64") for w in cell.weights}
    name = type(cell).__name__
    activation = _np_activation(cell.activation)
    if name == "SimpleRNNCell":
        return lambda x, s: simple_rnn_step(
            x,
            s,
            weights["kernel"],
            weights["recurrent_kernel"],
            weights.get("bias"),
            activation=activation,
        )
    recurrent_activation = _np_activation(cell.recurrent_activation)
    if name == "GRUCell":
        return lambda x, s: gru_step(
            x,
            s,
            weights["kernel"],
            weights["recurrent_kernel"],
            weights.get("bias"),
            reset_after=cell.reset_after,
            activation=activation,
            recurrent_activation=recurrent_activation,
        )
    if name == "LSTMCell":
        ln_names = [
            f"{prefix}_{kind}"
            for prefix in ("input", "recurrent", "cell")
            for kind in ("gamma", "beta")
        ]
        ln = None
        if getattr(cell, "use_layer_norm", False):
            ln = {key: weights[key] for key in ln_names}
        return lambda x, s: lstm_step(
            x,
            s,
            weights["kernel"],
            weights["recurrent_kernel"],
            weights.get("bias"),
            peephole_kernel=weights.get("peephole_kernel"),
            layer_norm_weights=ln,
            layer_norm_epsilon=getattr(cell, "layer_norm_epsilon", 1e-3),
            activation=activation,
            recurrent_activation=recurrent_activation,
        )
    raise TypeError(f"No NumPy reference for {name}")


def run_sequence(
    step,
    inputs,
    initial_states,
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
):
    """The `keras.layers.RNN` loop: returns `(outputs, last_output, states)`.

    `outputs` is `(batch, time, units)` in processing order (reversed when
    `go_backwards`, as Keras returns it). At a masked step the states keep
    their values and the output repeats the previous one (zeros before the
    first valid step), or is zero with `zero_output_for_mask`.
    """
    inputs = np.asarray(inputs, "float64")
    states = [np.asarray(s, "float64") for s in initial_states]
    time_steps = inputs.shape[1]
    order = range(time_steps - 1, -1, -1) if go_backwards else range(time_steps)
    outputs = []
    prev_output = None
    for t in order:
        output, new_states = step(inputs[:, t], states)
        if prev_output is None:
            prev_output = np.zeros_like(output)
        if mask is not None:
            keep = np.asarray(mask, bool)[:, t : t + 1]
            new_states = [np.where(keep, n, o) for n, o in zip(new_states, states)]
            fill = np.zeros_like(output) if zero_output_for_mask else prev_output
            output = np.where(keep, output, fill)
        outputs.append(output)
        prev_output = output
        states = new_states
    return np.stack(outputs, axis=1), outputs[-1], states


# === Test data ===


def random_inputs(seed=0, batch=BATCH, time=TIME, features=FEATURES):
    return (
        np.random.RandomState(seed)
        .normal(size=(batch, time, features))
        .astype("float32")
    )


def random_states(num_states, seed=1, batch=BATCH, units=UNITS):
    rng = np.random.RandomState(seed)
    return [
        rng.normal(scale=0.5, size=(batch, units)).astype("float32")
        for _ in range(num_states)
    ]


# Right padding, a different length per example (7, 4, 2).
RIGHT_PADDED_MASK = np.array(
    [
        [1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0, 0],
        [1, 1, 0, 0, 0, 0, 0],
    ],
    bool,
)
# Holes in the middle, a masked first step (zeros before the first valid
# output) and masked last steps.
HOLES_MASK = np.array(
    [
        [1, 0, 1, 1, 0, 1, 1],
        [0, 1, 1, 0, 0, 1, 0],
        [0, 0, 1, 1, 1, 0, 1],
    ],
    bool,
)
MASKS = {None: None, "right": RIGHT_PADDED_MASK, "holes": HOLES_MASK}


def perturb_weights(layer, seed=0, scale=0.3):
    """Adds Gaussian noise to every weight of a built layer.

    Keras's initial weights plus noise: biases, peepholes and layer-norm
    offsets become non-zero and layer-norm scales differ from one, while the
    gates stay away from saturation.
    """
    rng = np.random.RandomState(seed)
    layer.set_weights(
        [
            (w + rng.normal(scale=scale, size=w.shape)).astype(w.dtype)
            for w in layer.get_weights()
        ]
    )


def cotangents(structure, seed=7):
    """Fixed random tensors shaped like each output, for a scalar loss.

    Stateless, so equal shapes get equal tensors, eagerly and in a graph.
    """
    return [
        tf.random.stateless_normal(tf.shape(t), seed=[seed, index], dtype=t.dtype)
        for index, t in enumerate(tf.nest.flatten(structure))
    ]


def outputs_and_gradients(layer, inputs, graph=False, **call_kwargs):
    """Outputs of `layer(inputs, **call_kwargs)` and the gradients of a loss.

    The loss is `sum(output * fixed random tensor)` over every output. The
    gradients are taken with respect to the inputs, the initial states (when
    given) and every trainable weight, in `layer.trainable_weights` order.

    Returns:
        `(outputs, gradients)`: two lists of NumPy arrays.
    """
    inputs = tf.constant(inputs)
    initial_state = call_kwargs.pop("initial_state", None)
    if initial_state is not None:
        initial_state = [tf.constant(s) for s in initial_state]
    if "mask" in call_kwargs and call_kwargs["mask"] is not None:
        call_kwargs["mask"] = tf.constant(call_kwargs["mask"])

    def run():
        sources = [inputs] + list(initial_state or [])
        with tf.GradientTape() as tape:
            tape.watch(sources)
            if initial_state is not None:
                call_kwargs["initial_state"] = initial_state
            outputs = tf.nest.flatten(layer(inputs, **call_kwargs))
            loss = tf.add_n(
                [
                    tf.reduce_sum(output * weight)
                    for output, weight in zip(outputs, cotangents(outputs))
                ]
            )
        gradients = tape.gradient(loss, sources + list(layer.trainable_weights))
        return outputs, gradients

    if graph:
        run = tf.function(run)
    outputs, gradients = run()
    for gradient in gradients:
        if gradient is None:
            raise AssertionError(f"A gradient of {layer.name} is None")
    return (
        [np.asarray(o) for o in outputs],
        [np.asarray(tf.convert_to_tensor(g)) for g in gradients],
    )


def _short_name(weight):
    return (weight.path or weight.name).split("/")[-1]


def _np_activation(fn):
    name = getattr(fn, "__name__", str(fn))
    table = {"tanh": np.tanh, "sigmoid": sigmoid, "linear": linear}
    if name not in table:
        raise TypeError(f"No NumPy reference for the activation {name}")
    return table[name]


# === Comparisons ===

# Sequence-layer arguments and call arguments under which a kerasseq layer must
# equal its Keras twin: `layer_kwargs` go to the constructor, `mask` names an
# entry of `MASKS`, `initial_state` passes random initial states. Together
# they cover return_sequences True/False, return_state, go_backwards, right
# padding, holes, zero_output_for_mask, initial states and unroll.
SEQUENCE_CASES = [
    dict(testcase_name="last_output"),
    dict(
        testcase_name="sequences_and_state",
        layer_kwargs={"return_sequences": True, "return_state": True},
    ),
    dict(
        testcase_name="go_backwards_state",
        layer_kwargs={"go_backwards": True, "return_state": True},
    ),
    dict(
        testcase_name="right_padded",
        layer_kwargs={"return_sequences": True, "return_state": True},
        mask="right",
    ),
    dict(testcase_name="right_padded_last_output", mask="right"),
    dict(
        testcase_name="holes_go_backwards",
        layer_kwargs={"go_backwards": True, "return_sequences": True},
        mask="holes",
    ),
    dict(
        testcase_name="holes_zero_output",
        layer_kwargs={
            "return_sequences": True,
            "return_state": True,
            "zero_output_for_mask": True,
        },
        mask="holes",
    ),
    dict(
        testcase_name="holes_initial_state",
        layer_kwargs={"return_sequences": True, "return_state": True},
        mask="holes",
        initial_state=True,
    ),
    dict(
        testcase_name="unroll_holes_go_backwards_initial_state",
        layer_kwargs={"unroll": True, "go_backwards": True, "return_sequences": True},
        mask="holes",
        initial_state=True,
    ),
    dict(
        testcase_name="unroll_right_padded_zero_output_state",
        layer_kwargs={
            "unroll": True,
            "return_state": True,
            "zero_output_for_mask": True,
        },
        mask="right",
    ),
]

# The convenience layers (`GRU`, `LSTM`, `SimpleRNN`) are `Recurrent` with a
# cell built from flat arguments: a smaller set that still covers each
# behaviour once.
LAYER_CASES = [
    case
    for case in SEQUENCE_CASES
    if case["testcase_name"]
    in (
        "last_output",
        "right_padded",
        "holes_go_backwards",
        "holes_initial_state",
        "unroll_holes_go_backwards_initial_state",
        "unroll_right_padded_zero_output_state",
    )
]

# The same comparison inside a `tf.function`, where `tf.while_loop` and the
# `TensorArray`s really are graph ops.
GRAPH_CASE = dict(
    testcase_name="graph_holes_go_backwards_initial_state",
    layer_kwargs={"return_sequences": True, "return_state": True, "go_backwards": True},
    mask="holes",
    initial_state=True,
    graph=True,
)

# `keras.layers.Bidirectional` around the layer: merge mode × return_sequences.
BIDIRECTIONAL_CASES = [
    dict(
        testcase_name=f"{merge_mode}_{'sequences' if sequences else 'last'}",
        merge_mode=merge_mode,
        return_sequences=sequences,
    )
    for merge_mode in ("concat", "sum")
    for sequences in (True, False)
]


# One of each merge mode and each return_sequences, for the convenience layers.
BIDIRECTIONAL_LAYER_CASES = [BIDIRECTIONAL_CASES[0], BIDIRECTIONAL_CASES[3]]

# Constructor arguments every cell and layer rejects with a ValueError, and a
# pattern the message must match: the argument's name and the value.
INVALID_ARGUMENTS = [
    ({"units": 0}, "units=0"),
    ({"units": -1}, "units=-1"),
    ({"units": 2.5}, r"units=2\.5"),
    ({"units": True}, "units=True"),
    ({"units": UNITS, "dropout": 1.0}, r"(?<!recurrent_)dropout=1\.0"),
    ({"units": UNITS, "dropout": -0.1}, r"(?<!recurrent_)dropout=-0\.1"),
    ({"units": UNITS, "recurrent_dropout": -0.1}, r"recurrent_dropout=-0\.1"),
    ({"units": UNITS, "recurrent_dropout": 1.0}, r"recurrent_dropout=1\.0"),
]

# ... and those an LSTM cell or layer also rejects.
LSTM_INVALID_ARGUMENTS = INVALID_ARGUMENTS + [
    ({"units": UNITS, "layer_norm_epsilon": 0}, "layer_norm_epsilon=0"),
    (
        {"units": UNITS, "use_layer_norm": True, "layer_norm_epsilon": -1e-3},
        r"layer_norm_epsilon=-0\.001",
    ),
]


def named_product(first, second):
    """`named_parameters` entries: every pair of two lists of named dicts."""
    return [
        {
            **a,
            **b,
            "testcase_name": f"{a['testcase_name']}_{b['testcase_name']}",
        }
        for a in first
        for b in second
    ]


def assert_all_close(test, expected, actual, atol=1e-5):
    """Two equally long lists of arrays are element-wise close."""
    test.assertEqual(len(expected), len(actual))
    for index, (e, a) in enumerate(zip(expected, actual)):
        test.assertEqual(np.shape(e), np.shape(a), msg=f"item {index}")
        test.assertAllClose(e, a, atol=atol, msg=f"item {index}")


def assert_same_outputs_and_gradients(
    test, expected_layer, actual_layer, inputs, graph=False, atol=1e-5, **call_kwargs
):
    """Equal outputs and gradients (inputs, initial states, every weight).

    `actual_layer` runs twice, with `training=False` and `training=True`: a
    layer may take a different path in training (kerasseq's `Recurrent` then
    runs a loop with a hand-written gradient). Without dropout both must give
    what `expected_layer` gives in inference.
    """
    expected_outputs, expected_gradients = outputs_and_gradients(
        expected_layer, inputs, graph=graph, **call_kwargs
    )
    # a comparison of zeros with zeros would prove nothing
    test.assertGreater(max(np.abs(g).max() for g in expected_gradients), 1e-3)
    for training in (False, True):
        with test.subTest(training=training):
            actual_outputs, actual_gradients = outputs_and_gradients(
                actual_layer, inputs, graph=graph, training=training, **call_kwargs
            )
            assert_all_close(test, expected_outputs, actual_outputs, atol)
            assert_all_close(test, expected_gradients, actual_gradients, atol)


def build_with_weights_of(source, target, inputs, seed=0):
    """Builds both layers on `inputs`, perturbs `source`, copies it to `target`."""
    source(inputs)
    target(inputs)
    perturb_weights(source, seed=seed)
    target.set_weights(source.get_weights())


def call_kwargs_for(mask=None, initial_state=False, num_states=1, units=UNITS):
    """The call arguments of a case: a mask by name, random initial states."""
    kwargs = {"mask": MASKS[mask]}
    if initial_state:
        kwargs["initial_state"] = random_states(num_states, units=units)
    return kwargs


# The sequence cases a cell also runs inside `keras.layers.RNN` in its tests.
KERAS_RNN_CASES = [
    case
    for case in SEQUENCE_CASES
    if case["testcase_name"]
    in (
        "sequences_and_state",
        "holes_go_backwards",
        "holes_initial_state",
        "unroll_right_padded_zero_output_state",
    )
]


def weight_names_and_shapes(layer):
    """`[(short weight name, shape), ...]` in creation order."""
    return [((w.path or w.name).split("/")[-1], tuple(w.shape)) for w in layer.weights]
