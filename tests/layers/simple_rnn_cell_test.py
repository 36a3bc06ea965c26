import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.layers import SimpleRNNCell
from tests.layers import numpy_reference as ref
from tests.layers.cell_contract import CellContractTests
from tests.test_case import TestCase

UNITS = ref.UNITS
# `keras.layers.RNN(our cell)` against `keras.layers.SimpleRNN`.
KERAS_RNN_CASES = [
    case
    for case in ref.SEQUENCE_CASES
    if case["testcase_name"]
    in (
        "last_output",
        "sequences_and_state",
        "holes_go_backwards",
        "holes_initial_state",
        "unroll_right_padded_zero_output_state",
    )
]


class SimpleRNNCellTest(CellContractTests, TestCase, parameterized.TestCase):
    cell_class = SimpleRNNCell
    keras_cell_class = keras.layers.SimpleRNNCell
    keras_layer_class = keras.layers.SimpleRNN
    num_states = 1
    gate_units_multiplier = 1
    keras_rnn_cases = KERAS_RNN_CASES
    stacked_mask = ref.HOLES_MASK
    numpy_rnn_initial_state = False

    @parameterized.named_parameters(
        dict(testcase_name="tanh", activation="tanh"),
        dict(testcase_name="linear", activation=None),
        dict(testcase_name="no_bias", use_bias=False),
        dict(testcase_name="state_as_tensor", states_as_list=False),
    )
    def test_call_matches_numpy(
        self, activation="tanh", use_bias=True, states_as_list=True
    ):
        cell = self.built_cell(activation=activation, use_bias=use_bias)
        states = self.states if states_as_list else self.states[0]
        output, new_states = cell(self.step_inputs, states)
        expected, expected_states = ref.simple_rnn_step(
            self.step_inputs.astype("float64"),
            [self.states[0].astype("float64")],
            cell.kernel.numpy(),
            cell.recurrent_kernel.numpy(),
            cell.bias.numpy() if use_bias else None,
            activation=np.tanh if activation else ref.linear,
        )
        self.assertAllClose(expected, output, atol=1e-5)
        if states_as_list:
            self.assertLen(new_states, 1)
            self.assertAllClose(expected_states[0], new_states[0], atol=1e-5)
        else:
            # a state passed as a tensor comes back as a tensor
            self.assertAllClose(expected_states[0], new_states, atol=1e-5)

    def test_call_is_step_of_projected_inputs(self):
        super().test_call_is_step_of_projected_inputs()
        # the projection is `x @ kernel + bias`
        cell = self.built_cell()
        self.assertAllClose(
            self.inputs @ cell.kernel.numpy() + cell.bias.numpy(),
            cell.project_inputs(self.inputs),
            atol=1e-5,
        )

    def test_dropout_masks(self):
        rate = 0.5
        cell = SimpleRNNCell(UNITS, dropout=rate, recurrent_dropout=rate, seed=2)
        ones = np.ones((ref.BATCH, ref.FEATURES), "float32")
        state = np.zeros((ref.BATCH, UNITS), "float32")
        self.assertEqual((None, None), cell.dropout_masks(ones, state, False))
        input_mask, recurrent_mask = cell.dropout_masks(ones, state, True)
        for mask, shape in ((input_mask, ones.shape), (recurrent_mask, state.shape)):
            mask = np.asarray(mask)
            self.assertEqual(shape, mask.shape)
            kept = np.isclose(mask, 1.0 / (1.0 - rate))
            self.assertTrue(np.all(kept | (mask == 0.0)))
            self.assertTrue(kept.any() and not kept.all())
        no_dropout = SimpleRNNCell(UNITS)
        self.assertEqual((None, None), no_dropout.dropout_masks(ones, state, True))

    @parameterized.named_parameters(
        dict(testcase_name="eager"), dict(testcase_name="graph", graph=True)
    )
    def test_keras_rnn_draws_input_masks_at_every_step(self, graph=False):
        # Documented: inside `keras.layers.RNN` a kerasseq cell draws fresh
        # masks at every timestep (only `Recurrent` reuses them).
        cell = SimpleRNNCell(ref.FEATURES, activation=None, dropout=0.5, seed=4)
        layer = keras.layers.RNN(cell, return_sequences=True)
        inputs = np.ones((ref.BATCH, ref.TIME, ref.FEATURES), "float32")
        layer(inputs)
        identity = np.eye(ref.FEATURES, dtype="float32")
        layer.set_weights([identity, np.zeros_like(identity), np.zeros(ref.FEATURES)])

        def run():
            return layer(inputs, training=True)

        outputs = np.asarray(tf.function(run)() if graph else run())
        kept = np.isclose(outputs, 2.0)
        self.assertTrue(np.all(kept | (outputs == 0.0)))
        self.assertFalse(
            all(
                np.array_equal(outputs[:, 0], outputs[:, t]) for t in range(1, ref.TIME)
            )
        )

    @parameterized.named_parameters(
        dict(testcase_name="defaults", kwargs={}),
        dict(
            testcase_name="non_defaults",
            kwargs={
                "activation": "relu",
                "use_bias": False,
                "kernel_initializer": "he_normal",
                "recurrent_initializer": "glorot_uniform",
                "kernel_regularizer": "l2",
                "recurrent_constraint": "non_neg",
                "dropout": 0.1,
                "recurrent_dropout": 0.2,
                "seed": 7,
                "name": "my_cell",
            },
        ),
    )
    def test_serialization(self, kwargs):
        cell = SimpleRNNCell(UNITS, **kwargs)
        revived = self.run_serialization_test(cell)
        config = revived.get_config()
        for key, value in kwargs.items():
            if key in ("dropout", "recurrent_dropout", "seed", "use_bias", "name"):
                self.assertEqual(value, config[key])
        self.assertEqual(UNITS, config["units"])
