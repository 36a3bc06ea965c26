import keras
import numpy as np
from absl.testing import parameterized

from kerasseq.layers import LSTMCell
from kerasseq.layers import Recurrent
from kerasseq.layers import RecurrentCell
from tests.layers import numpy_reference as ref
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
class LSTMCellTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()
        self.step_inputs = self.inputs[:, 0]
        self.states = ref.random_states(2)

    def built_cell(self, seed=0, **kwargs):
        """A built cell whose every weight (peepholes, gammas too) is random."""
        cell = LSTMCell(UNITS, **kwargs)
        cell.build((ref.BATCH, ref.FEATURES))
        ref.perturb_weights(cell, seed=seed)
        return cell

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

    def test_is_a_recurrent_cell(self):
        cell = LSTMCell(UNITS)
        self.assertIsInstance(cell, RecurrentCell)
        self.assertEqual([UNITS, UNITS], list(cell.state_size))
        self.assertEqual(UNITS, cell.output_size)

    @parameterized.named_parameters(
        dict(testcase_name="bias", use_bias=True),
        dict(testcase_name="no_bias", use_bias=False),
    )
    def test_weights_named_and_shaped_as_keras(self, use_bias):
        ours = LSTMCell(UNITS, use_bias=use_bias)
        theirs = keras.layers.LSTMCell(UNITS, use_bias=use_bias)
        for cell in (ours, theirs):
            cell.build((ref.BATCH, ref.FEATURES))
        self.assertEqual(
            ref.weight_names_and_shapes(theirs), ref.weight_names_and_shapes(ours)
        )
        expected = [
            ("kernel", (ref.FEATURES, 4 * UNITS)),
            ("recurrent_kernel", (UNITS, 4 * UNITS)),
        ] + ([("bias", (4 * UNITS,))] if use_bias else [])
        self.assertEqual(expected, ref.weight_names_and_shapes(ours))

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

    def test_call_matches_keras_cell(self):
        ours = self.built_cell()
        theirs = keras.layers.LSTMCell(UNITS)
        theirs.build((ref.BATCH, ref.FEATURES))
        theirs.set_weights(ours.get_weights())
        expected, expected_states = theirs(self.step_inputs, self.states)
        output, states = ours(self.step_inputs, self.states)
        self.assertAllClose(expected, output, atol=1e-6)
        ref.assert_all_close(self, expected_states, states, atol=1e-6)

    @parameterized.named_parameters(VARIANTS)
    def test_call_is_step_of_projected_inputs(self, variant):
        cell = self.built_cell(**variant)
        projected = cell.project_inputs(self.inputs)
        self.assertEqual((ref.BATCH, ref.TIME, 4 * UNITS), tuple(projected.shape))
        for t in range(ref.TIME):
            self.assertAllClose(
                cell.project_inputs(self.inputs[:, t]), projected[:, t], atol=1e-5
            )
        output, states = cell(self.step_inputs, self.states)
        step_output, step_states = cell.step(projected[:, 0], self.states)
        self.assertAllClose(output, step_output, atol=1e-6)
        ref.assert_all_close(self, states, step_states, atol=1e-6)

    def test_get_initial_state(self):
        states = LSTMCell(UNITS).get_initial_state(batch_size=ref.BATCH)
        self.assertLen(states, 2)
        for state in states:
            self.assertAllEqual(np.zeros((ref.BATCH, UNITS)), state)

    @parameterized.named_parameters(ref.KERAS_RNN_CASES)
    def test_in_keras_rnn_matches_keras_layer(
        self, layer_kwargs=None, mask=None, initial_state=False
    ):
        layer_kwargs = layer_kwargs or {}
        theirs = keras.layers.LSTM(UNITS, **layer_kwargs)
        ours = keras.layers.RNN(LSTMCell(UNITS), **layer_kwargs)
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self,
            theirs,
            ours,
            self.inputs,
            **ref.call_kwargs_for(mask, initial_state, 2),
        )

    @parameterized.named_parameters(VARIANTS)
    def test_in_keras_rnn_matches_numpy(self, variant):
        layer = keras.layers.RNN(
            LSTMCell(UNITS, **variant), return_sequences=True, return_state=True
        )
        layer(self.inputs)
        ref.perturb_weights(layer)
        outputs, h, c = layer(
            self.inputs, initial_state=self.states, mask=ref.HOLES_MASK
        )
        expected, _, (expected_h, expected_c) = ref.run_sequence(
            ref.cell_step_fn(layer.cell),
            self.inputs,
            self.states,
            mask=ref.HOLES_MASK,
        )
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_h, h, atol=1e-5)
        self.assertAllClose(expected_c, c, atol=1e-5)

    def test_stacked_cells(self):
        stacked = keras.layers.RNN(
            [LSTMCell(UNITS, use_layer_norm=True), LSTMCell(3, use_peepholes=True)],
            return_sequences=True,
            return_state=True,
        )
        stacked(self.inputs)
        ref.perturb_weights(stacked)
        outputs, first_states, second_states = stacked(
            self.inputs, mask=ref.RIGHT_PADDED_MASK
        )
        self.assertEqual((ref.BATCH, ref.TIME, 3), tuple(outputs.shape))
        first = Recurrent(
            LSTMCell(UNITS, use_layer_norm=True),
            return_sequences=True,
            return_state=True,
        )
        second = Recurrent(
            LSTMCell(3, use_peepholes=True), return_sequences=True, return_state=True
        )
        first(self.inputs)
        second(np.zeros((ref.BATCH, ref.TIME, UNITS), "float32"))
        weights = stacked.get_weights()
        first.set_weights(weights[: len(first.weights)])
        second.set_weights(weights[len(first.weights) :])
        hidden, *expected_first = first(self.inputs, mask=ref.RIGHT_PADDED_MASK)
        expected, *expected_second = second(hidden, mask=ref.RIGHT_PADDED_MASK)
        self.assertAllClose(expected, outputs, atol=1e-5)
        ref.assert_all_close(self, expected_first, first_states)
        ref.assert_all_close(self, expected_second, second_states)

    def test_dropout_in_keras_rnn_only_in_training(self):
        with_dropout = keras.layers.RNN(
            LSTMCell(
                UNITS,
                use_peepholes=True,
                use_layer_norm=True,
                dropout=0.4,
                recurrent_dropout=0.4,
                seed=1,
            ),
            return_sequences=True,
        )
        without = keras.layers.RNN(
            LSTMCell(UNITS, use_peepholes=True, use_layer_norm=True),
            return_sequences=True,
        )
        ref.build_with_weights_of(with_dropout, without, self.inputs)
        inference = with_dropout(self.inputs, training=False)
        self.assertAllEqual(inference, with_dropout(self.inputs, training=False))
        self.assertAllClose(inference, without(self.inputs), atol=1e-6)
        self.assertNotAllClose(
            inference, with_dropout(self.inputs, training=True), atol=1e-3
        )

    def test_invalid_arguments(self):
        for kwargs, pattern in ref.INVALID_ARGUMENTS + [
            ({"units": UNITS, "layer_norm_epsilon": 0}, "layer_norm_epsilon=0"),
            (
                {"units": UNITS, "use_layer_norm": True, "layer_norm_epsilon": -1e-3},
                r"layer_norm_epsilon=-0\.001",
            ),
        ]:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(ValueError, pattern):
                    LSTMCell(**kwargs)

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
