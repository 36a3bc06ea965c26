"""Tests for `AttentionPooling`."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.layers.attention_pooling import AttentionPooling
from tests.test_case import TestCase


def numpy_masked_softmax(scores, mask=None):
    """Softmax over the last axis; masked entries 0, fully masked rows all 0."""
    if mask is None:
        mask = np.ones(scores.shape, bool)
    shifted = np.where(mask, scores, -np.inf)
    row_max = np.max(shifted, axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    exp = np.where(mask, np.exp(scores - row_max), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    return exp / np.where(total > 0, total, 1.0)


def numpy_attention_pooling(weights, sequence, mask=None):
    """NumPy reference: u_t = tanh(W h_t + b), score_t = u_t . q, weighted sum."""
    hidden = np.tanh(sequence @ weights["kernel"] + weights.get("bias", 0.0))
    scores = hidden @ weights["query"]
    attention = numpy_masked_softmax(scores, mask)
    pooled = np.einsum("bt,btf->bf", attention, sequence)
    return pooled, attention


def named_weights(layer):
    return {weight.name: weight.numpy() for weight in layer.weights}


class AttentionPoolingTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.sequence = rng.normal(size=(3, 5, 4)).astype("float32")
        self.mask = np.array(
            [
                [True, True, False, True, False],
                [True, True, True, True, True],
                [False] * 5,
            ]
        )

    def make_layer(self, **kwargs):
        layer = AttentionPooling(**kwargs)
        layer(self.sequence)
        if layer.bias is not None:
            # A non-zero bias, so the reference sees whether it is used.
            layer.bias.assign(np.linspace(-1.0, 1.0, layer.bias.shape[0]))
        return layer

    @parameterized.named_parameters(
        ("default_units", None, [("kernel", (4, 4)), ("bias", (4,)), ("query", (4,))]),
        ("units", 6, [("kernel", (4, 6)), ("bias", (6,)), ("query", (6,))]),
    )
    def test_weights_and_shapes(self, units, expected_weights):
        layer = self.make_layer(units=units)
        self.assertEqual(
            [(w.name, tuple(w.shape)) for w in layer.weights], expected_weights
        )
        pooled, weights = layer(self.sequence, return_attention_scores=True)
        self.assertEqual(tuple(pooled.shape), (3, 4))
        self.assertEqual(tuple(weights.shape), (3, 5))
        self.assertEqual(layer.units, units)

    @parameterized.named_parameters(
        ("default_units_bias", None, True),
        ("units_bias", 6, True),
        ("units_no_bias", 6, False),
    )
    def test_matches_numpy_reference(self, units, use_bias):
        layer = self.make_layer(units=units, use_bias=use_bias)
        self.assertEqual(layer.bias is not None, use_bias)
        pooled, weights = layer(self.sequence, return_attention_scores=True)
        expected_pooled, expected_weights = numpy_attention_pooling(
            named_weights(layer), self.sequence
        )
        self.assertAllClose(weights, expected_weights, atol=1e-5)
        self.assertAllClose(pooled, expected_pooled, atol=1e-5)

    def test_mask(self):
        layer = self.make_layer(units=6)
        pooled, weights = layer(
            self.sequence, mask=self.mask, return_attention_scores=True
        )
        pooled, weights = pooled.numpy(), weights.numpy()
        expected_pooled, expected_weights = numpy_attention_pooling(
            named_weights(layer), self.sequence, self.mask
        )
        self.assertAllClose(weights, expected_weights, atol=1e-5)
        self.assertAllClose(pooled, expected_pooled, atol=1e-5)
        # masked timesteps weigh exactly zero; valid ones sum to one
        self.assertAllEqual(weights[~self.mask], np.zeros((~self.mask).sum()))
        self.assertAllClose(weights[:2].sum(axis=-1), np.ones(2), atol=1e-6)
        # fully masked sequence: zeros, no NaN
        self.assertFalse(np.isnan(pooled).any() or np.isnan(weights).any())
        self.assertAllEqual(weights[2], np.zeros(5))
        self.assertAllEqual(pooled[2], np.zeros(4))

    def test_padded_and_masked_equals_unpadded(self):
        layer = self.make_layer()
        short = layer(self.sequence[:1, :2])
        mask = np.array([[True, True, False, False, False]])
        padded = layer(self.sequence[:1], mask=mask)
        self.assertAllClose(padded, short, atol=1e-6)

    def test_compute_mask(self):
        layer = self.make_layer()
        self.assertIsNone(layer.compute_mask(self.sequence, self.mask))
        self.assertIsNone(layer.compute_mask(self.sequence, None))

    def test_symbolic_return_attention_scores(self):
        sequence = keras.Input((5, 4))
        mask = keras.Input((5,), dtype="bool")
        layer = AttentionPooling(units=6)
        pooled, weights = layer(sequence, mask=mask, return_attention_scores=True)
        self.assertEqual(tuple(pooled.shape), (None, 4))
        self.assertEqual(tuple(weights.shape), (None, 5))
        model = keras.Model([sequence, mask], [pooled, weights])
        actual = model.predict([self.sequence, self.mask], verbose=0)
        expected = layer(self.sequence, mask=self.mask, return_attention_scores=True)
        self.assertAllClose(actual[0], expected[0], atol=1e-6)
        self.assertAllClose(actual[1], expected[1], atol=1e-6)

    def test_embedding_mask_propagation(self):
        token_ids = np.array([[3, 5, 0, 0], [7, 1, 2, 9], [0, 0, 0, 0]])
        inputs = keras.Input((None,), dtype="int32")
        embedding = keras.layers.Embedding(10, 4, mask_zero=True)
        layer = AttentionPooling()
        pooled, weights = layer(embedding(inputs), return_attention_scores=True)
        # The pooled output carries no mask: a Dense after it sees none.
        logits = keras.layers.Dense(2)(pooled)
        model = keras.Model(inputs, [pooled, weights, logits])
        pooled, weights, _ = model.predict(token_ids, verbose=0)
        self.assertAllEqual(weights[token_ids == 0], np.zeros(6))
        self.assertAllClose(weights[:2].sum(axis=-1), np.ones(2), atol=1e-6)
        self.assertAllEqual(pooled[2], np.zeros(4))
        self.assertFalse(np.isnan(pooled).any() or np.isnan(weights).any())
        expected = layer(embedding(token_ids), mask=token_ids != 0)
        self.assertAllClose(pooled, expected, atol=1e-6)

    def test_serialization(self):
        layer = AttentionPooling(
            units=5,
            use_bias=False,
            kernel_initializer="he_normal",
            bias_initializer="ones",
            dropout=0.25,
            seed=3,
            name="pooling",
        )
        revived = self.run_serialization_test(layer)
        self.assertEqual(revived.units, 5)
        self.assertFalse(revived.use_bias)
        self.run_serialization_test(AttentionPooling())

    def test_model_saving(self):
        inputs = keras.Input((None,), dtype="int32")
        embedded = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
        pooled, weights = AttentionPooling(units=6, dropout=0.1)(
            embedded, return_attention_scores=True
        )
        model = keras.Model(inputs, [pooled, weights])
        self.run_model_saving_test(model, np.array([[3, 5, 0, 0], [7, 1, 2, 9]]))

    def test_export(self):
        inputs = keras.Input((5, 4))
        model = keras.Model(inputs, AttentionPooling(units=6)(inputs))
        self.run_export_test(model, self.sequence)

    def test_training_updates_weights(self):
        inputs = keras.Input((5, 4))
        mask = keras.Input((5,), dtype="bool")
        layer = AttentionPooling(units=6, dropout=0.1)
        model = keras.Model([inputs, mask], layer(inputs, mask=mask))
        model.compile("adam", "mse")
        before = [w.numpy().copy() for w in layer.trainable_weights]
        target = np.random.default_rng(1).normal(size=(3, 4))
        history = model.fit([self.sequence, self.mask], target, epochs=2, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"]).all())
        for old, new in zip(before, layer.trainable_weights, strict=True):
            self.assertTrue(np.isfinite(new.numpy()).all())
            self.assertNotAllClose(old, new.numpy())

    def test_gradients_finite_with_fully_masked_row(self):
        layer = self.make_layer()
        sequence = tf.constant(self.sequence)
        with tf.GradientTape() as tape:
            tape.watch(sequence)
            loss = tf.reduce_sum(layer(sequence, mask=self.mask) ** 2)
        gradients = tape.gradient(loss, layer.trainable_weights + [sequence])
        for gradient in gradients:
            self.assertTrue(np.isfinite(gradient.numpy()).all())

    def test_dropout(self):
        layer = self.make_layer(dropout=0.5, seed=1)
        _, inference = layer(
            self.sequence, mask=self.mask, return_attention_scores=True
        )
        _, again = layer(self.sequence, mask=self.mask, return_attention_scores=True)
        self.assertAllEqual(inference, again)
        _, dropped = layer(
            self.sequence, mask=self.mask, return_attention_scores=True, training=True
        )
        dropped = dropped.numpy()
        self.assertNotAllClose(dropped, inference)
        self.assertAllEqual(dropped[~self.mask], np.zeros((~self.mask).sum()))

    @parameterized.named_parameters(
        ("zero_units", {"units": 0}, "units"),
        ("negative_units", {"units": -3}, "units"),
        ("float_units", {"units": 2.5}, "units"),
        ("negative_dropout", {"dropout": -0.1}, "dropout"),
        ("dropout_one", {"dropout": 1.0}, "dropout"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, argument):
            AttentionPooling(**kwargs)
