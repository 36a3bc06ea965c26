"""Tests for `LuongAttention`."""

import itertools

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.layers.luong_attention import LuongAttention
from tests.test_case import TestCase

SCORE_MODES = ("dot", "general", "concat")
SCALES = (False, True, "sqrt")


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


def numpy_luong(
    weights,
    score_mode,
    scale,
    query,
    value,
    key=None,
    query_mask=None,
    value_mask=None,
):
    """NumPy reference of the three Luong scores, scaling, softmax, weighted sum."""
    key = value if key is None else key
    if score_mode == "dot":
        scores = query @ key.transpose(0, 2, 1)
    elif score_mode == "general":
        scores = query @ weights["kernel"] @ key.transpose(0, 2, 1)
    else:
        # v_a^T tanh(W_a [q; k]) on every (query, key) pair, concatenated for real
        tq, tv = query.shape[1], key.shape[1]
        pairs = np.concatenate(
            [
                np.repeat(query[:, :, None, :], tv, axis=2),
                np.repeat(key[:, None, :, :], tq, axis=1),
            ],
            axis=-1,
        )
        scores = np.tanh(pairs @ weights["concat_kernel"]) @ weights["score_kernel"]
    if scale is True:
        scores = scores * weights["scale"]
    elif scale == "sqrt":
        scores = scores / np.sqrt(key.shape[-1])
    mask = None if value_mask is None else value_mask[:, None, :]
    attention = numpy_masked_softmax(scores, mask)
    context = attention @ value
    if query_mask is not None:
        context = context * query_mask[:, :, None]
    return context, attention


def named_weights(layer):
    return {weight.name: weight.numpy() for weight in layer.weights}


class LuongAttentionTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.query = rng.normal(size=(2, 3, 4)).astype("float32")
        self.value = rng.normal(size=(2, 5, 6)).astype("float32")
        self.key = rng.normal(size=(2, 5, 7)).astype("float32")
        # the dot score needs a key as deep as the query
        self.dot_key = rng.normal(size=(2, 5, 4)).astype("float32")
        self.value_mask = np.array(
            [[True, True, False, True, False], [False] * 5], dtype=bool
        )
        self.query_mask = np.array([[True, False, True], [True, True, False]])

    def inputs_for(self, score_mode):
        key = self.dot_key if score_mode == "dot" else self.key
        return [self.query, self.value, key]

    def make_layer(self, score_mode="general", scale=False, **kwargs):
        units = 8 if score_mode == "concat" else None
        layer = LuongAttention(
            score_mode=score_mode, scale=scale, units=units, **kwargs
        )
        layer(self.inputs_for(score_mode))
        if scale is True:
            # Away from its initial 1.0, so the reference sees whether it is used.
            layer.scale_weight.assign(0.7)
        return layer

    @parameterized.named_parameters(
        ("dot", "dot", []),
        ("general", "general", [("kernel", (4, 7))]),
        ("concat", "concat", [("concat_kernel", (11, 8)), ("score_kernel", (8,))]),
    )
    def test_weights_and_shapes(self, score_mode, expected_weights):
        layer = self.make_layer(score_mode, scale=True)
        self.assertEqual(
            [(w.name, tuple(w.shape)) for w in layer.weights],
            expected_weights + [("scale", ())],
        )
        context, weights = layer(
            self.inputs_for(score_mode), return_attention_scores=True
        )
        self.assertEqual(tuple(context.shape), (2, 3, 6))
        self.assertEqual(tuple(weights.shape), (2, 3, 5))

    @parameterized.named_parameters(
        (f"{mode}_scale_{scale}", mode, scale)
        for mode, scale in itertools.product(SCORE_MODES, SCALES)
    )
    def test_matches_numpy_reference(self, score_mode, scale):
        layer = self.make_layer(score_mode, scale)
        inputs = self.inputs_for(score_mode)
        context, weights = layer(inputs, return_attention_scores=True)
        expected_context, expected_weights = numpy_luong(
            named_weights(layer), score_mode, scale, *inputs
        )
        self.assertAllClose(weights, expected_weights, atol=1e-5)
        self.assertAllClose(context, expected_context, atol=1e-5)

    def test_value_as_key(self):
        layer = LuongAttention(score_mode="general")
        context = layer([self.query, self.value])
        expected, _ = numpy_luong(
            named_weights(layer), "general", False, self.query, self.value
        )
        self.assertAllClose(context, expected, atol=1e-5)

    @parameterized.named_parameters((mode, mode) for mode in SCORE_MODES)
    def test_value_mask(self, score_mode):
        layer = self.make_layer(score_mode, scale="sqrt")
        inputs = self.inputs_for(score_mode)
        context, weights = layer(
            inputs, mask=[None, self.value_mask], return_attention_scores=True
        )
        context, weights = context.numpy(), weights.numpy()
        expected_context, expected_weights = numpy_luong(
            named_weights(layer),
            score_mode,
            "sqrt",
            *inputs,
            value_mask=self.value_mask,
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
        layer = self.make_layer("concat")
        short = layer([self.query[:1], self.value[:1, :2], self.key[:1, :2]])
        mask = np.array([[True, True, False, False, False]])
        padded = layer(
            [self.query[:1], self.value[:1], self.key[:1]], mask=[None, mask]
        )
        self.assertAllClose(padded, short, atol=1e-6)

    def test_query_mask_zeroes_outputs(self):
        layer = self.make_layer()
        inputs = self.inputs_for("general")
        unmasked = layer(inputs).numpy()
        context = layer(inputs, mask=[self.query_mask, None]).numpy()
        self.assertAllEqual(context[~self.query_mask], np.zeros((2, 6)))
        self.assertAllClose(
            context[self.query_mask], unmasked[self.query_mask], atol=1e-6
        )

    def test_compute_mask(self):
        layer = self.make_layer()
        inputs = self.inputs_for("general")
        self.assertIsNone(layer.compute_mask(inputs, None))
        self.assertIsNone(layer.compute_mask(inputs, [None, self.value_mask]))
        self.assertAllEqual(
            layer.compute_mask(inputs, [self.query_mask, self.value_mask]),
            self.query_mask,
        )

    @parameterized.named_parameters((mode, mode) for mode in SCORE_MODES)
    def test_symbolic_return_attention_scores(self, score_mode):
        key_depth = 4 if score_mode == "dot" else 7
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        key = keras.Input((5, key_depth))
        value_mask = keras.Input((5,), dtype="bool")
        layer = LuongAttention(
            score_mode, scale=True, units=8 if score_mode == "concat" else None
        )
        context, weights = layer(
            [query, value, key],
            mask=[None, value_mask],
            return_attention_scores=True,
        )
        self.assertEqual(tuple(context.shape), (None, 3, 6))
        self.assertEqual(tuple(weights.shape), (None, 3, 5))
        model = keras.Model([query, value, key, value_mask], [context, weights])
        inputs = self.inputs_for(score_mode)
        actual = model.predict([*inputs, self.value_mask], verbose=0)
        expected = layer(
            inputs, mask=[None, self.value_mask], return_attention_scores=True
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
        layer = LuongAttention("general")
        context, weights = layer(
            [target_embedding(target), source_embedding(source)],
            return_attention_scores=True,
        )
        model = keras.Model([target, source], [context, weights])
        context, weights = model.predict([token_ids, source_ids], verbose=0)
        # padded keys weigh zero, padded queries give zero context
        padded_keys = np.broadcast_to(source_ids[:, None] == 0, (2, 3, 4))
        self.assertAllEqual(weights[padded_keys], np.zeros(9))
        self.assertAllEqual(context[token_ids == 0], np.zeros((3, 6)))
        expected = layer(
            [target_embedding(token_ids), source_embedding(source_ids)],
            mask=[token_ids != 0, source_ids != 0],
        )
        self.assertAllClose(context, expected, atol=1e-6)

    @parameterized.named_parameters(
        ("dot_sqrt", {"score_mode": "dot", "scale": "sqrt"}),
        ("general_learned", {"score_mode": "general", "scale": True}),
        (
            "concat",
            {
                "score_mode": "concat",
                "units": 5,
                "kernel_initializer": "he_normal",
                "dropout": 0.25,
                "seed": 3,
            },
        ),
    )
    def test_serialization(self, kwargs):
        layer = LuongAttention(name="luong", **kwargs)
        revived = self.run_serialization_test(layer)
        for name, value in kwargs.items():
            if name != "kernel_initializer":
                self.assertEqual(getattr(revived, name), value)

    def test_model_saving(self):
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        key = keras.Input((5, 7))
        value_mask = keras.Input((5,), dtype="bool")
        context, weights = LuongAttention("concat", scale=True, units=8, dropout=0.1)(
            [query, value, key], mask=[None, value_mask], return_attention_scores=True
        )
        model = keras.Model([query, value, key, value_mask], [context, weights])
        self.run_model_saving_test(
            model, [self.query, self.value, self.key, self.value_mask]
        )

    def test_export(self):
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        context = LuongAttention("general", scale="sqrt")([query, value])
        model = keras.Model([query, value], context)
        self.run_export_test(model, [self.query, self.value])

    @parameterized.named_parameters((mode, mode) for mode in SCORE_MODES)
    def test_training_updates_weights(self, score_mode):
        key_depth = 4 if score_mode == "dot" else 7
        query = keras.Input((3, 4))
        value = keras.Input((5, 6))
        key = keras.Input((5, key_depth))
        value_mask = keras.Input((5,), dtype="bool")
        layer = LuongAttention(
            score_mode,
            scale=True,
            units=8 if score_mode == "concat" else None,
            dropout=0.1,
        )
        context = layer([query, value, key], mask=[None, value_mask])
        model = keras.Model([query, value, key, value_mask], context)
        model.compile("adam", "mse")
        before = [w.numpy().copy() for w in layer.trainable_weights]
        target = np.random.default_rng(1).normal(size=(2, 3, 6))
        inputs = [*self.inputs_for(score_mode), self.value_mask]
        history = model.fit(inputs, target, epochs=2, verbose=0)
        self.assertTrue(np.isfinite(history.history["loss"]).all())
        for old, new in zip(before, layer.trainable_weights, strict=True):
            self.assertTrue(np.isfinite(new.numpy()).all())
            self.assertNotAllClose(old, new.numpy())

    @parameterized.named_parameters((mode, mode) for mode in SCORE_MODES)
    def test_gradients_finite_with_fully_masked_row(self, score_mode):
        layer = self.make_layer(score_mode, scale=True)
        inputs = [tf.constant(x) for x in self.inputs_for(score_mode)]
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            context = layer(inputs, mask=[self.query_mask, self.value_mask])
            loss = tf.reduce_sum(context**2)
        gradients = tape.gradient(loss, layer.trainable_weights + inputs)
        for gradient in gradients:
            self.assertTrue(np.isfinite(gradient.numpy()).all())

    def test_dropout(self):
        layer = self.make_layer(dropout=0.5, seed=1)
        inputs = self.inputs_for("general")
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
        ("unknown_score_mode", {"score_mode": "additive"}, "score_mode"),
        ("concat_without_units", {"score_mode": "concat"}, "units"),
        ("concat_zero_units", {"score_mode": "concat", "units": 0}, "units"),
        ("negative_units", {"score_mode": "general", "units": -2}, "units"),
        ("bad_scale_string", {"scale": "log"}, "scale"),
        ("bad_scale_number", {"scale": 2.0}, "scale"),
        ("negative_dropout", {"dropout": -0.1}, "dropout"),
        ("dropout_one", {"dropout": 1.0}, "dropout"),
    )
    def test_invalid_arguments(self, kwargs, argument):
        with self.assertRaisesRegex(ValueError, argument):
            LuongAttention(**kwargs)

    def test_unknown_score_mode_lists_allowed_values(self):
        with self.assertRaisesRegex(
            ValueError,
            "`score_mode` must be one of 'dot', 'general', 'concat', received: "
            "score_mode='additive'",
        ):
            LuongAttention(score_mode="additive")

    def test_dot_needs_equal_depths(self):
        layer = LuongAttention(score_mode="dot")
        with self.assertRaisesRegex(
            ValueError, "score_mode='dot'.*query depth 4 and key depth 7"
        ):
            layer([self.query, self.value, self.key])
        with self.assertRaisesRegex(ValueError, "score_mode"):
            LuongAttention(score_mode="dot")([keras.Input((3, 4)), keras.Input((5, 6))])
