import keras
import numpy as np
from absl.testing import parameterized

from kerasseq.layers import LSTMCell
from tests.layers import numpy_reference as ref
from tests.layers.cell_contract import CellContractTests
from tests.test_case import TestCase

UNITS = ref.UNITS
LAYER_NORM_NAMES = [
    "input_gamma",
    "input_beta",
    "recurrent_gamma",
    "recurrent_beta",
    "cell_gamma",
    "cell_beta",
]
VARIANTS = [
    dict(testcase_name="plain", variant={}),
    dict(testcase_name="peepholes", variant={"use_peepholes": True}),
    dict(testcase_name="layer_norm", variant={"use_layer_norm": True}),
    dict(
        testcase_name="layer_norm_large_epsilon",
        variant={"use_layer_norm": True, "layer_norm_epsilon": 0.5},
    ),
    dict(
        testcase_name="peepholes_layer_norm",
        variant={"use_peepholes": True, "use_layer_norm": True},
    ),
]


# `keras.layers.RNN(our cell)` against `keras.layers.LSTM`.
class LSTMCellTest(CellContractTests, TestCase, parameterized.TestCase):
    cell_class = LSTMCell
    keras_cell_class = keras.layers.LSTMCell
    keras_layer_class = keras.layers.LSTM
    num_states = 2
    gate_units_multiplier = 4
    variants = tuple(case["variant"] for case in VARIANTS)
    stacked_variants = ({"use_layer_norm": True}, {"use_peepholes": True})
    dropout_variants = ({"use_peepholes": True, "use_layer_norm": True},)
    projection_atol = 1e-5
    # the forget gate's bias starts at one
    bias_initialised_to_zero = False
    invalid_arguments = ref.LSTM_INVALID_ARGUMENTS

    def numpy_step(self, cell, inputs, states, activation=np.tanh):
        weights = {name: w.numpy() for name, w in zip(self.names(cell), cell.weights)}
        layer_norm_weights = None
        if cell.use_layer_norm:
            layer_norm_weights = {name: weights[name] for name in LAYER_NORM_NAMES}
        return ref.lstm_step(
            inputs.astype("float64"),
            [s.astype("float64") for s in states],
            weights["kernel"],
            weights["recurrent_kernel"],
            weights.get("bias"),
            peephole_kernel=weights.get("peephole_kernel"),
            layer_norm_weights=layer_norm_weights,
            layer_norm_epsilon=cell.layer_norm_epsilon,
            activation=activation,
        )

    def names(self, cell):
        return [name for name, _ in ref.weight_names_and_shapes(cell)]

    def test_peephole_and_layer_norm_weights(self):
        cell = LSTMCell(UNITS, use_peepholes=True, use_layer_norm=True)
        cell.build((ref.BATCH, ref.FEATURES))
        self.assertEqual(
            [
                ("kernel", (ref.FEATURES, 4 * UNITS)),
                ("recurrent_kernel", (UNITS, 4 * UNITS)),
                ("bias", (4 * UNITS,)),
                ("peephole_kernel", (3, UNITS)),
                ("input_gamma", (4 * UNITS,)),
                ("input_beta", (4 * UNITS,)),
                ("recurrent_gamma", (4 * UNITS,)),
                ("recurrent_beta", (4 * UNITS,)),
                ("cell_gamma", (UNITS,)),
                ("cell_beta", (UNITS,)),
            ],
            ref.weight_names_and_shapes(cell),
        )
        # initialised as the identity: no peephole, unit scale, zero offset
        self.assertAllEqual(np.zeros((3, UNITS)), cell.peephole_kernel)
        for prefix in ("input", "recurrent", "cell"):
            gamma = getattr(cell, f"{prefix}_gamma").numpy()
            self.assertAllEqual(np.ones_like(gamma), gamma)
            self.assertAllEqual(np.zeros_like(gamma), getattr(cell, f"{prefix}_beta"))

    def test_zero_peepholes_equal_plain_lstm(self):
        plain = self.built_cell()
        peepholes = LSTMCell(UNITS, use_peepholes=True)
        peepholes.build((ref.BATCH, ref.FEATURES))
        peepholes.set_weights(plain.get_weights() + [np.zeros((3, UNITS))])
        expected, expected_states = plain(self.step_inputs, self.states)
        output, states = peepholes(self.step_inputs, self.states)
        self.assertAllClose(expected, output)
        ref.assert_all_close(self, expected_states, states)

    @parameterized.named_parameters(
        dict(testcase_name="default", kwargs={}, expected=[0, 1, 0, 0]),
        dict(
            testcase_name="no_unit_forget_bias",
            kwargs={"unit_forget_bias": False},
            expected=[0, 0, 0, 0],
        ),
        dict(
            testcase_name="ones_initializer",
            kwargs={"bias_initializer": "ones"},
            expected=[1, 1, 1, 1],
        ),
        dict(
            testcase_name="constant_initializer",
            kwargs={"bias_initializer": keras.initializers.Constant(0.5)},
            expected=[0.5, 1, 0.5, 0.5],
        ),
    )
    def test_forget_gate_bias_initialised_to_one(self, kwargs, expected):
        cell = LSTMCell(UNITS, **kwargs)
        cell.build((ref.BATCH, ref.FEATURES))
        self.assertAllEqual(np.repeat(expected, UNITS), cell.bias)
        # as Keras initialises its own
        theirs = keras.layers.LSTMCell(UNITS, **kwargs)
        theirs.build((ref.BATCH, ref.FEATURES))
        self.assertAllEqual(theirs.bias, cell.bias)

    @parameterized.named_parameters(
        VARIANTS
        + [
            dict(testcase_name="no_bias", variant={"use_bias": False}),
            dict(
                testcase_name="no_bias_peepholes_layer_norm",
                variant={
                    "use_bias": False,
                    "use_peepholes": True,
                    "use_layer_norm": True,
                },
            ),
            dict(
                testcase_name="linear_activation_peepholes_layer_norm",
                variant={
                    "activation": None,
                    "use_peepholes": True,
                    "use_layer_norm": True,
                },
            ),
        ]
    )
    def test_call_matches_numpy(self, variant):
        cell = self.built_cell(**variant)
        output, (h, c) = cell(self.step_inputs, self.states)
        activation = ref.linear if "activation" in variant else np.tanh
        expected, (expected_h, expected_c) = self.numpy_step(
            cell, self.step_inputs, self.states, activation=activation
        )
        self.assertAllClose(expected, output, atol=1e-5)
        self.assertAllClose(expected_h, h, atol=1e-5)
        # the cell state is returned unnormalised
        self.assertAllClose(expected_c, c, atol=1e-5)

    def test_layer_norm_makes_a_difference(self):
        # The reference is not vacuous: normalisation, peepholes and epsilon
        # each change the result.
        cell = self.built_cell(use_peepholes=True, use_layer_norm=True)
        output, _ = cell(self.step_inputs, self.states)
        plain, _ = ref.lstm_step(self.step_inputs, self.states, *cell.get_weights()[:3])
        self.assertNotAllClose(plain, output, atol=1e-3)
        cell.layer_norm_epsilon = 0.5
        self.assertNotAllClose(
            output, cell(self.step_inputs, self.states)[0], atol=1e-3
        )

    @parameterized.named_parameters(
        dict(testcase_name="defaults", kwargs={}),
        dict(
            testcase_name="peepholes_layer_norm",
            kwargs={
                "use_peepholes": True,
                "use_layer_norm": True,
                "layer_norm_epsilon": 1e-5,
                "unit_forget_bias": False,
                "recurrent_activation": "hard_sigmoid",
                "recurrent_regularizer": "l2",
                "dropout": 0.1,
                "recurrent_dropout": 0.2,
                "seed": 7,
            },
        ),
    )
    def test_serialization(self, kwargs):
        cell = LSTMCell(UNITS, **kwargs)
        revived = self.run_serialization_test(cell)
        config = revived.get_config()
        for key, value in kwargs.items():
            if not key.startswith("recurrent_"):
                self.assertEqual(value, config[key])
        # the revived cell builds the same weights
        revived.build((ref.BATCH, ref.FEATURES))
        cell.build((ref.BATCH, ref.FEATURES))
        self.assertEqual(
            ref.weight_names_and_shapes(cell), ref.weight_names_and_shapes(revived)
        )
