"""Tests for `BaseAttention` and `masked_softmax`."""

import keras
import numpy as np
from absl.testing import parameterized
from keras import ops

from kerasseq.layers.base_attention import BaseAttention
from kerasseq.layers.base_attention import masked_softmax
from tests.test_case import TestCase


def numpy_masked_softmax(scores, mask=None):
    """Softmax over the last axis; masked entries 0, fully masked rows all 0."""
    if mask is None:
        mask = np.ones(scores.shape, bool)
    mask = np.broadcast_to(mask.astype(bool), scores.shape)
    shifted = np.where(mask, scores, -np.inf)
    row_max = np.max(shifted, axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    exp = np.where(mask, np.exp(scores - row_max), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    return exp / np.where(total > 0, total, 1.0)


@keras.saving.register_keras_serializable(package="kerasseq_tests")
class BilinearAttention(BaseAttention):
    """A subclass with only `build` and `calculate_scores`: `q^T W k`."""

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_shape[0][-1], input_shape[-1][-1]),
            initializer="glorot_uniform",
        )

    def calculate_scores(self, query, key):
        return ops.matmul(ops.matmul(query, self.kernel), ops.swapaxes(key, -2, -1))


def numpy_bilinear(kernel, query, value, key, query_mask=None, value_mask=None):
    """NumPy reference of `BilinearAttention`."""
    scores = query @ kernel @ key.transpose(0, 2, 1)
    mask = None if value_mask is None else value_mask[:, None, :]
    attention = numpy_masked_softmax(scores, mask)
    context = attention @ value
    if query_mask is not None:
        context = context * query_mask[:, :, None]
    return context, attention


class MaskedSoftmaxTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.scores = rng.normal(scale=3.0, size=(2, 3, 5)).astype("float32")
        self.mask = np.array(
            [[True, False, True, True, False], [False] * 5], dtype=bool
        )

    def test_no_mask_is_softmax(self):
        weights = ops.convert_to_numpy(masked_softmax(self.scores))
        self.assertAllClose(weights, numpy_masked_softmax(self.scores), atol=1e-6)
        self.assertAllClose(weights.sum(axis=-1), np.ones((2, 3)), atol=1e-6)

    def test_matches_numpy_with_broadcast_mask(self):
        # (batch, 1, Tv) broadcast over the queries, as the attention layers use it
        mask = self.mask[:, None, :]
        weights = ops.convert_to_numpy(masked_softmax(self.scores, mask))
        self.assertAllClose(weights, numpy_masked_softmax(self.scores, mask), atol=1e-6)

    def test_masked_keys_exactly_zero_and_rows_sum_to_one(self):
        # huge scores at masked keys must not leak any weight
        scores = np.where(self.mask[:, None, :], self.scores, 1e4).astype("float32")
        weights = ops.convert_to_numpy(masked_softmax(scores, self.mask[:, None, :]))
        mask = np.broadcast_to(self.mask[:, None, :], weights.shape)
        self.assertAllEqual(weights[~mask], np.zeros((~mask).sum(), "float32"))
        self.assertAllClose(weights[0].sum(axis=-1), np.ones(3), atol=1e-6)

    def test_fully_masked_row_is_zero(self):
        weights = ops.convert_to_numpy(
            masked_softmax(self.scores, self.mask[:, None, :])
        )
        self.assertFalse(np.isnan(weights).any())
        self.assertAllEqual(weights[1], np.zeros((3, 5), "float32"))

    def test_same_rank_integer_mask(self):
        # (batch, T) scores with a 0/1 mask of the same shape, as pooling uses it
        scores = self.scores[:, 0, :]
        mask = self.mask.astype("int32")
        weights = ops.convert_to_numpy(masked_softmax(scores, mask))
        self.assertAllClose(weights, numpy_masked_softmax(scores, mask), atol=1e-6)
        self.assertAllEqual(weights[1], np.zeros(5, "float32"))

    def test_float16_no_nan(self):
        # scores near the float16 range, a fully masked row included
        scores = np.array(
            [[[60000.0, -60000.0, 3.0, 0.0]], [[1.0, 2.0, 3.0, 4.0]]], "float16"
        )
        mask = np.array([[True, False, True, False], [False] * 4])[:, None, :]
        weights = masked_softmax(ops.convert_to_tensor(scores), mask)
        self.assertEqual(keras.backend.standardize_dtype(weights.dtype), "float16")
        weights = ops.convert_to_numpy(weights)
        self.assertFalse(np.isnan(weights).any() or np.isinf(weights).any())
        self.assertAllEqual(weights[0, 0, [1, 3]], np.zeros(2, "float16"))
        self.assertAllClose(weights[0, 0], [1.0, 0.0, 0.0, 0.0], atol=1e-3)
        self.assertAllEqual(weights[1], np.zeros((1, 4), "float16"))
        moderate = np.linspace(-4.0, 4.0, 8, dtype="float16").reshape(1, 2, 4)
        moderate_mask = np.array([[True, True, False, True]])[:, None, :]
        weights = ops.convert_to_numpy(
            masked_softmax(ops.convert_to_tensor(moderate), moderate_mask)
        )
        expected = numpy_masked_softmax(moderate.astype("float64"), moderate_mask)
        self.assertAllClose(weights, expected, atol=1e-3)
        self.assertAllClose(weights.sum(axis=-1), np.ones((1, 2)), atol=1e-3)


