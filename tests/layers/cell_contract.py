"""The shared contract tests of the recurrent cells (a mixin for cell tests)."""

import keras
import numpy as np

from kerasseq.layers import Recurrent
from kerasseq.layers import RecurrentCell
from tests.layers import numpy_reference as ref

UNITS = ref.UNITS


class CellContractTests:
    """The contract every kerasseq recurrent cell keeps, as a test mixin.

    Not collected on its own: mix it into a `TestCase` that sets the class
    attributes below. The tests here are those every cell shares up to its
    parameters: it is a `RecurrentCell` with Keras's state and output sizes,
    its weights are named and shaped as Keras's twin names them, one call
    equals Keras's cell and `step` of `project_inputs`, the initial state is
    zeros, inside `keras.layers.RNN` it equals Keras's layer and the NumPy
    equations (also stacked), dropout acts only in training, and invalid
    arguments raise a `ValueError` naming them. A cell-specific variant list
    (GRU's `reset_after`, LSTM's peepholes and layer norm) runs as subtests.

    A new cell needs only a small test class and its equation test:

        class MyCellTest(
            CellContractTests, TestCase, parameterized.TestCase
        ):
            cell_class = MyCell
            keras_cell_class = keras.layers.MyCell    # Keras's twin
            keras_layer_class = keras.layers.MyLayer  # its sequence layer
            num_states = 1
            gate_units_multiplier = 2                 # kernel is (F, 2 * units)

            def test_call_matches_numpy(self):
                cell = self.built_cell()
                output, states = cell(self.step_inputs, self.states)
                ...  # against a NumPy step in numpy_reference.py

    (plus a branch for it in `numpy_reference.cell_step_fn`), then overrides
    or adds tests only where the cell differs.
    """

    # === Parameters ===
    cell_class = None
    keras_cell_class = None
    keras_layer_class = None
    num_states = 1
    # kernel width / units: 1 for SimpleRNN, 3 for GRU, 4 for LSTM
    gate_units_multiplier = 1
    # constructor arguments of the variants the cell-only contract runs over
    variants = ({},)
    # constructor arguments our cell and Keras's twin both accept
    keras_variants = ({},)
    # `ref.SEQUENCE_CASES` entries to run inside `keras.layers.RNN`
    keras_rnn_cases = ref.KERAS_RNN_CASES
    # constructor arguments of the first and the second cell of a stack
    stacked_variants = ({}, {})
    stacked_mask = ref.RIGHT_PADDED_MASK
    dropout_variants = ({},)
    # how the NumPy comparison in `keras.layers.RNN` runs
    numpy_rnn_go_backwards = False
    numpy_rnn_initial_state = True
    projection_atol = 1e-6
    bias_initialised_to_zero = True
    invalid_arguments = ref.INVALID_ARGUMENTS

    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()
        self.step_inputs = self.inputs[:, 0]
        self.states = ref.random_states(self.num_states)

    def built_cell(self, seed=0, **kwargs):
        """A built cell whose every weight is random."""
        cell = self.cell_class(UNITS, **kwargs)
        cell.build((ref.BATCH, ref.FEATURES))
        ref.perturb_weights(cell, seed=seed)
        return cell

    def expected_bias_shape(self, variant):
        return (self.gate_units_multiplier * UNITS,)

    def zero_states(self, units=UNITS):
        return [np.zeros((ref.BATCH, units))] * self.num_states

    # === Contract ===

    def test_is_a_recurrent_cell(self):
        cell = self.cell_class(UNITS)
        self.assertIsInstance(cell, RecurrentCell)
        if self.num_states == 1:
            self.assertEqual(UNITS, cell.state_size)
        else:
            self.assertEqual([UNITS] * self.num_states, list(cell.state_size))
        self.assertEqual(UNITS, cell.output_size)

    def test_weights_named_and_shaped_as_keras(self):
        width = self.gate_units_multiplier * UNITS
        for variant in self.keras_variants:
            for use_bias in (True, False):
                with self.subTest(use_bias=use_bias, **variant):
                    kwargs = {**variant, "use_bias": use_bias}
                    ours = self.cell_class(UNITS, **kwargs)
                    theirs = self.keras_cell_class(UNITS, **kwargs)
                    for cell in (ours, theirs):
                        cell.build((ref.BATCH, ref.FEATURES))
                    self.assertEqual(
                        ref.weight_names_and_shapes(theirs),
                        ref.weight_names_and_shapes(ours),
                    )
                    expected = [
                        ("kernel", (ref.FEATURES, width)),
                        ("recurrent_kernel", (UNITS, width)),
                    ]
                    if use_bias:
                        bias_shape = self.expected_bias_shape(variant)
                        expected.append(("bias", bias_shape))
                        if self.bias_initialised_to_zero:
                            self.assertAllEqual(np.zeros(bias_shape), ours.bias)
                    self.assertEqual(expected, ref.weight_names_and_shapes(ours))

    def test_call_matches_keras_cell(self):
        for variant in self.keras_variants:
            with self.subTest(**variant):
                ours = self.built_cell(**variant)
                theirs = self.keras_cell_class(UNITS, **variant)
                theirs.build((ref.BATCH, ref.FEATURES))
                theirs.set_weights(ours.get_weights())
                expected, expected_states = theirs(self.step_inputs, self.states)
                output, states = ours(self.step_inputs, self.states)
                self.assertAllClose(expected, output, atol=1e-6)
                ref.assert_all_close(self, expected_states, states, atol=1e-6)

    def test_call_is_step_of_projected_inputs(self):
        width = self.gate_units_multiplier * UNITS
        for variant in self.variants:
            with self.subTest(**variant):
                cell = self.built_cell(**variant)
                # the projection works on one timestep and on a whole sequence
                projected = cell.project_inputs(self.inputs)
                self.assertEqual((ref.BATCH, ref.TIME, width), tuple(projected.shape))
                for t in range(ref.TIME):
                    self.assertAllClose(
                        cell.project_inputs(self.inputs[:, t]),
                        projected[:, t],
                        atol=self.projection_atol,
                    )
                output, states = cell(self.step_inputs, self.states)
                step_output, step_states = cell.step(projected[:, 0], self.states)
                self.assertAllClose(output, step_output, atol=1e-6)
                ref.assert_all_close(self, states, step_states, atol=1e-6)

    def test_get_initial_state(self):
        states = self.cell_class(UNITS).get_initial_state(batch_size=ref.BATCH)
        self.assertLen(states, self.num_states)
        for state in states:
            self.assertAllEqual(np.zeros((ref.BATCH, UNITS)), state)

    def test_in_keras_rnn_matches_keras_layer(self):
        # `keras.layers.RNN(our cell)` against Keras's own sequence layer
        for case in self.keras_rnn_cases:
            layer_kwargs = case.get("layer_kwargs") or {}
            call_kwargs = ref.call_kwargs_for(
                case.get("mask"), case.get("initial_state", False), self.num_states
            )
            for variant in self.keras_variants:
                with self.subTest(case["testcase_name"], **variant):
                    theirs = self.keras_layer_class(UNITS, **variant, **layer_kwargs)
                    ours = keras.layers.RNN(
                        self.cell_class(UNITS, **variant), **layer_kwargs
                    )
                    ref.build_with_weights_of(theirs, ours, self.inputs)
                    ref.assert_same_outputs_and_gradients(
                        self, theirs, ours, self.inputs, **call_kwargs
                    )

    def test_in_keras_rnn_matches_numpy(self):
        go_backwards = self.numpy_rnn_go_backwards
        for variant in self.variants:
            with self.subTest(**variant):
                layer = keras.layers.RNN(
                    self.cell_class(UNITS, **variant),
                    return_sequences=True,
                    return_state=True,
                    go_backwards=go_backwards,
                )
                layer(self.inputs)
                ref.perturb_weights(layer)
                if self.numpy_rnn_initial_state:
                    initial_states = self.states
                    call_kwargs = {"initial_state": self.states}
                else:
                    initial_states = self.zero_states()
                    call_kwargs = {}
                outputs, *states = layer(
                    self.inputs, mask=ref.HOLES_MASK, **call_kwargs
                )
                expected, _, expected_states = ref.run_sequence(
                    ref.cell_step_fn(layer.cell),
                    self.inputs,
                    initial_states,
                    mask=ref.HOLES_MASK,
                    go_backwards=go_backwards,
                )
                self.assertAllClose(expected, outputs, atol=1e-5)
                ref.assert_all_close(self, expected_states, states, atol=1e-5)

    def test_stacked_cells(self):
        first_kwargs, second_kwargs = self.stacked_variants
        mask = self.stacked_mask
        stacked = keras.layers.RNN(
            [
                self.cell_class(UNITS, **first_kwargs),
                self.cell_class(3, **second_kwargs),
            ],
            return_sequences=True,
            return_state=True,
        )
        stacked(self.inputs)
        ref.perturb_weights(stacked)
        outputs, first_states, second_states = stacked(self.inputs, mask=mask)
        self.assertEqual((ref.BATCH, ref.TIME, 3), tuple(outputs.shape))
        # the same weights, one `Recurrent` per layer
        first = Recurrent(
            self.cell_class(UNITS, **first_kwargs),
            return_sequences=True,
            return_state=True,
        )
        second = Recurrent(
            self.cell_class(3, **second_kwargs),
            return_sequences=True,
            return_state=True,
        )
        first(self.inputs)
        second(np.zeros((ref.BATCH, ref.TIME, UNITS), "float32"))
        weights = stacked.get_weights()
        first.set_weights(weights[: len(first.weights)])
        second.set_weights(weights[len(first.weights) :])
        hidden, *expected_first = first(self.inputs, mask=mask)
        expected, *expected_second = second(hidden, mask=mask)
        self.assertAllClose(expected, outputs, atol=1e-5)
        ref.assert_all_close(self, expected_first, first_states, atol=1e-5)
        ref.assert_all_close(self, expected_second, second_states, atol=1e-5)
        # and the NumPy equations, layer after layer
        cells = stacked.cell.cells
        hidden, _, _ = ref.run_sequence(
            ref.cell_step_fn(cells[0]), self.inputs, self.zero_states(), mask=mask
        )
        expected, _, _ = ref.run_sequence(
            ref.cell_step_fn(cells[1]), hidden, self.zero_states(3), mask=mask
        )
        self.assertAllClose(expected, outputs, atol=1e-5)

    def test_dropout_in_keras_rnn_only_in_training(self):
        for variant in self.dropout_variants:
            with self.subTest(**variant):
                with_dropout = keras.layers.RNN(
                    self.cell_class(
                        UNITS,
                        **variant,
                        dropout=0.4,
                        recurrent_dropout=0.4,
                        seed=1,
                    ),
                    return_sequences=True,
                )
                without = keras.layers.RNN(
                    self.cell_class(UNITS, **variant), return_sequences=True
                )
                ref.build_with_weights_of(with_dropout, without, self.inputs)
                inference = with_dropout(self.inputs, training=False)
                self.assertAllEqual(
                    inference, with_dropout(self.inputs, training=False)
                )
                self.assertAllClose(inference, without(self.inputs), atol=1e-6)
                self.assertNotAllClose(
                    inference, with_dropout(self.inputs, training=True), atol=1e-3
                )

    def test_invalid_arguments(self):
        for kwargs, pattern in self.invalid_arguments:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(ValueError, pattern):
                    self.cell_class(**kwargs)
