"""Tests for `TextClassifierModel`."""

import json
import os
import tempfile
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.models.text_classifier_model import TextClassifierModel
from kerasseq.preprocessors import TextClassifierPreprocessor
from kerasseq.tokenizers import WordTokenizer
from tests.test_case import TestCase
from tests.test_case import run_python

SMALL = {"vocabulary_size": 12, "num_classes": 3, "embedding_dim": 6, "units": 5}

# Token ids of three texts of different lengths (no padding yet).
ROWS = [[2, 5, 7, 3, 9], [4, 11], [6, 8, 10]]


def padded(rows, length):
    token_ids = np.zeros((len(rows), length), "int32")
    padding_mask = np.zeros((len(rows), length), bool)
    for index, row in enumerate(rows):
        token_ids[index, : len(row)] = row
        padding_mask[index, : len(row)] = True
    return {"token_ids": token_ids, "padding_mask": padding_mask}


def make_sentences(count, seed=0):
    """Texts holding "good" (label 1) or "bad" (label 0) among filler words."""
    rng = np.random.default_rng(seed)
    filler = "the a movie film plot was is really quite very so and but it".split()
    texts, labels = [], []
    for _ in range(count):
        label = int(rng.integers(2))
        words = list(rng.choice(filler, size=int(rng.integers(3, 9))))
        words.insert(int(rng.integers(len(words) + 1)), "good" if label else "bad")
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.array(labels, "int32")


