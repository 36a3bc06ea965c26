import keras
import numpy as np
import pytest
from absl.testing import parameterized

from kerasseq.layers import GRU
from kerasseq.layers import LSTM
from kerasseq.layers import GRUCell
from kerasseq.layers import Recurrent
from tests.layers import numpy_reference as ref
from tests.test_case import TestCase

UNITS = ref.UNITS
RESET_AFTER = [
    dict(testcase_name="reset_after", reset_after=True),
    dict(testcase_name="reset_before", reset_after=False),
]


def tagging_model(vocabulary_size=20):
    """Input → Embedding(mask_zero) → Bidirectional(GRU) → LSTM → Dense."""
    token_ids = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(vocabulary_size, ref.FEATURES, mask_zero=True)(token_ids)
    x = keras.layers.Bidirectional(GRU(UNITS, return_sequences=True))(x)
    x = LSTM(UNITS)(x)
    return keras.Model(token_ids, keras.layers.Dense(2)(x))


def padded_token_ids(vocabulary_size=20):
    rng = np.random.RandomState(5)
    token_ids = rng.randint(1, vocabulary_size, size=(ref.BATCH, ref.TIME))
    return np.where(ref.RIGHT_PADDED_MASK, token_ids, 0).astype("int32")


class GRUTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.inputs = ref.random_inputs()

    def test_is_recurrent_of_a_gru_cell(self):
        layer = GRU(
            UNITS,
            reset_after=False,
            recurrent_activation="hard_sigmoid",
            use_bias=False,
            kernel_initializer="ones",
            dropout=0.1,
            recurrent_dropout=0.2,
            seed=5,
            return_sequences=True,
            go_backwards=True,
        )
        self.assertIsInstance(layer, Recurrent)
        self.assertIsInstance(layer.cell, GRUCell)
        # cell arguments go to the cell, layer arguments to the layer
        self.assertEqual(UNITS, layer.units)
        self.assertEqual(UNITS, layer.cell.units)
        self.assertFalse(layer.cell.reset_after)
        self.assertFalse(layer.cell.use_bias)
        self.assertEqual(0.1, layer.dropout)
        self.assertEqual(0.2, layer.recurrent_dropout)
        self.assertEqual(5, layer.cell.seed)
        self.assertIsInstance(layer.cell.kernel_initializer, keras.initializers.Ones)
        self.assertTrue(layer.return_sequences and layer.go_backwards)

    @parameterized.named_parameters(RESET_AFTER)
    def test_weights_named_and_shaped_as_keras(self, reset_after):
        ours = GRU(UNITS, reset_after=reset_after)
        theirs = keras.layers.GRU(UNITS, reset_after=reset_after)
        for layer in (ours, theirs):
            layer(self.inputs)
        self.assertEqual(
            ref.weight_names_and_shapes(theirs), ref.weight_names_and_shapes(ours)
        )
        self.assertEqual(
            ["kernel", "recurrent_kernel", "bias"],
            [name for name, _ in ref.weight_names_and_shapes(ours)],
        )

    @parameterized.named_parameters(ref.LAYER_CASES + [ref.GRAPH_CASE])
    def test_matches_keras(
        self, layer_kwargs=None, mask=None, initial_state=False, graph=False
    ):
        layer_kwargs = layer_kwargs or {}
        for reset_after in (True, False):
            with self.subTest(reset_after=reset_after):
                theirs = keras.layers.GRU(
                    UNITS, reset_after=reset_after, **layer_kwargs
                )
                ours = GRU(UNITS, reset_after=reset_after, **layer_kwargs)
                ref.build_with_weights_of(theirs, ours, self.inputs)
                ref.assert_same_outputs_and_gradients(
                    self,
                    theirs,
                    ours,
                    self.inputs,
                    graph=graph,
                    **ref.call_kwargs_for(mask, initial_state, 1),
                )

    def test_keras_takes_our_weights(self):
        for reset_after in (True, False):
            with self.subTest(reset_after=reset_after):
                kwargs = {"reset_after": reset_after, "return_state": True}
                ours = GRU(UNITS, **kwargs)
                theirs = keras.layers.GRU(UNITS, **kwargs)
                ref.build_with_weights_of(ours, theirs, self.inputs, seed=4)
                ref.assert_same_outputs_and_gradients(
                    self, theirs, ours, self.inputs, mask=ref.RIGHT_PADDED_MASK
                )
        with self.subTest("bidirectional"):
            ours = keras.layers.Bidirectional(GRU(UNITS, return_sequences=True))
            theirs = keras.layers.Bidirectional(
                keras.layers.GRU(UNITS, return_sequences=True)
            )
            ref.build_with_weights_of(ours, theirs, self.inputs, seed=4)
            ref.assert_same_outputs_and_gradients(
                self, theirs, ours, self.inputs, mask=ref.HOLES_MASK
            )

    @parameterized.named_parameters(ref.BIDIRECTIONAL_LAYER_CASES)
    def test_bidirectional_matches_keras(self, merge_mode, return_sequences):
        for reset_after in (True, False):
            with self.subTest(reset_after=reset_after):
                kwargs = {
                    "reset_after": reset_after,
                    "return_sequences": return_sequences,
                }
                theirs = keras.layers.Bidirectional(
                    keras.layers.GRU(UNITS, **kwargs), merge_mode=merge_mode
                )
                ours = keras.layers.Bidirectional(
                    GRU(UNITS, **kwargs), merge_mode=merge_mode
                )
                ref.build_with_weights_of(theirs, ours, self.inputs)
                ref.assert_same_outputs_and_gradients(
                    self, theirs, ours, self.inputs, mask=ref.RIGHT_PADDED_MASK
                )

    @parameterized.named_parameters(RESET_AFTER)
    def test_matches_numpy(self, reset_after):
        layer = GRU(
            UNITS,
            reset_after=reset_after,
            return_sequences=True,
            return_state=True,
            go_backwards=True,
        )
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
            go_backwards=True,
        )
        self.assertAllClose(expected, outputs, atol=1e-5)
        self.assertAllClose(expected_state, state, atol=1e-5)

    def test_reset_before_differs_from_reset_after(self):
        # Same kernels, the two forms compute different functions.
        after = GRU(UNITS, reset_after=True)
        before = GRU(UNITS, reset_after=False)
        after(self.inputs)
        before(self.inputs)
        ref.perturb_weights(after)
        kernel, recurrent_kernel, bias = after.get_weights()
        before.set_weights([kernel, recurrent_kernel, bias[0] + bias[1]])
        self.assertNotAllClose(after(self.inputs), before(self.inputs), atol=1e-3)

    @parameterized.named_parameters(RESET_AFTER)
    def test_padded_with_mask_equals_unpadded(self, reset_after):
        layer = GRU(
            UNITS, reset_after=reset_after, return_sequences=True, return_state=True
        )
        layer(self.inputs)
        ref.perturb_weights(layer)
        mask = ref.RIGHT_PADDED_MASK
        outputs, state = layer(self.inputs, mask=mask)
        for b, length in enumerate(mask.sum(axis=1)):
            expected, expected_state = layer(self.inputs[b : b + 1, :length])
            self.assertAllClose(expected[0], outputs[b, :length], atol=1e-5)
            self.assertAllClose(expected_state[0], state[b], atol=1e-5)
            # the padded steps repeat the last valid output
            for t in range(length, ref.TIME):
                self.assertAllClose(expected[0, -1], outputs[b, t], atol=1e-6)

    def test_dropout_only_in_training(self):
        with_dropout = GRU(
            UNITS, dropout=0.3, recurrent_dropout=0.3, seed=2, return_sequences=True
        )
        without = GRU(UNITS, return_sequences=True)
        ref.build_with_weights_of(with_dropout, without, self.inputs)
        inference = with_dropout(self.inputs, training=False)
        self.assertAllEqual(inference, with_dropout(self.inputs, training=False))
        self.assertAllClose(inference, without(self.inputs), atol=1e-6)
        self.assertNotAllClose(
            inference, with_dropout(self.inputs, training=True), atol=1e-3
        )

    def test_config_is_flat_as_keras(self):
        kwargs = {
            "reset_after": False,
            "dropout": 0.1,
            "recurrent_dropout": 0.2,
            "use_bias": False,
            "return_sequences": True,
            "unroll": True,
            "activity_regularizer": "l2",
        }
        ours = GRU(UNITS, **kwargs).get_config()
        theirs = keras.layers.GRU(UNITS, **kwargs).get_config()
        self.assertNotIn("cell", ours)
        self.assertEqual(sorted(theirs), sorted(ours))
        for key in ("units", *kwargs):
            if key != "activity_regularizer":
                self.assertEqual(theirs[key], ours[key], msg=key)

    @parameterized.named_parameters(
        dict(testcase_name="defaults", kwargs={}),
        dict(
            testcase_name="non_defaults",
            kwargs={
                "reset_after": False,
                "dropout": 0.1,
                "recurrent_dropout": 0.2,
                "seed": 3,
                "activation": "relu",
                "kernel_regularizer": "l2",
                "return_sequences": True,
                "return_state": True,
                "go_backwards": True,
                "zero_output_for_mask": True,
                "name": "my_gru",
            },
        ),
    )
    def test_serialization(self, kwargs):
        layer = GRU(UNITS, **kwargs)
        revived = self.run_serialization_test(layer)
        self.assertIsInstance(revived.cell, GRUCell)
        for key, value in kwargs.items():
            if key in ("reset_after", "dropout", "seed"):
                self.assertEqual(value, getattr(revived.cell, key))
            elif key in ("return_sequences", "return_state", "go_backwards"):
                self.assertEqual(value, getattr(revived, key))

    def test_invalid_arguments(self):
        for kwargs, pattern in ref.INVALID_ARGUMENTS:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(ValueError, pattern):
                    GRU(**kwargs)

    def test_model_saving(self):
        model = tagging_model()
        ref.perturb_weights(model)
        token_ids = padded_token_ids()
        restored = self.run_model_saving_test(model, token_ids)
        self.assertIsInstance(restored.layers[2].forward_layer, GRU)
        self.assertIsInstance(restored.layers[3], LSTM)
        # the mask reaches every recurrent layer of the restored model: each
        # padded example gives what it gives alone, unpadded
        outputs = restored.predict(token_ids, verbose=0)
        for b, length in enumerate(ref.RIGHT_PADDED_MASK.sum(axis=1)):
            alone = restored.predict(token_ids[b : b + 1, :length], verbose=0)
            self.assertAllClose(alone[0], outputs[b], atol=1e-5)

    @pytest.mark.slow
    def test_export(self):
        model = tagging_model()
        ref.perturb_weights(model)
        self.run_export_test(model, padded_token_ids())

    @pytest.mark.slow
    def test_training_learns_the_sign_of_a_sum(self):
        rng = np.random.RandomState(0)
        x = rng.normal(size=(256, 8, 1)).astype("float32")
        y = (x.sum(axis=(1, 2)) > 0).astype("float32")
        inputs = keras.Input((8, 1))
        hidden = GRU(8)(inputs)
        model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
        model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
        initial_loss = model.evaluate(x, y, verbose=0)
        model.fit(x, y, batch_size=32, epochs=8, verbose=0)
        final_loss = model.evaluate(x, y, verbose=0)
        self.assertLess(final_loss, 0.7 * initial_loss)
