import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.layers import Recurrent
from kerasseq.layers import RecurrentCell
from kerasseq.layers import SimpleRNNCell
from tests.layers import numpy_reference as ref
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


class SimpleRNNCellTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()
        self.step_inputs = self.inputs[:, 0]
        self.states = ref.random_states(1)

    def built_cell(self, seed=0, **kwargs):
        cell = SimpleRNNCell(UNITS, **kwargs)
        cell.build((ref.BATCH, ref.FEATURES))
        ref.perturb_weights(cell, seed=seed)
        return cell

    def test_is_a_recurrent_cell(self):
        cell = SimpleRNNCell(UNITS)
        self.assertIsInstance(cell, RecurrentCell)
        self.assertEqual(UNITS, cell.state_size)
        self.assertEqual(UNITS, cell.output_size)

    @parameterized.named_parameters(
        dict(testcase_name="bias", use_bias=True),
        dict(testcase_name="no_bias", use_bias=False),
    )
    def test_weights_named_and_shaped_as_keras(self, use_bias):
        ours = SimpleRNNCell(UNITS, use_bias=use_bias)
        theirs = keras.layers.SimpleRNNCell(UNITS, use_bias=use_bias)
        for cell in (ours, theirs):
            cell.build((ref.BATCH, ref.FEATURES))
        self.assertEqual(
            [
                ((w.path or w.name).split("/")[-1], tuple(w.shape))
                for w in theirs.weights
            ],
            [((w.path or w.name).split("/")[-1], tuple(w.shape)) for w in ours.weights],
        )
        expected = ["kernel", "recurrent_kernel"] + (["bias"] if use_bias else [])
        self.assertEqual(expected, [w.path.split("/")[-1] for w in ours.weights])
        self.assertEqual((ref.FEATURES, UNITS), tuple(ours.kernel.shape))
        if use_bias:
            self.assertAllEqual(np.zeros(UNITS), ours.bias)

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

    def test_call_matches_keras_cell(self):
        ours = self.built_cell()
        theirs = keras.layers.SimpleRNNCell(UNITS)
        theirs.build((ref.BATCH, ref.FEATURES))
        theirs.set_weights(ours.get_weights())
        expected, expected_states = theirs(self.step_inputs, self.states)
        output, states = ours(self.step_inputs, self.states)
        self.assertAllClose(expected, output, atol=1e-6)
        ref.assert_all_close(self, expected_states, states, atol=1e-6)

    def test_call_is_step_of_projected_inputs(self):
        cell = self.built_cell()
        # the projection works on one timestep and on a whole sequence
        projected = cell.project_inputs(self.inputs)
        for t in range(ref.TIME):
            self.assertAllClose(
                cell.project_inputs(self.inputs[:, t]), projected[:, t], atol=1e-6
            )
        self.assertAllClose(
            self.inputs @ cell.kernel.numpy() + cell.bias.numpy(), projected, atol=1e-5
        )
        output, states = cell(self.step_inputs, self.states)
        step_output, step_states = cell.step(projected[:, 0], self.states)
        self.assertAllClose(output, step_output, atol=1e-6)
        ref.assert_all_close(self, states, step_states, atol=1e-6)

    def test_get_initial_state(self):
        states = SimpleRNNCell(UNITS).get_initial_state(batch_size=ref.BATCH)
        self.assertLen(states, 1)
        self.assertAllEqual(np.zeros((ref.BATCH, UNITS)), states[0])

    @parameterized.named_parameters(KERAS_RNN_CASES)
    def test_in_keras_rnn_matches_keras_layer(
        self, layer_kwargs=None, mask=None, initial_state=False
    ):
        layer_kwargs = layer_kwargs or {}
        theirs = keras.layers.SimpleRNN(UNITS, **layer_kwargs)
        ours = keras.layers.RNN(SimpleRNNCell(UNITS), **layer_kwargs)
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self,
            theirs,
            ours,
            self.inputs,
            **ref.call_kwargs_for(mask, initial_state, 1),
        )

    def test_in_keras_rnn_matches_numpy(self):
        layer = keras.layers.RNN(
            SimpleRNNCell(UNITS), return_sequences=True, return_state=True
        )
        layer(self.inputs)
        ref.perturb_weights(layer)
        outputs, state = layer(self.inputs, mask=ref.HOLES_MASK)
        expected, _, expected_states = ref.run_sequence(
            ref.cell_step_fn(layer.cell),
            self.inputs,
            [np.zeros((ref.BATCH, UNITS))],
            mask=ref.HOLES_MASK,
        )
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_states[0], state, atol=1e-5)

    def test_stacked_cells(self):
        stacked = keras.layers.RNN(
            [SimpleRNNCell(UNITS), SimpleRNNCell(3)],
            return_sequences=True,
            return_state=True,
        )
        stacked(self.inputs)
        ref.perturb_weights(stacked)
        outputs, (first_state,), (second_state,) = stacked(
            self.inputs, mask=ref.HOLES_MASK
        )
        self.assertEqual((ref.BATCH, ref.TIME, 3), tuple(outputs.shape))
        # the same weights, one `Recurrent` per layer
        first = Recurrent(
            SimpleRNNCell(UNITS), return_sequences=True, return_state=True
        )
        second = Recurrent(SimpleRNNCell(3), return_sequences=True, return_state=True)
        first(self.inputs)
        second(np.zeros((ref.BATCH, ref.TIME, UNITS), "float32"))
        weights = stacked.get_weights()
        first.set_weights(weights[:3])
        second.set_weights(weights[3:])
        hidden, expected_first = first(self.inputs, mask=ref.HOLES_MASK)
        expected, expected_second = second(hidden, mask=ref.HOLES_MASK)
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_first, first_state, atol=1e-5)
        self.assertAllClose(expected_second, second_state, atol=1e-5)
        # and the NumPy equations, layer after layer
        cells = stacked.cell.cells
        hidden, _, _ = ref.run_sequence(
            ref.cell_step_fn(cells[0]),
            self.inputs,
            [np.zeros((ref.BATCH, UNITS))],
            mask=ref.HOLES_MASK,
        )
        expected, _, _ = ref.run_sequence(
            ref.cell_step_fn(cells[1]),
            hidden,
            [np.zeros((ref.BATCH, 3))],
            mask=ref.HOLES_MASK,
        )
        self.assertAllClose(expected, outputs, atol=1e-5)

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

    def test_dropout_in_keras_rnn_only_in_training(self):
        with_dropout = keras.layers.RNN(
            SimpleRNNCell(UNITS, dropout=0.4, recurrent_dropout=0.4, seed=1),
            return_sequences=True,
        )
        without = keras.layers.RNN(SimpleRNNCell(UNITS), return_sequences=True)
        ref.build_with_weights_of(with_dropout, without, self.inputs)
        inference = with_dropout(self.inputs, training=False)
        self.assertAllEqual(inference, with_dropout(self.inputs, training=False))
        self.assertAllClose(inference, without(self.inputs), atol=1e-6)
        self.assertNotAllClose(
            inference, with_dropout(self.inputs, training=True), atol=1e-3
        )

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

    def test_invalid_arguments(self):
        for kwargs, pattern in ref.INVALID_ARGUMENTS:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(ValueError, pattern):
                    SimpleRNNCell(**kwargs)

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
