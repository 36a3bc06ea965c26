import csv
import gzip
import importlib.util
import json
import os
import pathlib
import random
import textwrap
import time
from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasseq.data import LabelledTexts
from kerasseq.data import read_texts_per_label
from kerasseq.pipelines import TextClassifier
from kerasseq.pipelines.text_classifier import macro_f1
from kerasseq.preprocessors import TextClassifierPreprocessor
from kerasseq.tokenizers import WordTokenizer
from tests.test_case import TestCase
from tests.test_case import data_dir
from tests.test_case import run_python

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
        # Bucketed batches hold texts of one length here: batches of 8 give
        # enough steps an epoch to learn from.
        clf.fit(texts, labels, epochs=10, batch_size=8, verbose=0)
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
        with self.assertRaisesRegex(
            ValueError,
            "`pooling` must be one of 'last', 'mean', 'max', 'attention', "
            "received: pooling='sum'",
        ):
            TextClassifier(pooling="sum")
        with self.assertRaisesRegex(ValueError, "cell='gruu'.*Did you mean 'gru'"):
            TextClassifier(cell="gruu")
        with self.assertRaisesRegex(ValueError, "needs pretrained `embeddings`"):
            TextClassifier(trainable_embeddings="partial")
        with self.assertRaisesRegex(ValueError, "embedding_dropout=1.5"):
            TextClassifier(embedding_dropout=1.5)
        with self.assertRaisesRegex(
            ValueError,
            "`pretrained_tokens` must be a non-negative integer, received: "
            "pretrained_tokens=-1",
        ):
            TextClassifier(pretrained_tokens=-1, embeddings="vectors.txt")
        with self.assertRaisesRegex(
            ValueError,
            "`pretrained_tokens` needs pretrained `embeddings`, received: "
            "pretrained_tokens=10, embeddings=None",
        ):
            TextClassifier(pretrained_tokens=10)
        with self.assertRaisesRegex(ValueError, "learning_rate=-0.1"):
            TextClassifier(learning_rate=-0.1)
        with self.assertRaisesRegex(ValueError, "clipnorm=0"):
            TextClassifier(clipnorm=0)
        clf = TextClassifier(
            units=16, sequence_length=40, clipnorm=1.0, embedding_dropout=0.2
        )
        config = clf.get_config()
        self.assertEqual(config["units"], 16)
        self.assertEqual(config["embedding_dropout"], 0.2)
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

    def test_early_stopping_restores_best_and_checkpoint_keeps_it(self):
        texts, labels = toy_data(40)
        # Validation labels are the opposite: as training learns, val_loss
        # rises after the first epoch, which stays the best one.
        flipped = ["neg" if label == "pos" else "pos" for label in labels]
        clf = small_classifier()
        weights = []
        record = keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: weights.append(clf.model.get_weights())
        )
        directory = os.path.join(self.get_temp_dir(), "best")
        history = clf.fit(
            texts,
            labels,
            validation_data=(texts, flipped),
            epochs=6,
            early_stopping=1,
            checkpoint_dir=directory,
            callbacks=[record],
            verbose=0,
        )
        self.assertEqual(
            sorted(history.history), ["accuracy", "loss", "val_accuracy", "val_loss"]
        )
        self.assertEqual(history.epoch, [0, 1])  # Patience 1: stops at once.
        self.assertGreater(
            history.history["val_loss"][1], history.history["val_loss"][0]
        )
        for restored, best in zip(clf.model.get_weights(), weights[0]):
            self.assertAllEqual(restored, best)
        self.assertNotAllClose(weights[1][0], weights[0][0])
        # The checkpoint holds the best epoch's whole pipeline.
        best = TextClassifier.load(directory)
        probe = texts[:8] + ["", "unseen"]
        self.assertAllClose(best.predict_proba(probe), clf.predict_proba(probe))
        self.assertEqual(best.label_names, ["neg", "pos"])
        self.assertEqual(
            [name for name in os.listdir(self.get_temp_dir()) if "best" in name],
            ["best"],  # No temporary folder left beside it.
        )

    def test_monitor_and_early_stopping_errors(self):
        texts, labels = toy_data(10)
        clf = small_classifier()
        with self.assertRaisesRegex(
            ValueError,
            r"one of \['loss', 'accuracy'\] \(pass `validation_data` .*"
            r"received: monitor='val_accuracy'",
        ):
            clf.fit(texts, labels, early_stopping=2, monitor="val_accuracy")
        with self.assertRaisesRegex(
            ValueError,
            r"one of \['loss', 'accuracy', 'val_loss', 'val_accuracy'\], "
            r"received: monitor='val_f1'",
        ):
            clf.fit(texts, labels, validation_data=(texts, labels), monitor="val_f1")
        with self.assertRaisesRegex(ValueError, "received: early_stopping=0"):
            clf.fit(texts, labels, early_stopping=0)
        with self.assertRaisesRegex(ValueError, "received: bucketing='yes'"):
            clf.fit(texts, labels, bucketing="yes")
        self.assertIsNone(clf.model)  # Nothing was built.

    def test_backup_dir_resumes_an_interrupted_fit_and_log_dir(self):
        texts, labels = toy_data(40)
        backup = os.path.join(self.get_temp_dir(), "backup")
        logs = os.path.join(self.get_temp_dir(), "logs")
        has_tensorboard = importlib.util.find_spec("tensorboard") is not None
        saved = {}

        class Interrupt(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                saved[epoch] = self.model.get_weights()

            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 2:
                    raise RuntimeError("interrupted")

        clf = small_classifier()
        with self.assertRaisesRegex(RuntimeError, "interrupted"):
            clf.fit(texts, labels, epochs=4, backup_dir=backup, callbacks=[Interrupt()])
        self.assertTrue(os.listdir(backup))
        # A new pipeline (as after a restart) resumes at epoch 2 with the
        # weights of the end of epoch 1.
        resumed = small_classifier()
        starts = {}

        class Record(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                starts[epoch] = self.model.get_weights()

        history = resumed.fit(
            texts,
            labels,
            epochs=4,
            backup_dir=backup,
            log_dir=logs if has_tensorboard else None,
            callbacks=[Record()],
            verbose=0,
        )
        self.assertEqual(sorted(starts), [2, 3])
        self.assertEqual(history.epoch, [2, 3])
        for value, expected in zip(starts[2], saved[1]):
            self.assertAllEqual(value, expected)
        if has_tensorboard:  # Else see test_log_dir_without_tensorboard.
            events = [
                name
                for _, _, names in os.walk(logs)
                for name in names
                if name.startswith("events.out.tfevents")
            ]
            self.assertNotEmpty(events)

    def test_log_dir_without_tensorboard(self):
        texts, labels = toy_data(10)
        clf = small_classifier()
        logs = os.path.join(self.get_temp_dir(), "logs")
        with mock.patch.object(importlib.util, "find_spec", return_value=None):
            with self.assertRaisesRegex(ImportError, "pip install .*tensorboard"):
                clf.fit(texts, labels, log_dir=logs)
        self.assertIsNone(clf.model)  # Refused before any work.

    def test_bucketed_batches_match_the_preprocessor(self):
        vocabulary = ["[PAD]", "[UNK]", "the", "film", "good", "bad", ",", "🙂"]
        texts = [
            "the film",
            "",
            "Good",
            "the good, bad film 🙂 is the film",
            "bad bad bad",
            "unknown words",
            "the",
            "The film, the film, the film",
        ] * 3
        dataset = tf.data.Dataset.from_tensor_slices((texts, np.arange(len(texts))))
        for sequence_length in (None, 3):
            clf = small_classifier(sequence_length=sequence_length)
            clf.tokenizer = WordTokenizer(vocabulary=vocabulary)
            clf.preprocessor = TextClassifierPreprocessor(
                clf.tokenizer, sequence_length=sequence_length
            )
            expected = clf.preprocessor(texts)
            expected_ids = expected["token_ids"].numpy()
            expected_mask = expected["padding_mask"].numpy()
            seen, widths = [], set()
            batches = clf._batches(
                dataset, batch_size=3, shuffle=True, bucketing=True, size=len(texts)
            )
            for inputs, indices in batches:
                ids = inputs["token_ids"].numpy()
                mask = inputs["padding_mask"].numpy()
                widths.add(ids.shape[1])
                for row, index in enumerate(indices.numpy()):
                    seen.append(index)
                    self.assertAllEqual(mask[row], ids[row] != 0)
                    length = int(mask[row].sum())
                    self.assertAllEqual(mask[row][:length], [True] * length)
                    self.assertEqual(length, expected_mask[index].sum())
                    self.assertAllEqual(
                        ids[row][:length], expected_ids[index][expected_mask[index]]
                    )
            self.assertEqual(sorted(seen), list(range(len(texts))))
            if sequence_length is None:
                self.assertGreater(len(widths), 2)  # Several buckets.
                self.assertIn(1, widths)  # Empty texts get one padded step.
            else:
                self.assertLessEqual(max(widths), 3)

    def test_dataset_is_streamed(self):
        texts, labels = toy_data(40)
        ints = [7 if label == "pos" else 3 for label in labels]
        dataset = tf.data.Dataset.from_tensor_slices((texts, ints))
        clf = small_classifier()
        with mock.patch.object(
            TextClassifier, "_texts_and_labels", side_effect=AssertionError("lists")
        ):
            history = clf.fit(dataset, validation_data=dataset, epochs=2, verbose=0)
        self.assertEqual(clf.label_names, [3, 7])
        self.assertEqual(clf.predict(["a great film", "so boring"]), [7, 3])
        # The same vocabulary and training as from lists.
        lists = small_classifier()
        lists.fit(texts, ints, epochs=2, verbose=0)
        self.assertEqual(
            clf.tokenizer.vocabulary.get_vocabulary(),
            lists.tokenizer.vocabulary.get_vocabulary(),
        )
        self.assertAllClose(history.history["loss"], lists.history.history["loss"])
        with self.assertRaisesRegex(ValueError, r"Unknown label 5.*\[3, 7\]"):
            clf.fit(tf.data.Dataset.from_tensor_slices((["good"], [5])), verbose=0)
        with self.assertRaisesRegex(ValueError, "at least one text"):
            small_classifier().fit(dataset.take(0))

    def test_file_inputs(self):
        texts, labels = toy_data(40)
        folder = self.get_temp_dir()
        csv_path = os.path.join(folder, "train.csv")
        with open(csv_path, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["label", "text"])
            writer.writerows(zip(labels, texts))
        jsonl_path = os.path.join(folder, "valid.jsonl.gz")
        with gzip.open(jsonl_path, "wt", encoding="utf-8") as file:
            for text, label in zip(texts, labels):
                file.write(json.dumps({"text": text, "label": label}) + "\n")
        clf = small_classifier()
        history = clf.fit(
            csv_path, validation_data=jsonl_path, epochs=2, bucketing=False, verbose=0
        )
        self.assertIn("val_accuracy", history.history)
        self.assertLess(history.history["loss"][1], history.history["loss"][0])
        self.assertEqual(clf.label_names, ["neg", "pos"])
        self.assertEqual(
            clf.evaluate(pathlib.Path(jsonl_path)), clf.evaluate(texts, labels)
        )
        self.assertEqual(clf.predict(csv_path), clf.predict(texts))
        # Predictions follow the order of the texts, long and short mixed.
        probe = ["so boring", "a great film " * 20, "", "great", "boring " * 30]
        forward = clf.predict_proba(probe, batch_size=2)
        backward = clf.predict_proba(probe[::-1], batch_size=2)
        self.assertAllClose(forward, backward[::-1], atol=1e-6)
        with self.assertRaisesRegex(ValueError, "`y` must be None when `x` is a file"):
            clf.fit(csv_path, labels)
        with self.assertRaises(FileNotFoundError):
            clf.fit(os.path.join(folder, "missing.tsv"))

    def test_deterministic_and_strategy_settings(self):
        with self.assertRaisesRegex(ValueError, "`deterministic=True` needs a `seed`"):
            TextClassifier(deterministic=True)
        with self.assertRaisesRegex(ValueError, "`strategy` must be"):
            TextClassifier(strategy="tpu")
        texts, labels = toy_data(8)
        clf = small_classifier(deterministic=True, strategy="auto")
        with mock.patch.object(
            tf.config.experimental, "enable_op_determinism"
        ) as enable:
            clf.fit(texts, labels, epochs=1, verbose=0)
        enable.assert_called_once_with()
        self.assertIsNone(clf.strategy)  # "auto" without GPUs: the default.
        self.assertEqual(clf.get_config()["strategy"], "auto")

    def test_from_run_file(self):
        run = {
            "pipeline": "text_classifier",
            "model": {"units": 8, "pooling": "mean", "deterministic": True, "seed": 3},
            "data": {"format": "table", "train": "train.csv"},
            "fit": {"epochs": 2, "early_stopping": 1},
            "output": {"save_dir": "runs/x"},
        }
        clf = TextClassifier.from_config(run)
        self.assertEqual(TextClassifier.name, "text_classifier")
        expected = TextClassifier(units=8, pooling="mean", deterministic=True, seed=3)
        self.assertEqual(clf.get_config(), expected.get_config())
        with self.assertRaisesRegex(ValueError, "Unknown config key `model.unit`"):
            TextClassifier.from_config(
                {"pipeline": "text_classifier", "model": {"unit": 8}}
            )
        with self.assertRaisesRegex(
            ValueError, "pipeline 'tagger', not 'text_classifier'"
        ):
            TextClassifier.from_config({"pipeline": "tagger", "model": {}})

    def test_pretrained_embeddings_save_load_export(self):
        from tests.embeddings.fixtures import random_keyed_vectors

        texts, labels = toy_data(40)
        # Vectors for some words only: the others are the trainable rows.
        keyed = random_keyed_vectors(["the", "film", "great", "bad", "awful", "."], 6)
        path = os.path.join(self.get_temp_dir(), "vectors.w2v.txt")
        keyed.save_word2vec_format(path)
        clf = small_classifier(
            embeddings=path, embedding_dim=None, trainable_embeddings="partial"
        )
        clf.fit(texts, labels, epochs=1, verbose=0)
        directory = os.path.join(self.get_temp_dir(), "run")
        clf.save(directory)
        loaded = TextClassifier.load(directory)
        probe = ["a great film", "awful", "", "the film was superb ."]
        self.assertAllEqual(loaded.predict_proba(probe), clf.predict_proba(probe))
        self.assertEqual(loaded.get_config()["embeddings"], path)
        # Export from the loaded pipeline, checked in a fresh process against
        # its predict; the first pipeline gives the same.
        loaded.export(
            os.path.join(self.get_temp_dir(), "saved", "1"), check_texts=probe
        )
        revived = tf.saved_model.load(os.path.join(self.get_temp_dir(), "saved", "1"))
        outputs = revived.signatures["serving_default"](texts=tf.constant(probe))
        self.assertAllClose(
            outputs["probabilities"], clf.predict_proba(probe), atol=1e-6
        )
        self.assertEqual(
            [label.decode() for label in outputs["label"].numpy()], clf.predict(probe)
        )

    def test_pretrained_tokens_extend_the_vocabulary(self):
        from tests.embeddings.fixtures import random_keyed_vectors

        texts, labels = toy_data(40)
        # "marvellous" and "dreadful" never occur in the texts; "Paris" and
        # "n't" are words the lower-casing, punctuation-splitting tokenizer
        # never produces; "the" and "film" are in the training vocabulary.
        words = ["the", "Paris", "marvellous", "n't", "film", "dreadful", "zebra"]
        keyed = random_keyed_vectors(words, 6)
        path = os.path.join(self.get_temp_dir(), "vectors.w2v.txt")
        keyed.save_word2vec_format(path)
        plain = small_classifier(embeddings=path, embedding_dim=None)
        plain.fit(texts, labels, epochs=1, verbose=0)
        clf = small_classifier(embeddings=path, embedding_dim=None, pretrained_tokens=2)
        clf.fit(texts, labels, epochs=2, verbose=0)
        trained = plain.tokenizer.vocabulary.tokens
        tokens = clf.tokenizer.vocabulary.tokens
        self.assertEqual(tokens, trained + ["marvellous", "dreadful"])
        self.assertEqual(
            clf.tokenizer.vocabulary.counts, plain.tokenizer.vocabulary.counts
        )
        ids = clf.tokenizer(["marvellous dreadful zebra"])[0].numpy().tolist()
        self.assertEqual(ids, [len(trained), len(trained) + 1, 1])  # zebra: [UNK]
        # Never in a training text, so no gradient reaches their rows.
        layer = clf.model.get_layer("token_embedding")
        embedding = keras.ops.convert_to_numpy(layer.get_embedding_matrix())
        self.assertAllClose(
            embedding[len(trained) :], keyed[["marvellous", "dreadful"]], atol=1e-6
        )
        directory = os.path.join(self.get_temp_dir(), "run")
        clf.save(directory)
        loaded = TextClassifier.load(directory)
        self.assertEqual(loaded.tokenizer.vocabulary.tokens, tokens)
        probe = ["a marvellous film", "dreadful"]
        self.assertAllEqual(loaded.predict_proba(probe), clf.predict_proba(probe))

    @pytest.mark.slow
    def test_mirrored_strategy_over_two_logical_cpus(self):
        code = textwrap.dedent(
            """
            import tempfile
            import tensorflow as tf
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration()] * 2
            )
            from kerasseq.pipelines import TextClassifier
            from tests.pipelines.text_classifier_test import toy_data
            texts, labels = toy_data(40)
            # A second MirroredStrategy over the same devices in one process
            # must not use collective ops (they mix up: a TF limitation).
            both = tf.distribute.MirroredStrategy(
                ["/cpu:0", "/cpu:1"],
                cross_device_ops=tf.distribute.ReductionToOneDevice(),
            )
            made = []
            for strategy in ["mirrored", both]:
                clf = TextClassifier(units=4, embedding_dim=4, strategy=strategy)
                history = clf.fit(texts, labels, epochs=1, batch_size=8, verbose=0)
                assert clf.strategy.num_replicas_in_sync == 2, clf.strategy
                assert len(history.history["loss"]) == 1
                probabilities = clf.predict_proba(texts[:5] + [""])
                assert probabilities.shape == (6, 2), probabilities.shape
                made.append(clf.strategy)
                print("replicas", clf.strategy.num_replicas_in_sync)
            assert made[1] is both, made
            # One MirroredStrategy per process for "mirrored".
            again = TextClassifier(strategy="mirrored")
            assert again._distribution_strategy() is made[0]
            folder = tempfile.mkdtemp()
            clf.save(folder + "/run")
            loaded = TextClassifier.load(folder + "/run")
            assert loaded.strategy is None  # The object is not saved.
            import numpy as np
            expected = clf.predict_proba(texts)
            assert np.allclose(loaded.predict_proba(texts), expected, atol=1e-6)
            mirrored = TextClassifier.load(folder + "/run", strategy=both)
            assert mirrored.predict(texts) == clf.predict(texts)
            # Built inside the strategy's scope: that strategy is kept.
            with both.scope():
                scoped = TextClassifier(units=4, embedding_dim=4)
                scoped.fit(texts, labels, epochs=1, batch_size=8, verbose=0)
            assert scoped.strategy is both, scoped.strategy
            assert scoped.predict_proba(texts[:3]).shape == (3, 2)
            print("scoped ok")
            """
        )
        result = run_python(code)
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        self.assertEqual(result.stdout.split().count("replicas"), 2)
        self.assertIn("scoped ok", result.stdout)
