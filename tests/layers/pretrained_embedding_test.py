"""Tests for `PretrainedEmbedding` (frozen pretrained rows, trainable others)."""

import json

import keras
import numpy as np
from absl.testing import parameterized

from kerasseq.layers.pretrained_embedding import PretrainedEmbedding
from tests.test_case import TestCase

VOCABULARY_SIZE = 12
DIMENSION = 5
# Rows that train under "partial": [UNK] (1), [END] (3) and two OOV words.
TRAINABLE_ROWS = [1, 3, 7, 10]


def make_matrix(seed=0):
    matrix = np.random.default_rng(seed).normal(size=(VOCABULARY_SIZE, DIMENSION))
    matrix[0] = 0.0  # [PAD]
    return matrix.astype("float32")


def make_model(layer, sequence_length=6):
    ids = keras.Input((sequence_length,), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(layer(ids))
    model = keras.Model(ids, keras.layers.Dense(1)(pooled))
    return model


class PretrainedEmbeddingTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.matrix = make_matrix()
        self.ids = np.array(
            [[2, 1, 7, 4, 0, 0], [11, 3, 10, 2, 5, 0], [6, 8, 9, 7, 1, 2]], "int32"
        )

    def make_layer(self, **kwargs):
        arguments = {"weights": self.matrix, "trainable_rows": TRAINABLE_ROWS, **kwargs}
        return PretrainedEmbedding(**arguments)

    @parameterized.named_parameters(
        (
            "partial",
            "partial",
            [("trainable_embeddings", (4, 5))],
            [("embeddings", (12, 5))],
        ),
        ("all", "all", [("embeddings", (12, 5))], []),
        ("none", "none", [], [("embeddings", (12, 5))]),
    )
    def test_weights_per_mode(self, trainability, trainable, frozen):
        layer = self.make_layer(trainability=trainability)
        shapes = lambda ws: [(w.name, tuple(w.shape)) for w in ws]  # noqa: E731
        self.assertEqual(trainable, shapes(layer.trainable_weights))
        self.assertEqual(frozen, shapes(layer.non_trainable_weights))
        self.assertEqual(self.matrix.shape, (layer.input_dim, layer.output_dim))

    def test_partial_without_rows_trains_nothing(self):
        layer = PretrainedEmbedding(weights=self.matrix)
        self.assertEqual([], layer.trainable_weights)
        self.assertEqual((), layer.trainable_rows)

    @parameterized.product(
        trainability=["partial", "all", "none"], mask_zero=[False, True]
    )
    def test_matches_keras_embedding(self, trainability, mask_zero):
        layer = self.make_layer(trainability=trainability, mask_zero=mask_zero)
        reference = keras.layers.Embedding(
            VOCABULARY_SIZE, DIMENSION, weights=self.matrix, mask_zero=mask_zero
        )
        self.assertAllClose(reference(self.ids), layer(self.ids), atol=0)
        self.assertAllClose(self.matrix[self.ids], layer(self.ids), atol=0)
        expected_mask = reference.compute_mask(self.ids)
        mask = layer.compute_mask(self.ids)
        if mask_zero:
            self.assertAllEqual(expected_mask, mask)
        else:
            self.assertIsNone(mask)
        # Symbolic: shapes and the mask reach the next layer.
        symbolic = layer(keras.Input((None,), dtype="int32"))
        self.assertEqual((None, None, DIMENSION), tuple(symbolic.shape))

    def test_mask_zero_embeds_padding_as_zeros(self):
        matrix = self.matrix.copy()
        matrix[0] = 7.0  # a non-zero padding row is not used
        layer = PretrainedEmbedding(weights=matrix, mask_zero=True, trainability="all")
        outputs = layer(self.ids).numpy()
        self.assertAllEqual(np.zeros((3, DIMENSION)), outputs[self.ids == 0])
        self.assertAllEqual(matrix[2], outputs[0, 0])

    def train_one_step(self, layer, optimizer):
        model = make_model(layer)
        model.compile(optimizer=optimizer, loss="mse")
        before = keras.ops.convert_to_numpy(layer.get_embedding_matrix()).copy()
        targets = np.random.default_rng(1).normal(size=(3, 1)).astype("float32")
        model.train_on_batch(self.ids, targets)
        after = keras.ops.convert_to_numpy(layer.get_embedding_matrix())
        changed = np.flatnonzero(np.any(before != after, axis=1))
        return before, after, changed.tolist()

    @parameterized.parameters("sgd", "adam")
    def test_one_step_changes_only_the_trainable_rows(self, optimizer):
        layer = self.make_layer(mask_zero=True)
        before, after, changed = self.train_one_step(layer, optimizer)
        # Every trainable row that the batch uses changed, and nothing else.
        self.assertEqual(TRAINABLE_ROWS, changed)
        self.assertAllEqual(np.zeros(DIMENSION), after[0])
        frozen = [r for r in range(VOCABULARY_SIZE) if r not in TRAINABLE_ROWS]
        self.assertAllEqual(before[frozen], after[frozen])
        self.assertAllEqual(
            self.matrix[frozen], keras.ops.convert_to_numpy(layer.embeddings)[frozen]
        )

    def test_one_step_all_trainable(self):
        layer = self.make_layer(trainability="all", mask_zero=True)
        _, after, changed = self.train_one_step(layer, "sgd")
        used = sorted(set(self.ids.ravel().tolist()) - {0})
        self.assertEqual(used, changed)  # every used row but padding
        self.assertAllEqual(np.zeros(DIMENSION), after[0])

    def test_one_step_frozen(self):
        layer = self.make_layer(trainability="none", mask_zero=True)
        _, _, changed = self.train_one_step(layer, "sgd")
        self.assertEqual([], changed)
        # keras's own switch freezes the partial layer as well
        layer = self.make_layer()
        layer.trainable = False
        self.assertEqual([], layer.trainable_weights)
        _, _, changed = self.train_one_step(layer, "sgd")
        self.assertEqual([], changed)

    def test_optimizer_state_only_for_trainable_rows(self):
        layer = self.make_layer()
        model = make_model(layer)
        model.compile(optimizer="adam", loss="mse")
        model.train_on_batch(self.ids, np.zeros((3, 1), "float32"))
        shapes = {
            tuple(v.shape) for v in model.optimizer.variables if len(v.shape) == 2
        }
        self.assertIn((4, DIMENSION), shapes)
        self.assertNotIn((VOCABULARY_SIZE, DIMENSION), shapes)

    def test_get_and_set_embedding_matrix(self):
        layer = self.make_layer()
        self.assertAllEqual(self.matrix, layer.get_embedding_matrix())
        other = make_matrix(seed=3)
        layer.set_embedding_matrix(other)
        self.assertAllEqual(other, layer.get_embedding_matrix())
        self.assertAllEqual(other[TRAINABLE_ROWS], layer.trainable_embeddings)
        self.assertAllClose(other[self.ids], layer(self.ids), atol=0)
        with self.assertRaisesRegex(ValueError, r"shape \(12, 5\)"):
            layer.set_embedding_matrix(other[:3])

    def test_without_weights_uses_the_initializer(self):
        layer = PretrainedEmbedding(
            VOCABULARY_SIZE,
            DIMENSION,
            trainable_rows=TRAINABLE_ROWS,
            embeddings_initializer="ones",
        )
        self.assertFalse(layer.built)
        outputs = layer(self.ids)
        self.assertAllEqual(np.ones(self.ids.shape + (DIMENSION,)), outputs)

    def test_serialization(self):
        layer = self.make_layer(mask_zero=True, name="words")
        config = layer.get_config()
        self.assertEqual(
            {
                "input_dim": 12,
                "output_dim": 5,
                "trainable_rows": TRAINABLE_ROWS,
                "trainability": "partial",
                "mask_zero": True,
            },
            {key: config[key] for key in list(config)[-6:-1]},
        )
        self.assertNotIn("weights", config)  # the matrix travels with the weights
        self.assertLess(len(json.dumps(config)), 1000)
        revived = self.run_serialization_test(layer)
        self.assertEqual((1, 3, 7, 10), revived.trainable_rows)
        self.run_serialization_test(PretrainedEmbedding(4, 2, trainability="all"))

    @parameterized.parameters("partial", "all", "none")
    def test_model_saving(self, trainability):
        layer = self.make_layer(trainability=trainability, mask_zero=True)
        model = make_model(layer)
        model.compile(optimizer="adam", loss="mse")
        model.train_on_batch(self.ids, np.ones((3, 1), "float32"))
        restored = self.run_model_saving_test(model, self.ids, atol=0)
        restored_layer = restored.layers[1]
        self.assertIsInstance(restored_layer, PretrainedEmbedding)
        self.assertAllEqual(
            layer.get_embedding_matrix(), restored_layer.get_embedding_matrix()
        )
        self.assertEqual(
            [w.name for w in layer.trainable_weights],
            [w.name for w in restored_layer.trainable_weights],
        )

    def test_export(self):
        self.run_export_test(make_model(self.make_layer(mask_zero=True)), self.ids)

    def test_float_ids(self):
        layer = self.make_layer()
        self.assertAllClose(self.matrix[self.ids], layer(self.ids.astype("float32")))

    @parameterized.named_parameters(
        ("no_size", {}, "input_dim"),
        ("zero_dim", {"input_dim": 0, "output_dim": 3}, "input_dim"),
        ("bad_output", {"input_dim": 3, "output_dim": -1}, "output_dim"),
        (
            "mode",
            {"input_dim": 3, "output_dim": 2, "trainability": "some"},
            "`trainability` must be one of 'partial', 'all', 'none', received: "
            "trainability='some'",
        ),
        ("row_range", {"input_dim": 3, "output_dim": 2, "trainable_rows": [3]}, "3"),
        ("row_type", {"input_dim": 3, "output_dim": 2, "trainable_rows": [0.5]}, "0.5"),
        (
            "repeat",
            {"input_dim": 3, "output_dim": 2, "trainable_rows": [1, 1]},
            "repeat",
        ),
        ("vector", {"weights": np.ones(3)}, "weights"),
        ("shape", {"weights": np.ones((3, 2)), "input_dim": 4}, "input_dim=4"),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            PretrainedEmbedding(**kwargs)