class TextClassifierModelTest(TestCase, parameterized.TestCase):
    @parameterized.product(
        pooling=["last", "mean", "max", "attention"],
        cell=["gru", "lstm", "simple_rnn"],
    )
    def test_output_shape_and_probabilities(self, pooling, cell):
        model = TextClassifierModel(**SMALL, cell=cell, pooling=pooling)
        probabilities = model(padded(ROWS, 6))
        self.assertEqual(probabilities.shape, (3, 3))
        self.assertEqual(probabilities.dtype, tf.float32)
        self.assertAllClose(np.sum(probabilities, axis=-1), np.ones(3), atol=1e-6)

    def test_multi_label_sigmoid(self):
        model = TextClassifierModel(**{**SMALL, "num_classes": 4}, multi_label=True)
        probabilities = model(padded(ROWS, 6)).numpy()
        self.assertEqual(probabilities.shape, (3, 4))
        self.assertTrue(np.all((probabilities > 0) & (probabilities < 1)))
        self.assertEqual(
            model.get_layer("probabilities").activation.__name__, "sigmoid"
        )
        single = TextClassifierModel(**{**SMALL, "num_classes": 1}, multi_label=True)
        self.assertEqual(single(padded(ROWS, 6)).shape, (3, 1))

    def test_stacked_unidirectional_layers(self):
        model = TextClassifierModel(
            **SMALL, num_layers=3, bidirectional=False, pooling="last"
        )
        names = [layer.name for layer in model.layers]
        self.assertIn("recurrent_2", names)
        self.assertNotIn("bidirectional_0", names)
        self.assertEqual(model(padded(ROWS, 6)).shape, (3, 3))

    @parameterized.product(
        pooling=["last", "mean", "max", "attention"],
        cell=["gru", "lstm", "simple_rnn"],
    )
    def test_padding_does_not_change_outputs(self, pooling, cell):
        model = TextClassifierModel(
            **SMALL, cell=cell, pooling=pooling, num_layers=2, bidirectional=True
        )
        batch = model(padded(ROWS, 9)).numpy()
        for index, row in enumerate(ROWS):
            alone = model(padded([row], len(row))).numpy()
            self.assertAllClose(batch[index], alone[0], atol=1e-5)

    def test_empty_text_gives_finite_probabilities(self):
        for pooling in ("last", "mean", "max", "attention"):
            model = TextClassifierModel(**SMALL, pooling=pooling)
            inputs = padded([[], [3]], 2)
            self.assertTrue(np.all(np.isfinite(model(inputs).numpy())), pooling)

    def test_dtype_policy(self):
        model = TextClassifierModel(**SMALL, dtype="mixed_bfloat16")
        self.assertEqual(model.get_layer("logits").compute_dtype, "bfloat16")
        self.assertEqual(model(padded(ROWS, 6)).dtype, tf.float32)
        revived = TextClassifierModel.from_config(model.get_config())
        self.assertEqual(revived.get_layer("bidirectional_0").compute_dtype, "bfloat16")

    def test_attention_model(self):
        model = TextClassifierModel(**SMALL)
        inputs = padded(ROWS, 7)
        probabilities, weights = model.attention_model()(inputs)
        self.assertAllClose(probabilities, model(inputs))
        self.assertEqual(weights.shape, (3, 7))
        weights = weights.numpy()
        self.assertAllEqual(weights[~inputs["padding_mask"]], np.zeros(11))
        self.assertAllClose(weights.sum(axis=-1), np.ones(3), atol=1e-6)

    def test_attention_model_needs_attention_pooling(self):
        model = TextClassifierModel(**SMALL, pooling="mean")
        with self.assertRaisesRegex(ValueError, "pooling='mean'"):
            model.attention_model()

    @parameterized.named_parameters(
        ("vocabulary_size", {"vocabulary_size": 0}, "vocabulary_size=0"),
        ("num_classes", {"num_classes": 2.0}, "num_classes=2.0"),
        ("one_class", {"num_classes": 1}, "num_classes=1"),
        ("embedding_dim", {"embedding_dim": -1}, "embedding_dim=-1"),
        ("cell", {"cell": "gur"}, "cell='gur'.*Did you mean 'gru'"),
        ("units", {"units": None}, "units=None"),
        ("num_layers", {"num_layers": 0}, "num_layers=0"),
        ("bidirectional", {"bidirectional": "yes"}, "bidirectional='yes'"),
        (
            "pooling",
            {"pooling": "sum"},
            "`pooling` must be one of 'last', 'mean', 'max', 'attention', "
            "received: pooling='sum'",
        ),
        ("dropout", {"dropout": 1.0}, "dropout=1.0"),
        ("recurrent_dropout", {"recurrent_dropout": -0.1}, "recurrent_dropout=-0.1"),
        ("embedding_dropout", {"embedding_dropout": 1.0}, "embedding_dropout=1.0"),
        ("multi_label", {"multi_label": 1}, "multi_label=1"),
        (
            "embedding_trainability",
            {"embedding_trainability": "some"},
            "`embedding_trainability` must be one of 'partial', 'all', 'none', "
            "received: embedding_trainability='some'",
        ),
        ("trainable_rows", {"trainable_rows": [12]}, "trainable_rows containing 12"),
        (
            "embedding_weights",
            {"embedding_weights": np.zeros((12, 5))},
            r"embedding_weights.shape=\(12, 5\)",
        ),
    )
    def test_invalid_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            TextClassifierModel(**{**SMALL, **kwargs})

    def test_embedding_weights_and_trainability(self):
        matrix = np.arange(12 * 6, dtype="float32").reshape(12, 6) / 100
        model = TextClassifierModel(
            **SMALL,
            embedding_weights=matrix,
            embedding_trainability="partial",
            trainable_rows=[1, 4],
        )
        self.assertAllClose(model.embedding.get_embedding_matrix(), matrix)
        trainable = {w.path for w in model.trainable_weights}
        self.assertIn("token_embedding/trainable_embeddings", trainable)
        self.assertNotIn("token_embedding/embeddings", trainable)
        config = model.get_config()
        self.assertNotIn("embedding_weights", config)
        self.assertEqual(config["trainable_rows"], [1, 4])
        frozen = TextClassifierModel(**SMALL, embedding_trainability="none")
        self.assertNotIn(
            "token_embedding/embeddings", {w.path for w in frozen.trainable_weights}
        )

    def test_serialization(self):
        model = TextClassifierModel(
            **SMALL,
            cell="lstm",
            num_layers=2,
            pooling="max",
            dropout=0.1,
            recurrent_dropout=0.2,
            embedding_dropout=0.3,
            embedding_trainability="partial",
            trainable_rows=[1],
            name="classifier",
        )
        revived = self.run_serialization_test(model)
        self.assertEqual(revived.get_config(), model.get_config())
        self.assertEqual(revived.name, "classifier")
        self.assertEqual(len(revived.weights), len(model.weights))

    def test_embedding_dropout_zeroes_whole_channels_in_training_only(self):
        model = TextClassifierModel(**SMALL, embedding_dropout=0.5)
        layer = model.get_layer("embedding_dropout")
        self.assertIsInstance(layer, keras.layers.SpatialDropout1D)
        vectors = np.ones((2, 5, 6), "float32")
        dropped = keras.ops.convert_to_numpy(layer(vectors, training=True))
        # A channel is dropped (0) or scaled (2) for every step of a text.
        self.assertAllClose(dropped, np.broadcast_to(dropped[:, :1], dropped.shape))
        self.assertEqual(set(np.unique(dropped)), {0.0, 2.0})
        self.assertAllClose(layer(vectors, training=False), vectors)
        self.assertNotIn(
            "embedding_dropout",
            [layer.name for layer in TextClassifierModel(**SMALL).layers],
        )

    @parameterized.named_parameters(
        ("gru_attention", {"pooling": "attention"}),
        ("lstm_max_dropout", {"cell": "lstm", "pooling": "max", "dropout": 0.2}),
    )
    def test_saving(self, kwargs):
        matrix = np.random.default_rng(0).normal(size=(12, 6)).astype("float32")
        model = TextClassifierModel(**SMALL, embedding_weights=matrix, **kwargs)
        restored = self.run_model_saving_test(model, padded(ROWS, 6))
        self.assertIsInstance(restored, TextClassifierModel)
        self.assertAllClose(restored.embedding.get_embedding_matrix(), matrix)

    @pytest.mark.slow
    def test_fit_learns_a_trivial_rule(self):
        texts, labels = make_sentences(320)
        tokenizer = WordTokenizer()
        tokenizer.adapt(texts)
        preprocessor = TextClassifierPreprocessor(tokenizer)
        model = TextClassifierModel(
            vocabulary_size=preprocessor.vocabulary_size,
            num_classes=2,
            embedding_dim=16,
            units=16,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        dataset = (
            tf.data.Dataset.from_tensor_slices((texts, labels))
            .batch(32)
            .map(preprocessor)
        )
        history = model.fit(dataset, epochs=6, shuffle=False, verbose=0)
        self.assertGreaterEqual(history.history["accuracy"][-1], 0.9)
        test_texts = ["the movie was really good", "it is a bad film"]
        predictions = model.predict(preprocessor(test_texts), verbose=0)
        self.assertEqual(np.argmax(predictions, axis=-1).tolist(), [1, 0])

    @pytest.mark.slow
    def test_export_serves_raw_strings_without_kerasseq(self):
        vocabulary = ["[PAD]", "[UNK]", "the", "quick", "brown", "fox", "."]
        preprocessor = TextClassifierPreprocessor(
            WordTokenizer(vocabulary=vocabulary), sequence_length=8
        )
        model = TextClassifierModel(
            vocabulary_size=len(vocabulary), num_classes=3, embedding_dim=4, units=4
        )
        texts = ["The quick brown fox.", "fox", "", "a red fox jumps"]
        expected = model.predict(preprocessor(texts), verbose=0)

        archive = keras.export.ExportArchive()
        archive.track(preprocessor)
        archive.track(model)

        # A closure (not default arguments: those break `add_endpoint`).
        def serve(texts):
            return model(preprocessor(texts), training=False)

        archive.add_endpoint(
            "serve", serve, input_signature=[tf.TensorSpec([None], tf.string)]
        )
        script = textwrap.dedent(
            """
            import json, sys
            import tensorflow as tf
            revived = tf.saved_model.load(sys.argv[1])
            outputs = revived.serve(tf.constant(json.loads(sys.argv[2])))
            assert "kerasseq" not in sys.modules, "kerasseq was imported"
            assert "tensorflow_text" not in sys.modules, "tensorflow_text imported"
            print(json.dumps(outputs.numpy().tolist()))
            """
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "exported")
            archive.write_out(path, verbose=False)
            result = run_python(["-c", script, path, json.dumps(texts)], cwd=tmp)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        actual = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertAllClose(actual, expected, atol=1e-6)