class BaseAttentionTest(TestCase, parameterized.TestCase):
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

    def test_subclass_matches_numpy_reference_eagerly(self):
        layer = BilinearAttention()
        inputs = [self.query, self.value, self.key]
        mask = [self.query_mask, self.value_mask]
        context, weights = layer(inputs, mask=mask, return_attention_scores=True)
        expected_context, expected_weights = numpy_bilinear(
            layer.kernel.numpy(), *inputs, *mask
        )
        self.assertAllClose(weights, expected_weights, atol=1e-5)
        self.assertAllClose(context, expected_context, atol=1e-5)
        self.assertAllEqual(weights.numpy()[1], np.zeros((3, 5)))
        self.assertAllEqual(layer.compute_mask(inputs, mask), self.query_mask)

    def test_subclass_symbolic_masks_and_return_attention_scores(self):
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        key = keras.Input((5, 7))
        query_mask = keras.Input((3,), dtype="bool")
        value_mask = keras.Input((5,), dtype="bool")
        layer = BilinearAttention()
        context, weights = layer(
            [query, value, key],
            mask=[query_mask, value_mask],
            return_attention_scores=True,
        )
        self.assertEqual(tuple(context.shape), (None, 3, 6))
        self.assertEqual(tuple(weights.shape), (None, 3, 5))
        model = keras.Model(
            [query, value, key, query_mask, value_mask], [context, weights]
        )
        actual = model.predict(
            [self.query, self.value, self.key, self.query_mask, self.value_mask],
            verbose=0,
        )
        expected_context, expected_weights = numpy_bilinear(
            layer.kernel.numpy(),
            self.query,
            self.value,
            self.key,
            self.query_mask,
            self.value_mask,
        )
        self.assertAllClose(actual[0], expected_context, atol=1e-5)
        self.assertAllClose(actual[1], expected_weights, atol=1e-5)
        # value as key: the key shape comes from the value
        context = BilinearAttention()([query, value], mask=[None, value_mask])
        self.assertEqual(tuple(context.shape), (None, 3, 6))

    def test_subclass_embedding_mask_propagation(self):
        token_ids = np.array([[3, 5, 0], [7, 0, 0]])
        source_ids = np.array([[1, 2, 4, 0], [6, 9, 0, 0]])
        target = keras.Input((None,), dtype="int32")
        source = keras.Input((None,), dtype="int32")
        target_embedding = keras.layers.Embedding(10, 4, mask_zero=True)
        source_embedding = keras.layers.Embedding(10, 6, mask_zero=True)
        context, weights = BilinearAttention()(
            [target_embedding(target), source_embedding(source)],
            return_attention_scores=True,
        )
        model = keras.Model([target, source], [context, weights])
        context, weights = model.predict([token_ids, source_ids], verbose=0)
        padded_keys = np.broadcast_to(source_ids[:, None] == 0, (2, 3, 4))
        self.assertAllEqual(weights[padded_keys], np.zeros(9))
        self.assertAllEqual(context[token_ids == 0], np.zeros((3, 6)))

    def test_subclass_dropout(self):
        layer = BilinearAttention(dropout=0.5, seed=1)
        inputs = [self.query, self.value, self.key]
        mask = [None, self.value_mask]
        _, inference = layer(inputs, mask=mask, return_attention_scores=True)
        _, dropped = layer(
            inputs, mask=mask, return_attention_scores=True, training=True
        )
        dropped = dropped.numpy()
        self.assertNotAllClose(dropped, inference)
        mask = np.broadcast_to(self.value_mask[:, None, :], dropped.shape)
        self.assertAllEqual(dropped[~mask], np.zeros_like(dropped[~mask]))

    def test_subclass_serialization_and_saving(self):
        layer = BilinearAttention(dropout=0.25, seed=3, name="bilinear")
        revived = self.run_serialization_test(layer)
        self.assertEqual(revived.dropout, 0.25)
        self.assertEqual(revived.seed, 3)
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        value_mask = keras.Input((5,), dtype="bool")
        context, weights = BilinearAttention(dropout=0.1)(
            [query, value], mask=[None, value_mask], return_attention_scores=True
        )
        model = keras.Model([query, value, value_mask], [context, weights])
        self.run_model_saving_test(model, [self.query, self.value, self.value_mask])

    def test_calculate_scores_is_required(self):
        with self.assertRaisesRegex(NotImplementedError, "calculate_scores"):
            BaseAttention()([self.query, self.value])

    @parameterized.named_parameters(
        ("negative_dropout", {"dropout": -0.1}, "dropout=-0.1"),
        ("dropout_one", {"dropout": 1.0}, "dropout=1.0"),
        ("bool_dropout", {"dropout": True}, "dropout=True"),
        ("string_seed", {"seed": "1"}, "seed='1'"),
        ("float_seed", {"seed": 1.5}, "seed=1.5"),
        ("bool_seed", {"seed": True}, "seed=True"),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            BilinearAttention(**kwargs)

    def test_invalid_inputs(self):
        layer = BilinearAttention()
        with self.assertRaisesRegex(ValueError, "BilinearAttention.*list"):
            layer(self.query)
        with self.assertRaisesRegex(ValueError, "mask"):
            layer([self.query, self.value], mask=self.value_mask)
