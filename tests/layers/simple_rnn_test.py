import keras
import numpy as np
from absl.testing import parameterized

from kerasseq.layers import Recurrent
from kerasseq.layers import SimpleRNN
from kerasseq.layers import SimpleRNNCell
from tests.layers import numpy_reference as ref
from tests.test_case import TestCase

UNITS = ref.UNITS


class SimpleRNNTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()

    def test_is_recurrent_of_a_simple_rnn_cell(self):
        layer = SimpleRNN(
            UNITS,
            activation="relu",
            use_bias=False,
            dropout=0.1,
            recurrent_dropout=0.2,
            unroll=True,
            zero_output_for_mask=True,
        )
        self.assertIsInstance(layer, Recurrent)
        self.assertIsInstance(layer.cell, SimpleRNNCell)
        self.assertEqual(UNITS, layer.units)
        self.assertIs(keras.activations.relu, layer.cell.activation)
        self.assertFalse(layer.cell.use_bias)
        self.assertEqual((0.1, 0.2), (layer.dropout, layer.recurrent_dropout))
        self.assertTrue(layer.unroll and layer.zero_output_for_mask)

    def test_weights_named_and_shaped_as_keras(self):
        ours = SimpleRNN(UNITS)
        theirs = keras.layers.SimpleRNN(UNITS)
        for layer in (ours, theirs):
            layer(self.inputs)
        self.assertEqual(
            ref.weight_names_and_shapes(theirs), ref.weight_names_and_shapes(ours)
        )
        self.assertEqual(
            [
                ("kernel", (ref.FEATURES, UNITS)),
                ("recurrent_kernel", (UNITS, UNITS)),
                ("bias", (UNITS,)),
            ],
            ref.weight_names_and_shapes(ours),
        )

    @parameterized.named_parameters(ref.LAYER_CASES + [ref.GRAPH_CASE])
    def test_matches_keras(
        self, layer_kwargs=None, mask=None, initial_state=False, graph=False
    ):
        layer_kwargs = layer_kwargs or {}
        theirs = keras.layers.SimpleRNN(UNITS, **layer_kwargs)
        ours = SimpleRNN(UNITS, **layer_kwargs)
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self,
            theirs,
            ours,
            self.inputs,
            graph=graph,
            **ref.call_kwargs_for(mask, initial_state, 1),
        )

    def test_matches_keras_with_other_activation_and_no_bias(self):
        kwargs = {"activation": "relu", "use_bias": False, "return_sequences": True}
        theirs = keras.layers.SimpleRNN(UNITS, **kwargs)
        ours = SimpleRNN(UNITS, **kwargs)
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self, theirs, ours, self.inputs, mask=ref.HOLES_MASK
        )

    def test_keras_takes_our_weights(self):
        ours = SimpleRNN(UNITS, return_sequences=True, return_state=True)
        theirs = keras.layers.SimpleRNN(UNITS, return_sequences=True, return_state=True)
        ref.build_with_weights_of(ours, theirs, self.inputs, seed=4)
        ref.assert_same_outputs_and_gradients(
            self, theirs, ours, self.inputs, mask=ref.HOLES_MASK
        )
        with self.subTest("bidirectional"):
            ours = keras.layers.Bidirectional(SimpleRNN(UNITS, return_sequences=True))
            theirs = keras.layers.Bidirectional(
                keras.layers.SimpleRNN(UNITS, return_sequences=True)
            )
            ref.build_with_weights_of(ours, theirs, self.inputs, seed=4)
            ref.assert_same_outputs_and_gradients(
                self, theirs, ours, self.inputs, mask=ref.RIGHT_PADDED_MASK
            )

    @parameterized.named_parameters(ref.BIDIRECTIONAL_LAYER_CASES)
    def test_bidirectional_matches_keras(self, merge_mode, return_sequences):
        theirs = keras.layers.Bidirectional(
            keras.layers.SimpleRNN(UNITS, return_sequences=return_sequences),
            merge_mode=merge_mode,
        )
        ours = keras.layers.Bidirectional(
            SimpleRNN(UNITS, return_sequences=return_sequences),
            merge_mode=merge_mode,
        )
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self, theirs, ours, self.inputs, mask=ref.RIGHT_PADDED_MASK
        )

    def test_matches_numpy(self):
        layer = SimpleRNN(UNITS, return_sequences=True, return_state=True)
        layer(self.inputs)
        ref.perturb_weights(layer)
        initial_state = ref.random_states(1)
        outputs, state = layer(
            self.inputs, initial_state=initial_state, mask=ref.HOLES_MASK
        )
        expected, _, (expected_state,) = ref.run_sequence(
            ref.cell_step_fn(layer.cell),
            self.inputs,
            initial_state,
            mask=ref.HOLES_MASK,
        )
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_state, state, atol=1e-5)

    def test_padded_with_mask_equals_unpadded(self):
        layer = SimpleRNN(UNITS, return_sequences=True, return_state=True)
        layer(self.inputs)
        ref.perturb_weights(layer)
        mask = ref.RIGHT_PADDED_MASK
        outputs, state = layer(self.inputs, mask=mask)
        for b, length in enumerate(mask.sum(axis=1)):
            expected, expected_state = layer(self.inputs[b : b + 1, :length])
            self.assertAllClose(expected[0], outputs[b, :length], atol=1e-5)
            self.assertAllClose(expected_state[0], state[b], atol=1e-5)

    def test_dropout_is_variational_and_only_in_training(self):
        rate = 0.5
        layer = SimpleRNN(
            ref.FEATURES,
            activation=None,
            dropout=rate,
            seed=9,
            return_sequences=True,
        )
        inputs = np.ones((ref.BATCH, ref.TIME, ref.FEATURES), "float32")
        layer(inputs)
        identity = np.eye(ref.FEATURES, dtype="float32")
        layer.set_weights([identity, np.zeros_like(identity), np.zeros(ref.FEATURES)])
        # without training, no dropout: the output is the input
        self.assertAllEqual(inputs, layer(inputs, training=False))
        self.assertAllEqual(inputs, layer(inputs))
        outputs = np.asarray(layer(inputs, training=True))
        for t in range(1, ref.TIME):
            self.assertAllEqual(outputs[:, 0], outputs[:, t])
        kept = np.isclose(outputs, 1.0 / (1.0 - rate))
        self.assertTrue(np.all(kept | (outputs == 0.0)))
        self.assertTrue(kept.any() and not kept.all())

    @parameterized.named_parameters(
        dict(testcase_name="defaults", kwargs={}),
        dict(
            testcase_name="non_defaults",
            kwargs={
                "activation": "relu",
                "use_bias": False,
                "dropout": 0.1,
                "recurrent_dropout": 0.3,
                "seed": 1,
                "return_sequences": True,
                "stateful": True,
                "unroll": True,
            },
        ),
    )
    def test_serialization(self, kwargs):
        layer = SimpleRNN(UNITS, **kwargs)
        revived = self.run_serialization_test(layer)
        for key, value in kwargs.items():
            if key != "activation":
                owner = revived.cell if hasattr(revived.cell, key) else revived
                self.assertEqual(value, getattr(owner, key), msg=key)

    def test_invalid_arguments(self):
        for kwargs, pattern in ref.INVALID_ARGUMENTS:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(ValueError, pattern):
                    SimpleRNN(**kwargs)

    def test_model_saving(self):
        inputs = keras.Input((None, ref.FEATURES))
        x = keras.layers.Masking()(inputs)
        x = keras.layers.Bidirectional(
            SimpleRNN(UNITS, return_sequences=True), merge_mode="sum"
        )(x)
        x = SimpleRNN(UNITS, go_backwards=True)(x)
        model = keras.Model(inputs, keras.layers.Dense(2)(x))
        ref.perturb_weights(model)
        data = np.where(ref.RIGHT_PADDED_MASK[..., None], self.inputs, 0.0)
        self.run_model_saving_test(model, data)
