import keras
import numpy as np
import pytest
from absl.testing import parameterized

from kerasseq.layers import GRU
from kerasseq.layers import LSTM
from kerasseq.layers import LSTMCell
from kerasseq.layers import Recurrent
from tests.layers import numpy_reference as ref
from tests.test_case import TestCase

UNITS = ref.UNITS
VARIANTS = [
    dict(testcase_name="plain", variant={}),
    dict(testcase_name="peepholes", variant={"use_peepholes": True}),
    dict(
        testcase_name="layer_norm",
        variant={"use_layer_norm": True, "layer_norm_epsilon": 0.1},
    ),
    dict(
        testcase_name="peepholes_layer_norm",
        variant={"use_peepholes": True, "use_layer_norm": True},
    ),
]


class LSTMTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()

    def built_layer(self, **kwargs):
        layer = LSTM(UNITS, **kwargs)
        layer(self.inputs)
        ref.perturb_weights(layer)
        return layer

    def test_is_recurrent_of_an_lstm_cell(self):
        layer = LSTM(
            UNITS,
            use_peepholes=True,
            use_layer_norm=True,
            layer_norm_epsilon=0.01,
            unit_forget_bias=False,
            dropout=0.1,
            recurrent_dropout=0.2,
            return_state=True,
            stateful=False,
        )
        self.assertIsInstance(layer, Recurrent)
        self.assertIsInstance(layer.cell, LSTMCell)
        self.assertEqual(UNITS, layer.units)
        self.assertTrue(layer.cell.use_peepholes and layer.cell.use_layer_norm)
        self.assertEqual(0.01, layer.cell.layer_norm_epsilon)
        self.assertFalse(layer.cell.unit_forget_bias)
        self.assertEqual((0.1, 0.2), (layer.dropout, layer.recurrent_dropout))
        self.assertTrue(layer.return_state)

    def test_weights_named_and_shaped_as_keras(self):
        ours = LSTM(UNITS)
        theirs = keras.layers.LSTM(UNITS)
        for layer in (ours, theirs):
            layer(self.inputs)
        self.assertEqual(
            ref.weight_names_and_shapes(theirs), ref.weight_names_and_shapes(ours)
        )
        self.assertEqual(
            [
                ("kernel", (ref.FEATURES, 4 * UNITS)),
                ("recurrent_kernel", (UNITS, 4 * UNITS)),
                ("bias", (4 * UNITS,)),
            ],
            ref.weight_names_and_shapes(ours),
        )

    def test_forget_gate_bias_initialised_to_one(self):
        layer = LSTM(UNITS)
        layer(self.inputs)
        bias = layer.cell.bias.numpy()
        self.assertAllEqual(np.ones(UNITS), bias[UNITS : 2 * UNITS])
        self.assertAllEqual(np.zeros(UNITS), bias[:UNITS])
        self.assertAllEqual(np.zeros(2 * UNITS), bias[2 * UNITS :])
        no_forget_bias = LSTM(UNITS, unit_forget_bias=False)
        no_forget_bias(self.inputs)
        self.assertAllEqual(np.zeros(4 * UNITS), no_forget_bias.cell.bias)

    @parameterized.named_parameters(ref.LAYER_CASES + [ref.GRAPH_CASE])
    def test_matches_keras(
        self, layer_kwargs=None, mask=None, initial_state=False, graph=False
    ):
        layer_kwargs = layer_kwargs or {}
        theirs = keras.layers.LSTM(UNITS, **layer_kwargs)
        ours = LSTM(UNITS, **layer_kwargs)
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self,
            theirs,
            ours,
            self.inputs,
            graph=graph,
            **ref.call_kwargs_for(mask, initial_state, 2),
        )

    def test_keras_takes_our_weights(self):
        ours = LSTM(UNITS, return_sequences=True, return_state=True)
        theirs = keras.layers.LSTM(UNITS, return_sequences=True, return_state=True)
        ref.build_with_weights_of(ours, theirs, self.inputs, seed=4)
        ref.assert_same_outputs_and_gradients(
            self, theirs, ours, self.inputs, mask=ref.HOLES_MASK
        )
        with self.subTest("bidirectional"):
            ours = keras.layers.Bidirectional(LSTM(UNITS))
            theirs = keras.layers.Bidirectional(keras.layers.LSTM(UNITS))
            ref.build_with_weights_of(ours, theirs, self.inputs, seed=4)
            ref.assert_same_outputs_and_gradients(
                self, theirs, ours, self.inputs, mask=ref.RIGHT_PADDED_MASK
            )

    @parameterized.named_parameters(ref.BIDIRECTIONAL_LAYER_CASES)
    def test_bidirectional_matches_keras(self, merge_mode, return_sequences):
        theirs = keras.layers.Bidirectional(
            keras.layers.LSTM(UNITS, return_sequences=return_sequences),
            merge_mode=merge_mode,
        )
        ours = keras.layers.Bidirectional(
            LSTM(UNITS, return_sequences=return_sequences), merge_mode=merge_mode
        )
        ref.build_with_weights_of(theirs, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self, theirs, ours, self.inputs, mask=ref.RIGHT_PADDED_MASK
        )

    def test_bidirectional_with_peepholes_and_layer_norm(self):
        # No Keras twin: the bidirectional layer equals its two halves run by
        # hand, the backward one on the reversed sequence.
        layer = keras.layers.Bidirectional(
            LSTM(UNITS, use_peepholes=True, use_layer_norm=True, return_sequences=True)
        )
        layer(self.inputs)
        ref.perturb_weights(layer)
        outputs = layer(self.inputs, mask=ref.RIGHT_PADDED_MASK)
        forward, _, _ = ref.run_sequence(
            ref.cell_step_fn(layer.forward_layer.cell),
            self.inputs,
            [np.zeros((ref.BATCH, UNITS))] * 2,
            mask=ref.RIGHT_PADDED_MASK,
            zero_output_for_mask=True,
        )
        backward, _, _ = ref.run_sequence(
            ref.cell_step_fn(layer.backward_layer.cell),
            self.inputs,
            [np.zeros((ref.BATCH, UNITS))] * 2,
            mask=ref.RIGHT_PADDED_MASK,
            go_backwards=True,
            zero_output_for_mask=True,
        )
        expected = np.concatenate([forward, backward[:, ::-1]], axis=-1)
        self.assertAllClose(expected, outputs, atol=1e-5)

    @parameterized.named_parameters(VARIANTS)
    def test_matches_numpy(self, variant):
        layer = self.built_layer(
            return_sequences=True, return_state=True, go_backwards=True, **variant
        )
        initial_state = ref.random_states(2)
        outputs, h, c = layer(
            self.inputs, initial_state=initial_state, mask=ref.HOLES_MASK
        )
        expected, _, (expected_h, expected_c) = ref.run_sequence(
            ref.cell_step_fn(layer.cell),
            self.inputs,
            initial_state,
            mask=ref.HOLES_MASK,
            go_backwards=True,
        )
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_h, h, atol=1e-5)
        self.assertAllClose(expected_c, c, atol=1e-5)

    def test_gradients_match_keras_rnn_of_the_same_cell(self):
        # peepholes and layer norm: no Keras twin, so Keras's generic loop
        variant = {"use_peepholes": True, "use_layer_norm": True}
        generic = keras.layers.RNN(
            LSTMCell(UNITS, **variant), return_sequences=True, return_state=True
        )
        ours = LSTM(UNITS, return_sequences=True, return_state=True, **variant)
        ref.build_with_weights_of(generic, ours, self.inputs)
        ref.assert_same_outputs_and_gradients(
            self,
            generic,
            ours,
            self.inputs,
            mask=ref.RIGHT_PADDED_MASK,
            initial_state=ref.random_states(2),
        )

    @parameterized.named_parameters(VARIANTS)
    def test_padded_with_mask_equals_unpadded(self, variant):
        layer = self.built_layer(return_sequences=True, return_state=True, **variant)
        mask = ref.RIGHT_PADDED_MASK
        outputs, h, c = layer(self.inputs, mask=mask)
        for b, length in enumerate(mask.sum(axis=1)):
            expected, expected_h, expected_c = layer(self.inputs[b : b + 1, :length])
            self.assertAllClose(expected[0], outputs[b, :length], atol=1e-5)
            self.assertAllClose(expected_h[0], h[b], atol=1e-5)
            self.assertAllClose(expected_c[0], c[b], atol=1e-5)

    def test_dropout_only_in_training(self):
        kwargs = {"use_peepholes": True, "return_sequences": True}
        with_dropout = LSTM(UNITS, dropout=0.3, recurrent_dropout=0.3, seed=2, **kwargs)
        without = LSTM(UNITS, **kwargs)
        ref.build_with_weights_of(with_dropout, without, self.inputs)
        inference = with_dropout(self.inputs, training=False)
        self.assertAllEqual(inference, with_dropout(self.inputs, training=False))
        self.assertAllClose(inference, without(self.inputs), atol=1e-6)
        self.assertNotAllClose(
            inference, with_dropout(self.inputs, training=True), atol=1e-3
        )

    def test_config_is_flat(self):
        kwargs = {"use_peepholes": True, "use_layer_norm": True, "dropout": 0.1}
        config = LSTM(UNITS, **kwargs).get_config()
        self.assertNotIn("cell", config)
        # every key of Keras's LSTM config, plus ours
        expected = set(keras.layers.LSTM(UNITS).get_config()) - {"activity_regularizer"}
        expected |= {"use_peepholes", "use_layer_norm", "layer_norm_epsilon"}
        self.assertEqual(expected, set(config))
        for key, value in kwargs.items():
            self.assertEqual(value, config[key])

    @parameterized.named_parameters(
        dict(testcase_name="defaults", kwargs={}),
        dict(
            testcase_name="peepholes_layer_norm",
            kwargs={
                "use_peepholes": True,
                "use_layer_norm": True,
                "layer_norm_epsilon": 1e-4,
                "unit_forget_bias": False,
                "dropout": 0.1,
                "recurrent_dropout": 0.1,
                "return_sequences": True,
                "go_backwards": True,
                "unroll": True,
            },
        ),
    )
    def test_serialization(self, kwargs):
        layer = LSTM(UNITS, **kwargs)
        revived = self.run_serialization_test(layer)
        for key, value in kwargs.items():
            owner = revived.cell if hasattr(revived.cell, key) else revived
            self.assertEqual(value, getattr(owner, key), msg=key)

    def test_invalid_arguments(self):
        for kwargs, pattern in ref.LSTM_INVALID_ARGUMENTS:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(ValueError, pattern):
                    LSTM(**kwargs)

    def test_model_saving_with_peepholes_and_layer_norm(self):
        inputs = keras.Input((None, ref.FEATURES))
        x = keras.layers.Masking()(inputs)
        x = LSTM(UNITS, use_peepholes=True, use_layer_norm=True, return_sequences=True)(
            x
        )
        x = keras.layers.Bidirectional(LSTM(UNITS, use_peepholes=True))(x)
        model = keras.Model(inputs, keras.layers.Dense(2)(x))
        ref.perturb_weights(model)
        data = np.where(ref.RIGHT_PADDED_MASK[..., None], self.inputs, 0.0)
        restored = self.run_model_saving_test(model, data)
        self.assertTrue(restored.layers[2].cell.use_layer_norm)
        ref.assert_all_close(self, model.get_weights(), restored.get_weights(), 0)

    @pytest.mark.slow
    def test_export(self):
        inputs = keras.Input((None, ref.FEATURES))
        x = keras.layers.Masking()(inputs)
        x = LSTM(UNITS, return_sequences=True)(x)
        x = GRU(UNITS, return_sequences=True, go_backwards=True)(x)
        x = LSTM(UNITS, use_peepholes=True, use_layer_norm=True)(x)
        model = keras.Model(inputs, keras.layers.Dense(2)(x))
        ref.perturb_weights(model)
        data = np.where(ref.RIGHT_PADDED_MASK[..., None], self.inputs, 0.0)
        self.run_export_test(model, data.astype("float32"))
