import json
import os
import random
import time
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf

from kerasseq.data import LabelledTexts
from kerasseq.data import read_texts_per_label
from kerasseq.pipelines import TextClassifier
from kerasseq.pipelines.text_classifier import macro_f1
from tests.test_case import TestCase
from tests.test_case import data_dir

GOOD = ["good", "great", "fine", "superb", "lovely"]
BAD = ["bad", "awful", "dull", "poor", "boring"]


def toy_data(count=120, seed=0):
    """Texts whose label is the sentiment word inside them."""
    rng = random.Random(seed)
    texts, labels = [], []
    for index in range(count):
        positive = index % 2 == 0
        word = rng.choice(GOOD if positive else BAD)
        filler = rng.choice(["the film was", "a movie that is", "it is", ""])
        texts.append(f"{filler} {word} .".strip())
        labels.append("pos" if positive else "neg")
    return texts, labels


def small_classifier(**kwargs):
    settings = dict(units=8, embedding_dim=8, seed=1, learning_rate=1e-2)
    settings.update(kwargs)
    return TextClassifier(**settings)


class TextClassifierTest(TestCase):
    def test_fit_predict_evaluate_string_labels(self):
        texts, labels = toy_data()
        clf = small_classifier()
        history = clf.fit(
            texts,
            labels,
            validation_data=(texts[:20], labels[:20]),
            epochs=4,
            verbose=0,
        )
        self.assertIn("val_loss", history.history)
        self.assertIs(clf.history, history)
        self.assertEqual(clf.label_names, ["neg", "pos"])
        predictions = clf.predict(["a great film", "so boring", ""])
        self.assertEqual(predictions[:2], ["pos", "neg"])
        self.assertIsInstance(predictions[2], str)
        probabilities = clf.predict_proba(["a great film", ""])
        self.assertEqual(probabilities.shape, (2, 2))
        self.assertEqual(probabilities.dtype, np.float32)
        self.assertAllClose(probabilities.sum(axis=-1), [1.0, 1.0], atol=1e-5)
        metrics = clf.evaluate(texts, labels)
        self.assertEqual(sorted(metrics), ["accuracy", "loss", "macro_f1"])
        self.assertGreaterEqual(metrics["accuracy"], 0.95)
        self.assertGreaterEqual(metrics["macro_f1"], 0.95)
        # The loss is the mean negative log-probability of the true labels.
        p = clf.predict_proba(texts)
        ids = [clf.label_names.index(label) for label in labels]
        expected_loss = -np.mean(np.log(p[np.arange(len(ids)), ids]))
        self.assertAllClose(metrics["loss"], expected_loss, atol=1e-4)

    def test_int_and_bool_labels_come_back_in_their_type(self):
        texts, labels = toy_data(60)
        for mapping in ({"pos": 7, "neg": 3}, {"pos": True, "neg": False}):
            clf = small_classifier()
            user_labels = np.array([mapping[label] for label in labels])
            clf.fit(texts, user_labels, epochs=4, verbose=0)
            self.assertEqual(clf.label_names, sorted(mapping.values()))
            predictions = clf.predict(["a great film", "so boring"])
            self.assertEqual(predictions, [mapping["pos"], mapping["neg"]])
            self.assertIs(type(predictions[0]), type(mapping["pos"]))

    def test_dataset_and_labelled_texts_inputs(self):
        texts, labels = toy_data(60)
        dataset = tf.data.Dataset.from_tensor_slices((texts, labels))
        clf = small_classifier()
        clf.fit(
            dataset, validation_data=LabelledTexts(texts, labels), epochs=4, verbose=0
        )
        self.assertEqual(clf.label_names, ["neg", "pos"])
        self.assertEqual(
            clf.predict(tf.data.Dataset.from_tensor_slices(["great", "boring"])),
            ["pos", "neg"],
        )
        metrics = clf.evaluate(LabelledTexts(texts, labels))
        self.assertEqual(metrics, clf.evaluate(texts, labels))
        with self.assertRaisesRegex(ValueError, "`y` must be None"):
            clf.fit(dataset, labels)

    def test_class_weight_by_label(self):
        texts, labels = toy_data(40)
        clf = small_classifier()
        # A huge weight on "pos" and almost none on "neg": all become "pos".
        clf.fit(
            texts,
            labels,
            epochs=3,
            verbose=0,
            class_weight={"pos": 1.0, "neg": 1e-6},
        )
        self.assertEqual(set(clf.predict(texts)), {"pos"})
        with self.assertRaisesRegex(ValueError, "Unknown label 'meh'"):
            clf.fit(texts, labels, verbose=0, class_weight={"meh": 1.0})

    def test_multi_label(self):
        texts = ["good and funny", "good", "funny", "bad"] * 10
        labels = [("good", "funny"), ("good",), ("funny",), ()] * 10
        clf = small_classifier(multi_label=True)
        clf.fit(texts, labels, epochs=15, verbose=0)
        self.assertEqual(clf.label_names, ["funny", "good"])
        self.assertEqual(
            clf.predict(["good and funny", "bad"]), [("funny", "good"), ()]
        )
        self.assertEqual(clf.evaluate(texts, labels)["accuracy"], 1.0)

    def test_macro_f1_literal(self):
        # Classes: a (TP 1, FN 1) F1 2/3; b (TP 1, FP 1) F1 2/3; c absent.
        true = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0]], bool)
        predicted = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0]], bool)
        self.assertAllClose(macro_f1(true, predicted), 2 / 3)
        true = np.array([[1, 0], [0, 1]], bool)
        self.assertAllClose(macro_f1(true, np.array([[1, 0], [1, 0]], bool)), 1 / 3)

    def test_explain_attention_weights(self):
        texts, labels = toy_data(40)
        clf = small_classifier(sequence_length=3)
        clf.fit(texts, labels, epochs=1, verbose=0)
        pairs = clf.explain("The film, was GREAT")
        self.assertEqual([token for token, _ in pairs], ["the", "film", ","])
        self.assertAllClose(sum(weight for _, weight in pairs), 1.0, atol=1e-5)
        self.assertEqual(clf.explain(""), [])
        with self.assertRaisesRegex(ValueError, "pooling='attention'"):
            clf = small_classifier(pooling="mean")
            clf.fit(texts, labels, epochs=1, verbose=0)
            clf.explain("good")

    def test_bad_inputs(self):
        texts, labels = toy_data(20)
        clf = small_classifier()
        with self.assertRaisesRegex(ValueError, "at least one text"):
            clf.fit([], [])
        with self.assertRaisesRegex(ValueError, "20 texts and 19 labels"):
            clf.fit(texts, labels[:-1])
        with self.assertRaisesRegex(ValueError, r"x\[1\]=None"):
            clf.fit(["good", None], ["pos", "neg"])
        with self.assertRaisesRegex(ValueError, r"x\[0\]=3 of type int"):
            clf.fit([3, "bad"], ["pos", "neg"])
        with self.assertRaisesRegex(ValueError, "not one string"):
            clf.fit("good film", ["pos"])
        with self.assertRaisesRegex(ValueError, "received: batch_size=0"):
            clf.fit(texts, labels, batch_size=0)
        with self.assertRaisesRegex(ValueError, "not fitted yet"):
            clf.predict(["good"])
        with self.assertRaisesRegex(ValueError, "not fitted yet"):
            clf.save(self.get_temp_dir())
        with self.assertRaisesRegex(ValueError, "at least 2 distinct labels"):
            clf.fit(["a", "b"], ["pos", "pos"])
        # Empty strings are valid texts.
        clf.fit(texts + ["", ""], labels + ["pos", "neg"], epochs=1, verbose=0)
        self.assertLen(clf.predict(["", "good"]), 2)
        with self.assertRaisesRegex(ValueError, "Unknown label 'meh'.*'neg', 'pos'"):
            clf.evaluate(["good", "bad"], ["pos", "meh"])
        with self.assertRaisesRegex(ValueError, r"x\[1\]=b'bad'"):
            clf.predict(["good", b"bad"])

    def test_config_errors_and_round_trip(self):
        with self.assertRaisesRegex(ValueError, "Unknown config key `unit`"):
            TextClassifier.from_config({"unit": 3})
        with self.assertRaisesRegex(ValueError, "units"):
            TextClassifier(units=0)
        with self.assertRaisesRegex(ValueError, "pooling"):
            TextClassifier(pooling="sum")
        with self.assertRaisesRegex(ValueError, "needs pretrained `embeddings`"):
            TextClassifier(trainable_embeddings="partial")
        clf = TextClassifier(units=16, sequence_length=40, clipnorm=1.0)
        config = clf.get_config()
        self.assertEqual(config["units"], 16)
        self.assertIsNone(config["embeddings"])
        self.assertEqual(TextClassifier.from_config(config).get_config(), config)

    def test_embedding_dim_contradicting_vectors(self):
        path = os.path.join(self.get_temp_dir(), "vectors.txt")
        words = sorted(set(" ".join(toy_data(40)[0]).split()))
        rng = np.random.default_rng(0)
        with open(path, "w", encoding="utf-8") as file:
            for word in words:
                values = " ".join(f"{v:.4f}" for v in rng.normal(size=6))
                file.write(f"{word} {values}\n")
        texts, labels = toy_data(40)
        clf = small_classifier(embeddings=path, embedding_dim=8)
        with self.assertRaisesRegex(ValueError, "embedding_dim=8.*6 dimensions"):
            clf.fit(texts, labels, epochs=1, verbose=0)
        clf = small_classifier(
            embeddings=path, embedding_dim=None, trainable_embeddings="partial"
        )
        clf.fit(texts, labels, epochs=1, verbose=0)
        self.assertEqual(clf.model.embedding_dim, 6)

    def test_save_load_same_predictions_and_keeps_training(self):
        texts, labels = toy_data(60)
        clf = small_classifier(sequence_length=6)
        clf.fit(
            texts, np.array([label == "pos" for label in labels]), epochs=2, verbose=0
        )
        directory = os.path.join(self.get_temp_dir(), "run")
        clf.save(directory)
        self.assertEqual(
            sorted(os.listdir(directory)),
            ["config.toml", "labels.json", "model.keras", "vocabulary.txt"],
        )
        with open(os.path.join(directory, "labels.json")) as file:
            self.assertEqual(json.load(file), {"label_names": [False, True]})
        with self.assertRaises(FileExistsError):
            clf.save(directory)
        loaded = TextClassifier.load(directory)
        self.assertEqual(loaded.get_config(), clf.get_config())
        probe = texts[:10] + ["", "unseen words here"]
        self.assertAllEqual(loaded.predict_proba(probe), clf.predict_proba(probe))
        self.assertEqual(loaded.predict(probe), clf.predict(probe))
        before = loaded.predict_proba(probe)
        loaded.fit(texts, [label == "pos" for label in labels], epochs=1, verbose=0)
        self.assertNotAllClose(loaded.predict_proba(probe), before)
        with self.assertRaisesRegex(ValueError, "Unknown label 'pos'"):
            loaded.fit(texts, labels, epochs=1, verbose=0)
        with self.assertRaisesRegex(FileNotFoundError, "config.toml"):
            TextClassifier.load(self.get_temp_dir() + "/nothing")

    def test_export_checks_in_subprocess(self):
        texts, labels = toy_data(60)
        clf = small_classifier()
        clf.fit(texts, labels, epochs=2, verbose=0)
        directory = os.path.join(self.get_temp_dir(), "saved", "1")
        clf.export(directory, check_texts=["a great film", "", "dull"])
        self.assertTrue(os.path.isfile(os.path.join(directory, "saved_model.pb")))
        for name in ("config.toml", "vocabulary.txt", "labels.json"):
            self.assertTrue(os.path.isfile(os.path.join(directory, "assets", name)))
        self.assertEqual(os.listdir(os.path.dirname(directory)), ["1"])

        # A `predict` that disagrees with the SavedModel makes export fail,
        # and nothing is left at the destination.
        other = os.path.join(self.get_temp_dir(), "saved", "2")
        wrong = clf.predict_proba(["x", "y", "z"])[:, ::-1]
        with mock.patch.object(clf, "predict_proba", return_value=wrong):
            with self.assertRaisesRegex(RuntimeError, "answers differently"):
                clf.export(other, check_texts=["a great film", "", "dull"])
        self.assertEqual(os.listdir(os.path.dirname(directory)), ["1"])

    @pytest.mark.slow
    def test_rt_polarity_quality(self):
        folder = data_dir() / "rt-polarity"
        if not (folder / "rt-polarity.pos").exists():
            self.skipTest(f"rt-polarity not found in {folder}")
        data = read_texts_per_label(
            {
                "pos": folder / "rt-polarity.pos",
                "neg": folder / "rt-polarity.neg",
            },
            encoding="latin-1",
        )
        order = np.random.default_rng(1337).permutation(len(data.texts))
        texts = [data.texts[i] for i in order]
        labels = [data.labels[i] for i in order]
        split = int(0.9 * len(texts))
        clf = TextClassifier(
            units=32,
            embedding_dim=64,
            sequence_length=50,
            seed=1337,
            dropout=0.2,
        )
        start = time.perf_counter()
        clf.fit(texts[:split], labels[:split], epochs=3, batch_size=64, verbose=0)
        seconds = time.perf_counter() - start
        metrics = clf.evaluate(texts[split:], labels[split:], batch_size=256)
        print(f"rt-polarity held-out {metrics}, fit {seconds:.1f} s")
        self.assertGreaterEqual(metrics["accuracy"], 0.70)
