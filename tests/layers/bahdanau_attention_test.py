"""Tests for `BahdanauAttention`."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.layers.bahdanau_attention import BahdanauAttention
from tests.test_case import TestCase


def numpy_masked_softmax(scores, mask=None):
    """Softmax over the last axis; masked entries 0, fully masked rows all 0."""
    if mask is None:
        mask = np.ones(scores.shape, bool)
    mask = np.broadcast_to(mask, scores.shape)
    shifted = np.where(mask, scores, -np.inf)
    row_max = np.max(shifted, axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    exp = np.where(mask, np.exp(scores - row_max), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    return exp / np.where(total > 0, total, 1.0)


def numpy_bahdanau(weights, query, value, key=None, query_mask=None, value_mask=None):
    """NumPy reference: v^T tanh(W1 q + W2 k + b), softmax, weighted sum."""
    key = value if key is None else key
    projected_query = query @ weights["query_kernel"] + weights.get("bias", 0.0)
    projected_key = key @ weights["key_kernel"]
    hidden = np.tanh(projected_query[:, :, None, :] + projected_key[:, None, :, :])
    scores = hidden @ weights["score_kernel"]
    mask = None if value_mask is None else value_mask[:, None, :]
    attention = numpy_masked_softmax(scores, mask)
    context = attention @ value
    if query_mask is not None:
        context = context * query_mask[:, :, None]
    return context, attention


def named_weights(layer):
    return {weight.name: weight.numpy() for weight in layer.weights}


class BahdanauAttentionTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.query = rng.normal(size=(2, 3, 4)).astype("float32")
        self.value = rng.normal(size=(2, 5, 6)).astype("float32")
        self.key = rng.normal(size=(2, 5, 7)).astype("float32")
        self.value_mask = np.array(
            [[True, True, False, True, False], [False] * 5], dtype=bool
        )
        self.query_mask = np.array([[True, False, True], [True, True, False]])

    def make_layer(self, **kwargs):
        layer = BahdanauAttention(units=8, **kwargs)
        layer([self.query, self.value, self.key])
        if layer.bias is not None:
            # A non-zero bias, so the reference sees whether it is used.
            layer.bias.assign(np.linspace(-1.0, 1.0, 8).astype("float32"))
        return layer

    def test_weights_and_shapes(self):
        layer = self.make_layer()
        self.assertEqual(
            [(w.name, tuple(w.shape)) for w in layer.weights],
            [
                ("query_kernel", (4, 8)),
                ("key_kernel", (7, 8)),
                ("bias", (8,)),
                ("score_kernel", (8,)),
            ],
        )
        context, weights = layer(
            [self.query, self.value, self.key], return_attention_scores=True
        )
        self.assertEqual(tuple(context.shape), (2, 3, 6))
        self.assertEqual(tuple(weights.shape), (2, 3, 5))
        layer = BahdanauAttention(units=8, use_bias=False)
        layer([self.query, self.value])
        self.assertEqual(
            [w.name for w in layer.weights],
            ["query_kernel", "key_kernel", "score_kernel"],
        )

    @parameterized.named_parameters(
        ("bias_with_key", True, True),
        ("bias_value_as_key", True, False),
        ("no_bias_with_key", False, True),
        ("no_bias_value_as_key", False, False),
    )
    def test_matches_numpy_reference(self, use_bias, with_key):
        layer = BahdanauAttention(units=8, use_bias=use_bias)
        inputs = [self.query, self.value] + ([self.key] if with_key else [])
        layer(inputs)
        if use_bias:
            layer.bias.assign(np.linspace(-1.0, 1.0, 8).astype("float32"))
        else:
            self.assertIsNone(layer.bias)
        context, weights = layer(inputs, return_attention_scores=True)
        expected_context, expected_weights = numpy_bahdanau(
            named_weights(layer), *inputs
        )
        self.assertAllClose(weights, expected_weights, atol=1e-5)
        self.assertAllClose(context, expected_context, atol=1e-5)

    def test_value_mask(self):
        layer = self.make_layer()
        inputs = [self.query, self.value, self.key]
        context, weights = layer(
            inputs, mask=[None, self.value_mask], return_attention_scores=True
        )
        context, weights = context.numpy(), weights.numpy()
        expected_context, expected_weights = numpy_bahdanau(
            named_weights(layer), *inputs, value_mask=self.value_mask
        )
        self.assertAllClose(weights, expected_weights, atol=1e-5)
        self.assertAllClose(context, expected_context, atol=1e-5)
        # masked keys weigh exactly zero; valid keys sum to one
        mask = np.broadcast_to(self.value_mask[:, None, :], weights.shape)
        self.assertAllEqual(weights[~mask], np.zeros_like(weights[~mask]))
        self.assertAllClose(weights[0].sum(axis=-1), np.ones(3), atol=1e-6)
        # fully masked row: zeros, no NaN
        self.assertFalse(np.isnan(context).any() or np.isnan(weights).any())
        self.assertAllEqual(weights[1], np.zeros((3, 5)))
        self.assertAllEqual(context[1], np.zeros((3, 6)))

    def test_padded_and_masked_equals_unpadded(self):
        layer = self.make_layer()
        short = layer([self.query[:1], self.value[:1, :2], self.key[:1, :2]])
        mask = np.array([[True, True, False, False, False]])
        padded = layer(
            [self.query[:1], self.value[:1], self.key[:1]], mask=[None, mask]
        )
        self.assertAllClose(padded, short, atol=1e-6)

    def test_query_mask_zeroes_outputs(self):
        layer = self.make_layer()
        inputs = [self.query, self.value, self.key]
        unmasked = layer(inputs).numpy()
        context = layer(inputs, mask=[self.query_mask, None]).numpy()
        self.assertAllEqual(context[~self.query_mask], np.zeros((2, 6)))
        self.assertAllClose(
            context[self.query_mask], unmasked[self.query_mask], atol=1e-6
        )

    def test_compute_mask(self):
        layer = self.make_layer()
        inputs = [self.query, self.value]
        self.assertIsNone(layer.compute_mask(inputs, None))
        self.assertIsNone(layer.compute_mask(inputs, [None, self.value_mask]))
        self.assertAllEqual(
            layer.compute_mask(inputs, [self.query_mask, self.value_mask]),
            self.query_mask,
        )

    def test_symbolic_return_attention_scores(self):
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        key = keras.Input((5, 7))
        value_mask = keras.Input((5,), dtype="bool")
        layer = BahdanauAttention(units=8)
        context, weights = layer(
            [query, value, key],
            mask=[None, value_mask],
            return_attention_scores=True,
        )
        self.assertEqual(tuple(context.shape), (None, 3, 6))
        self.assertEqual(tuple(weights.shape), (None, 3, 5))
        model = keras.Model([query, value, key, value_mask], [context, weights])
        inputs = [self.query, self.value, self.key, self.value_mask]
        actual = model.predict(inputs, verbose=0)
        expected = layer(
            inputs[:3], mask=[None, self.value_mask], return_attention_scores=True
        )
        self.assertAllClose(actual[0], expected[0], atol=1e-6)
        self.assertAllClose(actual[1], expected[1], atol=1e-6)

    def test_embedding_mask_propagation(self):
        token_ids = np.array([[3, 5, 0], [7, 0, 0]])
        source_ids = np.array([[1, 2, 4, 0], [6, 9, 0, 0]])
        target = keras.Input((None,), dtype="int32")
        source = keras.Input((None,), dtype="int32")
        target_embedding = keras.layers.Embedding(10, 4, mask_zero=True)
        source_embedding = keras.layers.Embedding(10, 6, mask_zero=True)
        layer = BahdanauAttention(units=8)
        context, weights = layer(
            [target_embedding(target), source_embedding(source)],
            return_attention_scores=True,
        )
        model = keras.Model([target, source], [context, weights])
        context, weights = model.predict([token_ids, source_ids], verbose=0)
        # padded keys weigh zero, padded queries give zero context
        self.assertAllEqual(
            weights[np.broadcast_to(source_ids[:, None] == 0, (2, 3, 4))], np.zeros(9)
        )
        self.assertAllEqual(context[token_ids == 0], np.zeros((3, 6)))
        expected = layer(
            [target_embedding(token_ids), source_embedding(source_ids)],
            mask=[token_ids != 0, source_ids != 0],
        )
        self.assertAllClose(context, expected, atol=1e-6)

    def test_serialization(self):
        layer = BahdanauAttention(
            units=5,
            use_bias=False,
            kernel_initializer="he_normal",
            bias_initializer="ones",
            dropout=0.25,
            seed=3,
            name="bahdanau",
        )
        revived = self.run_serialization_test(layer)
        self.assertEqual(revived.units, 5)
        self.assertFalse(revived.use_bias)
        self.assertEqual(revived.dropout, 0.25)

    def test_model_saving(self):
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        value_mask = keras.Input((5,), dtype="bool")
        context, weights = BahdanauAttention(units=8, dropout=0.1)(
            [query, value], mask=[None, value_mask], return_attention_scores=True
        )
        model = keras.Model([query, value, value_mask], [context, weights])
        self.run_model_saving_test(model, [self.query, self.value, self.value_mask])

    def test_export(self):
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        model = keras.Model([query, value], BahdanauAttention(units=8)([query, value]))
        self.run_export_test(model, [self.query, self.value])

    def test_training_updates_weights(self):
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        value_mask = keras.Input((5,), dtype="bool")
        layer = BahdanauAttention(units=8, dropout=0.1)
        context = layer([query, value], mask=[None, value_mask])
        model = keras.Model([query, value, value_mask], context)
        model.compile("adam", "mse")
        before = [w.numpy().copy() for w in layer.trainable_weights]
        target = np.random.default_rng(1).normal(size=(2, 3, 6))
        history = model.fit(
            [self.query, self.value, self.value_mask], target, epochs=2, verbose=0
        )
        self.assertTrue(np.isfinite(history.history["loss"]).all())
        for old, new in zip(before, layer.trainable_weights, strict=True):
            self.assertTrue(np.isfinite(new.numpy()).all())
            self.assertNotAllClose(old, new.numpy())

    def test_gradients_finite_with_fully_masked_row(self):
        layer = self.make_layer()
        inputs = [tf.constant(x) for x in (self.query, self.value, self.key)]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            context = layer(inputs, mask=[self.query_mask, self.value_mask])
            loss = tf.reduce_sum(context**2)
        gradients = tape.gradient(loss, layer.trainable_weights + inputs)
        for gradient in gradients:
            self.assertTrue(np.isfinite(gradient.numpy()).all())

    def test_dropout(self):
        layer = self.make_layer(dropout=0.5, seed=1)
        inputs = [self.query, self.value, self.key]
        mask = [None, self.value_mask]
        _, inference = layer(inputs, mask=mask, return_attention_scores=True)
        _, again = layer(inputs, mask=mask, return_attention_scores=True)
        self.assertAllEqual(inference, again)
        _, dropped = layer(
            inputs, mask=mask, return_attention_scores=True, training=True
        )
        dropped = dropped.numpy()
        self.assertNotAllClose(dropped, inference)
        mask = np.broadcast_to(self.value_mask[:, None, :], dropped.shape)
        self.assertAllEqual(dropped[~mask], np.zeros_like(dropped[~mask]))

    @parameterized.named_parameters(
        ("zero_units", {"units": 0}, "units"),
        ("negative_units", {"units": -3}, "units"),
        ("float_units", {"units": 2.5}, "units"),
        ("negative_dropout", {"units": 4, "dropout": -0.1}, "dropout"),
        ("dropout_one", {"units": 4, "dropout": 1.0}, "dropout"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, argument):
            BahdanauAttention(**kwargs)

    def test_invalid_inputs(self):
        layer = BahdanauAttention(units=4)
        with self.assertRaisesRegex(ValueError, "list"):
            layer(self.query)
        with self.assertRaisesRegex(ValueError, "mask"):
            layer([self.query, self.value], mask=self.value_mask)
