import keras
import numpy as np
from absl.testing import parameterized

from kerasseq.layers import GRUCell
from kerasseq.layers import Recurrent
from kerasseq.layers import RecurrentCell
from tests.layers import numpy_reference as ref
from tests.test_case import TestCase

UNITS = ref.UNITS
RESET_AFTER = [
    dict(testcase_name="reset_after", reset_after=True),
    dict(testcase_name="reset_before", reset_after=False),
]


# `keras.layers.RNN(our cell)` against `keras.layers.GRU`.
class GRUCellTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()
        self.step_inputs = self.inputs[:, 0]
        self.states = ref.random_states(1)

    def built_cell(self, seed=0, **kwargs):
        cell = GRUCell(UNITS, **kwargs)
        cell.build((ref.BATCH, ref.FEATURES))
        ref.perturb_weights(cell, seed=seed)
        return cell

    def test_is_a_recurrent_cell(self):
        cell = GRUCell(UNITS)
        self.assertIsInstance(cell, RecurrentCell)
        self.assertEqual(UNITS, cell.state_size)
        self.assertEqual(UNITS, cell.output_size)
        self.assertTrue(cell.reset_after)

    @parameterized.named_parameters(
        ref.named_product(
            RESET_AFTER,
            [
                dict(testcase_name="bias", use_bias=True),
                dict(testcase_name="no_bias", use_bias=False),
            ],
        )
    )
    def test_weights_named_and_shaped_as_keras(self, reset_after, use_bias):
        kwargs = {"reset_after": reset_after, "use_bias": use_bias}
        ours = GRUCell(UNITS, **kwargs)
        theirs = keras.layers.GRUCell(UNITS, **kwargs)
        for cell in (ours, theirs):
            cell.build((ref.BATCH, ref.FEATURES))
        self.assertEqual(
            ref.weight_names_and_shapes(theirs), ref.weight_names_and_shapes(ours)
        )
        expected = [
            ("kernel", (ref.FEATURES, 3 * UNITS)),
            ("recurrent_kernel", (UNITS, 3 * UNITS)),
        ]
        if use_bias:
            bias_shape = (2, 3 * UNITS) if reset_after else (3 * UNITS,)
            expected.append(("bias", bias_shape))
            self.assertAllEqual(np.zeros(bias_shape), ours.bias)
        self.assertEqual(expected, ref.weight_names_and_shapes(ours))

    @parameterized.named_parameters(
        ref.named_product(
            RESET_AFTER,
            [
                dict(testcase_name="bias"),
                dict(testcase_name="no_bias", use_bias=False),
                dict(testcase_name="state_as_tensor", states_as_list=False),
                dict(
                    testcase_name="other_activations",
                    activation="sigmoid",
                    recurrent_activation="tanh",
                ),
            ],
        )
    )
    def test_call_matches_numpy(
        self,
        reset_after,
        use_bias=True,
        states_as_list=True,
        activation="tanh",
        recurrent_activation="sigmoid",
    ):
        cell = self.built_cell(
            reset_after=reset_after,
            use_bias=use_bias,
            activation=activation,
            recurrent_activation=recurrent_activation,
        )
        states = self.states if states_as_list else self.states[0]
        output, new_states = cell(self.step_inputs, states)
        np_activations = {"tanh": np.tanh, "sigmoid": ref.sigmoid}
        expected, _ = ref.gru_step(
            self.step_inputs.astype("float64"),
            [self.states[0].astype("float64")],
            cell.kernel.numpy(),
            cell.recurrent_kernel.numpy(),
            cell.bias.numpy() if use_bias else None,
            reset_after=reset_after,
            activation=np_activations[activation],
            recurrent_activation=np_activations[recurrent_activation],
        )
        self.assertAllClose(expected, output, atol=1e-5)
        if states_as_list:
            self.assertLen(new_states, 1)
            self.assertAllClose(expected, new_states[0], atol=1e-5)
        else:
            self.assertAllClose(expected, new_states, atol=1e-5)

    @parameterized.named_parameters(RESET_AFTER)
    def test_call_matches_keras_cell(self, reset_after):
        ours = self.built_cell(reset_after=reset_after)
        theirs = keras.layers.GRUCell(UNITS, reset_after=reset_after)
        theirs.build((ref.BATCH, ref.FEATURES))
        theirs.set_weights(ours.get_weights())
        expected, expected_states = theirs(self.step_inputs, self.states)
        output, states = ours(self.step_inputs, self.states)
        self.assertAllClose(expected, output, atol=1e-6)
        ref.assert_all_close(self, expected_states, states, atol=1e-6)

    @parameterized.named_parameters(RESET_AFTER)
    def test_call_is_step_of_projected_inputs(self, reset_after):
        cell = self.built_cell(reset_after=reset_after)
        projected = cell.project_inputs(self.inputs)
        self.assertEqual((ref.BATCH, ref.TIME, 3 * UNITS), tuple(projected.shape))
        for t in range(ref.TIME):
            self.assertAllClose(
                cell.project_inputs(self.inputs[:, t]), projected[:, t], atol=1e-6
            )
        output, states = cell(self.step_inputs, self.states)
        step_output, step_states = cell.step(projected[:, 0], self.states)
        self.assertAllClose(output, step_output, atol=1e-6)
        ref.assert_all_close(self, states, step_states, atol=1e-6)

    def test_get_initial_state(self):
        states = GRUCell(UNITS).get_initial_state(batch_size=ref.BATCH)
        self.assertLen(states, 1)
        self.assertAllEqual(np.zeros((ref.BATCH, UNITS)), states[0])

    @parameterized.named_parameters(ref.KERAS_RNN_CASES)
    def test_in_keras_rnn_matches_keras_layer(
        self, layer_kwargs=None, mask=None, initial_state=False
    ):
        layer_kwargs = layer_kwargs or {}
        for reset_after in (True, False):
            with self.subTest(reset_after=reset_after):
                theirs = keras.layers.GRU(
                    UNITS, reset_after=reset_after, **layer_kwargs
                )
                ours = keras.layers.RNN(
                    GRUCell(UNITS, reset_after=reset_after), **layer_kwargs
                )
                ref.build_with_weights_of(theirs, ours, self.inputs)
                ref.assert_same_outputs_and_gradients(
                    self,
                    theirs,
                    ours,
                    self.inputs,
                    **ref.call_kwargs_for(mask, initial_state, 1),
                )

    @parameterized.named_parameters(RESET_AFTER)
    def test_in_keras_rnn_matches_numpy(self, reset_after):
        layer = keras.layers.RNN(
            GRUCell(UNITS, reset_after=reset_after),
            return_sequences=True,
            return_state=True,
            go_backwards=True,
        )
        layer(self.inputs)
        ref.perturb_weights(layer)
        outputs, state = layer(
            self.inputs, initial_state=self.states, mask=ref.HOLES_MASK
        )
        expected, _, expected_states = ref.run_sequence(
            ref.cell_step_fn(layer.cell),
            self.inputs,
            self.states,
            mask=ref.HOLES_MASK,
            go_backwards=True,
        )
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_states[0], state, atol=1e-5)

    def test_stacked_cells(self):
        stacked = keras.layers.RNN(
            [GRUCell(UNITS), GRUCell(3, reset_after=False)],
            return_sequences=True,
            return_state=True,
        )
        stacked(self.inputs)
        ref.perturb_weights(stacked)
        outputs, (first_state,), (second_state,) = stacked(
            self.inputs, mask=ref.RIGHT_PADDED_MASK
        )
        self.assertEqual((ref.BATCH, ref.TIME, 3), tuple(outputs.shape))
        first = Recurrent(GRUCell(UNITS), return_sequences=True, return_state=True)
        second = Recurrent(
            GRUCell(3, reset_after=False), return_sequences=True, return_state=True
        )
        first(self.inputs)
        second(np.zeros((ref.BATCH, ref.TIME, UNITS), "float32"))
        weights = stacked.get_weights()
        first.set_weights(weights[:3])
        second.set_weights(weights[3:])
        hidden, expected_first = first(self.inputs, mask=ref.RIGHT_PADDED_MASK)
        expected, expected_second = second(hidden, mask=ref.RIGHT_PADDED_MASK)
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_first, first_state, atol=1e-5)
        self.assertAllClose(expected_second, second_state, atol=1e-5)

    @parameterized.named_parameters(RESET_AFTER)
    def test_dropout_in_keras_rnn_only_in_training(self, reset_after):
        with_dropout = keras.layers.RNN(
            GRUCell(
                UNITS,
                reset_after=reset_after,
                dropout=0.4,
                recurrent_dropout=0.4,
                seed=1,
            ),
            return_sequences=True,
        )
        without = keras.layers.RNN(
            GRUCell(UNITS, reset_after=reset_after), return_sequences=True
        )
        ref.build_with_weights_of(with_dropout, without, self.inputs)
        inference = with_dropout(self.inputs, training=False)
        self.assertAllEqual(inference, with_dropout(self.inputs, training=False))
        self.assertAllClose(inference, without(self.inputs), atol=1e-6)
        self.assertNotAllClose(
            inference, with_dropout(self.inputs, training=True), atol=1e-3
        )

    def test_recurrent_mask_applies_to_the_state_in_every_gate(self):
        # As in Keras: the recurrent dropout mask multiplies h_{t-1} wherever it
        # meets a recurrent kernel, not in the final mix `z * h_{t-1}`. With
        # a mask of zeros, z, r and h~ are those of a zero state.
        zeros = np.zeros((ref.BATCH, UNITS), "float32")
        for reset_after in (True, False):
            with self.subTest(reset_after=reset_after):
                cell = self.built_cell(reset_after=reset_after)
                projected = cell.project_inputs(self.step_inputs)
                output, _ = cell.step(projected, self.states, recurrent_mask=zeros)
                kernel, recurrent_kernel, bias = cell.get_weights()
                # from a zero state the step gives (1 - z) h~
                from_zero, _ = ref.gru_step(
                    self.step_inputs,
                    [zeros],
                    kernel,
                    recurrent_kernel,
                    bias,
                    reset_after=reset_after,
                )
                z_bias = bias[0] + bias[1] if reset_after else bias
                z = ref.sigmoid(self.step_inputs @ kernel[:, :UNITS] + z_bias[:UNITS])
                expected = z * self.states[0] + from_zero
                self.assertAllClose(expected, output, atol=1e-5)

    def test_invalid_arguments(self):
        for kwargs, pattern in ref.INVALID_ARGUMENTS:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(ValueError, pattern):
                    GRUCell(**kwargs)

    def test_numpy_integer_units_are_accepted(self):
        cell = GRUCell(np.int64(4))
        self.assertEqual(4, cell.units)
        self.assertIs(int, type(cell.get_config()["units"]))

    @parameterized.named_parameters(
        dict(testcase_name="defaults", kwargs={}),
        dict(
            testcase_name="non_defaults",
            kwargs={
                "activation": "relu",
                "recurrent_activation": "hard_sigmoid",
                "reset_after": False,
                "use_bias": False,
                "bias_regularizer": "l1",
                "kernel_constraint": "max_norm",
                "dropout": 0.1,
                "recurrent_dropout": 0.2,
                "seed": 7,
            },
        ),
    )
    def test_serialization(self, kwargs):
        cell = GRUCell(UNITS, **kwargs)
        revived = self.run_serialization_test(cell)
        config = revived.get_config()
        for key in ("reset_after", "dropout", "recurrent_dropout", "seed", "use_bias"):
            if key in kwargs:
                self.assertEqual(kwargs[key], config[key])
        self.assertEqual(cell.reset_after, revived.reset_after)
