import copy

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.layers import GRUCell
from kerasseq.layers import LSTMCell
from kerasseq.layers import Recurrent
from kerasseq.layers import SimpleRNNCell
from tests.layers import numpy_reference as ref
from tests.test_case import TestCase

UNITS = ref.UNITS

# name: (kerasseq cell class, cell arguments, Keras twin layer, number of states)
KERAS_TWINS = {
    "simple_rnn": (SimpleRNNCell, {}, keras.layers.SimpleRNN, 1),
    "gru": (GRUCell, {}, keras.layers.GRU, 1),
    "gru_reset_before": (
        GRUCell,
        {"reset_after": False},
        keras.layers.GRU,
        1,
    ),
    "lstm": (LSTMCell, {}, keras.layers.LSTM, 2),
}
# Cells Keras has no twin of: checked against the NumPy equations and against
# `keras.layers.RNN` running the same cell.
NUMPY_ONLY = {
    "lstm_peepholes": (LSTMCell, {"use_peepholes": True}, None, 2),
    "lstm_layer_norm": (LSTMCell, {"use_layer_norm": True}, None, 2),
    "lstm_peepholes_layer_norm": (
        LSTMCell,
        {"use_peepholes": True, "use_layer_norm": True, "layer_norm_epsilon": 0.1},
        None,
        2,
    ),
}
ALL_CELLS = {**KERAS_TWINS, **NUMPY_ONLY}
# Cells that take each path of `Recurrent` in training: the loop with the
# hand-written gradient (GRU reset_after, plain LSTM) and the autodiff loop.
DROPOUT_CELLS = ["simple_rnn", "gru", "gru_reset_before", "lstm", "lstm_peepholes"]


def make_cell(name, units=UNITS, **kwargs):
    cell_class, cell_kwargs, _, _ = ALL_CELLS[name]
    return cell_class(units, **cell_kwargs, **kwargs)


def make_keras_twin(name, **kwargs):
    _, cell_kwargs, layer_class, _ = KERAS_TWINS[name]
    return layer_class(UNITS, **cell_kwargs, **kwargs)


def num_states(name):
    return ALL_CELLS[name][3]


class RecurrentTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()

    def build_recurrent(self, cell, seed=0, **layer_kwargs):
        """A built `Recurrent` of a fresh cell with perturbed random weights."""
        layer = Recurrent(make_cell(cell), **layer_kwargs)
        layer(self.inputs)
        ref.perturb_weights(layer, seed=seed)
        return layer

    @parameterized.named_parameters(ref.SEQUENCE_CASES + [ref.GRAPH_CASE])
    def test_matches_keras_layer(
        self, layer_kwargs=None, mask=None, initial_state=False, graph=False
    ):
        layer_kwargs = layer_kwargs or {}
        # in a graph, one cell per training loop (hand-written gradient or not)
        cells = ["gru_reset_before", "lstm"] if graph else KERAS_TWINS
        for cell in cells:
            with self.subTest(cell=cell):
                theirs = make_keras_twin(cell, **layer_kwargs)
                ours = Recurrent(make_cell(cell), **layer_kwargs)
                ref.build_with_weights_of(theirs, ours, self.inputs)
                ref.assert_same_outputs_and_gradients(
                    self,
                    theirs,
                    ours,
                    self.inputs,
                    graph=graph,
                    **ref.call_kwargs_for(mask, initial_state, num_states(cell)),
                )

    def test_keras_layer_takes_our_weights(self):
        for cell in KERAS_TWINS:
            with self.subTest(cell=cell):
                ours = Recurrent(make_cell(cell), return_sequences=True)
                theirs = make_keras_twin(cell, return_sequences=True)
                ref.build_with_weights_of(ours, theirs, self.inputs, seed=3)
                ref.assert_same_outputs_and_gradients(
                    self, theirs, ours, self.inputs, mask=ref.HOLES_MASK
                )

    @parameterized.named_parameters(ref.BIDIRECTIONAL_CASES)
    def test_bidirectional_matches_keras(self, merge_mode, return_sequences):
        # (GRU with reset_after and SimpleRNN: in gru_test.py, simple_rnn_test.py)
        for cell in ["gru_reset_before", "lstm"]:
            with self.subTest(cell=cell):
                theirs = keras.layers.Bidirectional(
                    make_keras_twin(cell, return_sequences=return_sequences),
                    merge_mode=merge_mode,
                )
                ours = keras.layers.Bidirectional(
                    Recurrent(make_cell(cell), return_sequences=return_sequences),
                    merge_mode=merge_mode,
                )
                ref.build_with_weights_of(theirs, ours, self.inputs)
                ref.assert_same_outputs_and_gradients(
                    self, theirs, ours, self.inputs, mask=ref.HOLES_MASK
                )

    def test_bidirectional_with_states_in_graph(self):
        cell = "lstm"
        layer_kwargs = {"return_sequences": True, "return_state": True}
        theirs = keras.layers.Bidirectional(make_keras_twin(cell, **layer_kwargs))
        ours = keras.layers.Bidirectional(Recurrent(make_cell(cell), **layer_kwargs))
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self,
            theirs,
            ours,
            self.inputs,
            graph=True,
            mask=ref.RIGHT_PADDED_MASK,
            initial_state=ref.random_states(2 * num_states(cell)),
        )

    @parameterized.named_parameters(
        dict(testcase_name="forward"),
        dict(testcase_name="unroll_backwards", unroll=True, go_backwards=True),
    )
    def test_same_as_keras_rnn_loop_with_the_same_cell(
        self, go_backwards=False, unroll=False
    ):
        # Our fast loop (inputs projected before the loop) and the generic
        # `keras.layers.RNN` loop (`cell.call` at every step) agree, also for
        # the cells Keras has no twin of.
        layer_kwargs = {
            "return_sequences": True,
            "return_state": True,
            "go_backwards": go_backwards,
            "unroll": unroll,
        }
        for cell in ["gru_reset_before", *NUMPY_ONLY]:
            with self.subTest(cell=cell):
                generic = keras.layers.RNN(make_cell(cell), **layer_kwargs)
                ours = Recurrent(make_cell(cell), **layer_kwargs)
                ref.build_with_weights_of(generic, ours, self.inputs)
                ref.assert_same_outputs_and_gradients(
                    self,
                    generic,
                    ours,
                    self.inputs,
                    mask=ref.HOLES_MASK,
                    initial_state=ref.random_states(num_states(cell)),
                )

    @parameterized.named_parameters(
        dict(testcase_name="no_mask"),
        dict(
            testcase_name="holes_backwards_initial_state",
            mask="holes",
            go_backwards=True,
            initial_state=True,
        ),
        dict(
            testcase_name="right_padded_zero_output",
            mask="right",
            zero_output_for_mask=True,
        ),
    )
    def test_matches_numpy(
        self,
        mask=None,
        go_backwards=False,
        initial_state=False,
        zero_output_for_mask=False,
    ):
        for cell in ALL_CELLS:
            with self.subTest(cell=cell):
                layer = self.build_recurrent(
                    cell,
                    return_sequences=True,
                    return_state=True,
                    go_backwards=go_backwards,
                    zero_output_for_mask=zero_output_for_mask,
                )
                kwargs = ref.call_kwargs_for(mask, initial_state, num_states(cell))
                outputs, *states = layer(self.inputs, **kwargs)
                initial = kwargs.get("initial_state") or [
                    np.zeros((ref.BATCH, UNITS))
                ] * num_states(cell)
                expected_outputs, _, expected_states = ref.run_sequence(
                    ref.cell_step_fn(layer.cell),
                    self.inputs,
                    initial,
                    mask=kwargs["mask"],
                    go_backwards=go_backwards,
                    zero_output_for_mask=zero_output_for_mask,
                )
                self.assertAllClose(expected_outputs, outputs, atol=1e-5)
                ref.assert_all_close(self, expected_states, states)

    @parameterized.named_parameters(
        dict(testcase_name="forward", go_backwards=False),
        dict(testcase_name="backwards", go_backwards=True),
    )
    def test_padded_with_mask_equals_unpadded(self, go_backwards):
        mask = ref.RIGHT_PADDED_MASK
        for cell in ALL_CELLS:
            with self.subTest(cell=cell):
                layer = self.build_recurrent(
                    cell,
                    return_sequences=True,
                    return_state=True,
                    go_backwards=go_backwards,
                )
                outputs, *states = layer(self.inputs, mask=mask)
                last_layer = Recurrent(make_cell(cell), go_backwards=go_backwards)
                last_layer(self.inputs)
                last_layer.set_weights(layer.get_weights())
                last_output = last_layer(self.inputs, mask=mask)
                for b, length in enumerate(mask.sum(axis=1)):
                    alone = self.inputs[b : b + 1, :length]
                    expected_outputs, *expected_states = layer(alone)
                    # going backwards, the padding is read first: the valid
                    # outputs are the last `length` ones
                    valid = (
                        slice(ref.TIME - length, None)
                        if go_backwards
                        else slice(length)
                    )
                    self.assertAllClose(
                        expected_outputs[0], outputs[b, valid], atol=1e-5
                    )
                    for expected, actual in zip(expected_states, states):
                        self.assertAllClose(expected[0], actual[b], atol=1e-5)
                    self.assertAllClose(last_layer(alone)[0], last_output[b], atol=1e-5)

    @parameterized.named_parameters(
        dict(testcase_name="repeat", zero_output_for_mask=False),
        dict(testcase_name="zeros", zero_output_for_mask=True),
    )
    def test_masked_steps_are_skipped(self, zero_output_for_mask):
        # Documented semantics: at a masked step the states are unchanged and
        # the output repeats the previous output (zeros before the first valid
        # step) or is zero with `zero_output_for_mask=True`.
        mask = ref.HOLES_MASK
        for cell in ALL_CELLS:
            with self.subTest(cell=cell):
                layer = self.build_recurrent(
                    cell,
                    return_sequences=True,
                    return_state=True,
                    zero_output_for_mask=zero_output_for_mask,
                )
                outputs, *states = layer(self.inputs, mask=mask)
                outputs = np.asarray(outputs)
                for b in range(ref.BATCH):
                    # the valid steps alone, without a mask: the masked steps
                    # are skipped
                    compact = self.inputs[b : b + 1, mask[b]]
                    compact_outputs, *compact_states = layer(compact)
                    self.assertAllClose(
                        compact_outputs[0], outputs[b, mask[b]], atol=1e-5
                    )
                    for expected, actual in zip(compact_states, states):
                        self.assertAllClose(expected[0], actual[b], atol=1e-5)
                    previous = np.zeros(UNITS, "float32")
                    for t in range(ref.TIME):
                        if mask[b, t]:
                            previous = outputs[b, t]
                            continue
                        expected = np.zeros(UNITS) if zero_output_for_mask else previous
                        self.assertAllClose(expected, outputs[b, t], atol=1e-6)
                # not vacuous: without the mask the results differ
                self.assertNotAllClose(outputs, layer(self.inputs)[0], atol=1e-3)

    def variational_layer(self, unroll=False, go_backwards=False, **cell_kwargs):
        # A linear SimpleRNN whose output at each step is its input times the
        # input mask, or its previous state times the recurrent mask.
        features = ref.FEATURES
        layer = Recurrent(
            SimpleRNNCell(features, activation=None, seed=42, **cell_kwargs),
            return_sequences=True,
            unroll=unroll,
            go_backwards=go_backwards,
        )
        layer(np.ones((ref.BATCH, ref.TIME, features), "float32"))
        return layer

    @parameterized.named_parameters(
        dict(testcase_name="eager"),
        dict(testcase_name="graph", graph=True),
        dict(testcase_name="unroll", unroll=True),
        dict(testcase_name="go_backwards", go_backwards=True),
    )
    def test_input_dropout_is_variational(
        self, graph=False, unroll=False, go_backwards=False
    ):
        rate = 0.5
        layer = self.variational_layer(
            unroll=unroll, go_backwards=go_backwards, dropout=rate
        )
        identity = np.eye(ref.FEATURES, dtype="float32")
        layer.set_weights([identity, np.zeros_like(identity), np.zeros(ref.FEATURES)])
        inputs = np.ones((ref.BATCH, ref.TIME, ref.FEATURES), "float32")

        def run():
            return layer(inputs, training=True)

        outputs = np.asarray(tf.function(run)() if graph else run())
        # the same mask at every timestep
        for t in range(1, ref.TIME):
            self.assertAllEqual(outputs[:, 0], outputs[:, t])
        # each unit kept (scaled by 1 / (1 - rate)) or dropped
        kept = np.isclose(outputs, 1.0 / (1.0 - rate))
        self.assertTrue(np.all(kept | (outputs == 0.0)))
        self.assertTrue(kept.any() and not kept.all())
        # one mask per example, not one per batch
        self.assertNotAllClose(outputs[0], outputs[1])

    @parameterized.named_parameters(
        dict(testcase_name="eager"),
        dict(testcase_name="graph", graph=True),
        dict(testcase_name="unroll", unroll=True),
    )
    def test_recurrent_dropout_is_variational(self, graph=False, unroll=False):
        rate = 0.5
        scale = 1.0 / (1.0 - rate)
        layer = self.variational_layer(unroll=unroll, recurrent_dropout=rate)
        identity = np.eye(ref.FEATURES, dtype="float32")
        layer.set_weights([np.zeros_like(identity), identity, np.zeros(ref.FEATURES)])
        inputs = np.ones((ref.BATCH, ref.TIME, ref.FEATURES), "float32")
        ones = np.ones((ref.BATCH, ref.FEATURES), "float32")

        def run():
            return layer(inputs, initial_state=[ones], training=True)

        outputs = np.asarray(tf.function(run)() if graph else run())
        # h_t = h_{t-1} * m with the same mask m at every step: h_t = m^(t+1)
        mask = outputs[:, 0]
        kept = np.isclose(mask, scale)
        self.assertTrue(np.all(kept | (mask == 0.0)))
        self.assertTrue(kept.any() and not kept.all())
        for t in range(ref.TIME):
            self.assertAllClose(mask ** (t + 1), outputs[:, t])

    @parameterized.named_parameters(
        dict(testcase_name="eager"),
        dict(testcase_name="graph", graph=True),
        dict(testcase_name="unroll", unroll=True),
    )
    def test_input_dropout_mask_is_shared_across_time_for_every_cell(
        self, graph=False, unroll=False
    ):
        # One input feature: each example's mask is 0 or 1 / (1 - rate), the
        # same at every step, so the whole output sequence is the inference
        # output of the input dropped (times 0) or kept (times 2). Fresh
        # masks per step would match neither.
        inputs = ref.random_inputs(batch=16, features=1)
        for cell in DROPOUT_CELLS:
            with self.subTest(cell=cell):
                layer = Recurrent(
                    make_cell(cell, dropout=0.5, seed=3),
                    return_sequences=True,
                    unroll=unroll,
                )
                layer(inputs)
                ref.perturb_weights(layer)

                def run(layer=layer):
                    return layer(inputs, training=True)

                outputs = np.asarray(tf.function(run)() if graph else run())
                dropped = np.asarray(layer(inputs * 0.0))
                kept = np.asarray(layer(inputs * 2.0))
                self.assert_each_example_is_one_of(outputs, dropped, kept)

    @parameterized.named_parameters(
        dict(testcase_name="eager"),
        dict(testcase_name="graph", graph=True),
        dict(testcase_name="unroll", unroll=True),
    )
    def test_recurrent_dropout_mask_is_shared_across_time_for_every_cell(
        self, graph=False, unroll=False
    ):
        # One unit: the recurrent mask m is 0 or 2 per example, and
        # (h * m) U = h (m U): the output sequence is the inference output of
        # the layer with its recurrent kernel times 0 or times 2.
        inputs = ref.random_inputs(batch=16)
        for cell in DROPOUT_CELLS:
            with self.subTest(cell=cell):
                layer = Recurrent(
                    make_cell(cell, units=1, recurrent_dropout=0.5, seed=3),
                    return_sequences=True,
                    unroll=unroll,
                )
                layer(inputs)
                ref.perturb_weights(layer, scale=0.5)

                def run(layer=layer):
                    return layer(inputs, training=True)

                outputs = np.asarray(tf.function(run)() if graph else run())
                references = []
                for scale in (0.0, 2.0):
                    scaled = Recurrent(make_cell(cell, units=1), return_sequences=True)
                    scaled(inputs)
                    weights = layer.get_weights()
                    weights[1] = weights[1] * scale  # the recurrent kernel
                    scaled.set_weights(weights)
                    references.append(np.asarray(scaled(inputs)))
                self.assert_each_example_is_one_of(outputs, *references)

    def assert_each_example_is_one_of(self, outputs, dropped, kept):
        matches_dropped = np.all(np.isclose(outputs, dropped, atol=1e-5), axis=(1, 2))
        matches_kept = np.all(np.isclose(outputs, kept, atol=1e-5), axis=(1, 2))
        neither = np.flatnonzero(~matches_dropped & ~matches_kept)
        self.assertEmpty(neither, msg="examples matching neither")
        # both cases occur, and they are distinguishable
        self.assertTrue(matches_dropped.any() and matches_kept.any())
        self.assertFalse(np.any(matches_dropped & matches_kept))

    def test_training_gradients_with_dropout_match_autodiff(self):
        # The same seed draws the same masks: the training loop with its
        # hand-written gradient and the unrolled loop (plain autodiff) agree.
        for cell in DROPOUT_CELLS:
            with self.subTest(cell=cell):
                layers = [
                    Recurrent(
                        make_cell(cell, dropout=0.3, recurrent_dropout=0.3, seed=11),
                        return_sequences=True,
                        return_state=True,
                        unroll=unroll,
                    )
                    for unroll in (False, True)
                ]
                ref.build_with_weights_of(layers[1], layers[0], self.inputs)
                kwargs = ref.call_kwargs_for("holes", True, num_states(cell))
                results = [
                    ref.outputs_and_gradients(
                        layer, self.inputs, training=True, **dict(kwargs)
                    )
                    for layer in layers
                ]
                ref.assert_all_close(self, results[1][0], results[0][0])
                ref.assert_all_close(self, results[1][1], results[0][1])
                # dropout was active
                inference = layers[0](self.inputs, **kwargs)
                self.assertNotAllClose(inference[0], results[0][0][0], atol=1e-3)

    def test_dropout_only_in_training(self):
        for cell in DROPOUT_CELLS:
            with self.subTest(cell=cell):
                with_dropout = Recurrent(
                    make_cell(cell, dropout=0.3, recurrent_dropout=0.3, seed=1),
                    return_sequences=True,
                )
                without = Recurrent(make_cell(cell), return_sequences=True)
                ref.build_with_weights_of(with_dropout, without, self.inputs)
                inference = with_dropout(self.inputs, training=False)
                self.assertAllEqual(
                    inference, with_dropout(self.inputs, training=False)
                )
                self.assertAllClose(inference, without(self.inputs), atol=1e-6)
                self.assertAllClose(inference, with_dropout(self.inputs), atol=1e-6)
                self.assertAllClose(
                    inference, with_dropout(self.inputs, training=None), atol=1e-6
                )
                training = with_dropout(self.inputs, training=True)
                self.assertNotAllClose(inference, training, atol=1e-3)
                # fresh masks at every call
                self.assertNotAllClose(
                    training, with_dropout(self.inputs, training=True), atol=1e-3
                )

    @parameterized.named_parameters(
        dict(testcase_name="lstm", cell_class=keras.layers.LSTMCell),
        dict(testcase_name="gru", cell_class=keras.layers.GRUCell),
    )
    def test_keras_cell_runs_in_generic_loop(self, cell_class):
        layer_class = {
            keras.layers.LSTMCell: keras.layers.LSTM,
            keras.layers.GRUCell: keras.layers.GRU,
        }[cell_class]
        theirs = layer_class(UNITS, return_sequences=True, return_state=True)
        ours = Recurrent(cell_class(UNITS), return_sequences=True, return_state=True)
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self, theirs, ours, self.inputs, mask=ref.HOLES_MASK
        )

    def test_stacked_cells(self):
        stacked = Recurrent(
            [GRUCell(UNITS), LSTMCell(3)], return_sequences=True, return_state=True
        )
        first = Recurrent(GRUCell(UNITS), return_sequences=True, return_state=True)
        second = Recurrent(LSTMCell(3), return_sequences=True, return_state=True)
        stacked(self.inputs)
        ref.perturb_weights(stacked)
        first(self.inputs)
        second(np.zeros((ref.BATCH, ref.TIME, UNITS), "float32"))
        weights = stacked.get_weights()
        first.set_weights(weights[:3])
        second.set_weights(weights[3:])
        outputs, first_states, second_states = stacked(self.inputs, mask=ref.HOLES_MASK)
        first_outputs, *expected_first = first(self.inputs, mask=ref.HOLES_MASK)
        expected, *expected_second = second(first_outputs, mask=ref.HOLES_MASK)
        self.assertAllClose(expected, outputs, atol=1e-5)
        ref.assert_all_close(self, expected_first, first_states)
        ref.assert_all_close(self, expected_second, second_states)

    def test_stateful_continues_from_last_states(self):
        for cell in ["gru", "lstm"]:
            with self.subTest(cell=cell):
                stateful = Recurrent(
                    make_cell(cell), stateful=True, return_sequences=True
                )
                whole = Recurrent(make_cell(cell), return_sequences=True)
                ref.build_with_weights_of(whole, stateful, self.inputs)
                stateful.reset_state()
                first = stateful(self.inputs[:, :3])
                second = stateful(self.inputs[:, 3:])
                self.assertAllClose(
                    whole(self.inputs),
                    np.concatenate([first, second], axis=1),
                    atol=1e-5,
                )
                stateful.reset_state()
                self.assertAllClose(
                    whole(self.inputs[:, 3:]), stateful(self.inputs[:, 3:]), atol=1e-6
                )

    def test_static_shapes_in_graph_like_keras_last_output(self):
        self.assert_static_shapes_like_keras(return_sequences=False)

    def test_static_shapes_in_graph_like_keras_sequences(self):
        self.assert_static_shapes_like_keras(return_sequences=True)

    def assert_static_shapes_like_keras(self, return_sequences):
        # Inside a tf.function the outputs keep the static shape that
        # `keras.layers.RNN` gives them, in inference and in training.
        kwargs = {"return_sequences": return_sequences, "return_state": True}
        theirs = keras.layers.GRU(UNITS, **kwargs)
        ours = Recurrent(GRUCell(UNITS), **kwargs)
        spec = tf.TensorSpec((ref.BATCH, ref.TIME, ref.FEATURES))
        shapes = {}
        for training in (False, True):
            for layer in (theirs, ours):

                def run(x, layer=layer, training=training):
                    return layer(x, training=training)

                outputs = tf.function(run).get_concrete_function(spec)
                shapes[layer.name, training] = [
                    tuple(t.shape) for t in outputs.structured_outputs
                ]
        for training in (False, True):
            self.assertEqual(
                shapes[theirs.name, training],
                shapes[ours.name, training],
                msg=f"training={training}",
            )

    def test_symbolic_output_shapes(self):
        inputs = keras.Input((None, ref.FEATURES))
        outputs, h, c = Recurrent(
            LSTMCell(UNITS), return_sequences=True, return_state=True
        )(inputs)
        self.assertEqual((None, None, UNITS), tuple(outputs.shape))
        self.assertEqual((None, UNITS), tuple(h.shape))
        self.assertEqual((None, UNITS), tuple(c.shape))
        model = keras.Model(inputs, outputs)
        self.assertEqual((2, 9, UNITS), tuple(model(np.ones((2, 9, 5))).shape))

    def test_serialization(self):
        self.run_serialization_test(
            Recurrent(
                LSTMCell(
                    UNITS,
                    use_peepholes=True,
                    use_layer_norm=True,
                    dropout=0.1,
                    seed=3,
                ),
                return_sequences=True,
                go_backwards=True,
            )
        )

    @parameterized.named_parameters(
        dict(
            testcase_name="lstm_peepholes_layer_norm",
            cell=LSTMCell(
                UNITS, use_peepholes=True, use_layer_norm=True, dropout=0.1, seed=3
            ),
            layer_kwargs={"return_sequences": True, "go_backwards": True},
        ),
        dict(
            testcase_name="gru_reset_before",
            cell=GRUCell(UNITS, reset_after=False, recurrent_dropout=0.2),
            layer_kwargs={"return_state": True, "unroll": True},
        ),
        dict(
            testcase_name="simple_rnn",
            cell=SimpleRNNCell(UNITS, activation="relu", use_bias=False),
            layer_kwargs={"zero_output_for_mask": True, "stateful": True},
        ),
    )
    def test_config_round_trip(self, cell, layer_kwargs):
        layer = Recurrent(cell, **layer_kwargs)
        config = layer.get_config()
        revived = Recurrent.from_config(copy.deepcopy(config))
        self.assertEqual(config, revived.get_config())
        self.assertIsInstance(revived.cell, type(cell))
        self.assertEqual(cell.get_config(), revived.cell.get_config())
        serialized = keras.saving.serialize_keras_object(layer)
        revived = keras.saving.deserialize_keras_object(copy.deepcopy(serialized))
        self.assertIsInstance(revived, Recurrent)
        self.assertEqual(serialized, keras.saving.serialize_keras_object(revived))
        # the revived layer computes the same function once given the weights
        inputs = self.inputs
        layer(inputs)
        ref.perturb_weights(layer)
        revived(inputs)
        revived.set_weights(layer.get_weights())
        if layer.stateful:
            layer.reset_state()
            revived.reset_state()
        ref.assert_all_close(
            self, tf.nest.flatten(layer(inputs)), tf.nest.flatten(revived(inputs))
        )

    def test_model_saving(self):
        inputs = keras.Input((ref.TIME, ref.FEATURES))
        x = keras.layers.Masking()(inputs)
        x = Recurrent(
            LSTMCell(UNITS, use_peepholes=True, use_layer_norm=True),
            return_sequences=True,
        )(x)
        x = Recurrent(GRUCell(UNITS, reset_after=False), go_backwards=True)(x)
        model = keras.Model(inputs, keras.layers.Dense(2)(x))
        ref.perturb_weights(model)
        data = self.inputs.copy()
        data[1, 4:] = 0.0  # padding, masked by `Masking`
        self.run_model_saving_test(model, data)
