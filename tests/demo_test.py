"""Tests for the embedded demo (`kerasseq.demo`)."""

import contextlib
import io
import json
import os

import keras
import numpy as np
import pytest

from kerasseq import demo
from kerasseq.tokenizers import WordTokenizer
from tests.test_case import TestCase

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class CorpusTest(TestCase):
    def test_corpus_is_the_gensim_polarity_file(self):
        path = demo.corpus_path()
        self.assertEqual(os.path.basename(path), "pang_lee_polarity.cor")
        with open(path, "rb") as file:
            lines = file.read().splitlines()
        self.assertEqual(len(lines), 200)
        self.assertEqual(sum(line.startswith(b"__label__neg ") for line in lines), 100)
        self.assertEqual(sum(line.startswith(b"__label__pos ") for line in lines), 100)


class StratifiedSplitTest(TestCase):
    def test_each_label_keeps_its_share(self):
        labels = ["neg"] * 100 + ["pos"] * 100
        train, test = demo.stratified_split(labels, 0.2, seed=0)
        self.assertLen(test, 40)
        self.assertLen(train, 160)
        self.assertEqual(sorted(train + test), list(range(200)))
        self.assertEqual(sum(labels[i] == "pos" for i in test), 20)
        # The same seed gives the same split, another seed another one.
        self.assertEqual(demo.stratified_split(labels, 0.2, seed=0), (train, test))
        self.assertNotEqual(demo.stratified_split(labels, 0.2, seed=1)[1], test)

    def test_uneven_labels_round_per_label(self):
        labels = ["a"] * 5 + ["b"] * 10 + ["c"] * 1
        train, test = demo.stratified_split(labels, 0.2, seed=3)
        self.assertEqual(sorted(labels[i] for i in test), ["a", "b", "b"])
        self.assertLen(train, 13)

    def test_bad_fraction_is_rejected(self):
        for fraction in (0.0, 1.0, -0.1):
            with self.assertRaisesRegex(ValueError, f"test_fraction={fraction}"):
                demo.stratified_split(["a", "b"], fraction)


class RunTest(TestCase):
    def test_bad_arguments_are_rejected_first(self):
        with self.assertRaisesRegex(ValueError, "epochs=0"):
            demo.run(epochs=0, verbose=False)
        with self.assertRaisesRegex(ValueError, "seconds=0"):
            demo.run(seconds=0, verbose=False)
        with self.assertRaisesRegex(ValueError, "cell='gruu'"):
            demo.run(cell="gruu", verbose=False)

    def test_time_limit_stops_after_the_epoch_that_passes_it(self):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        x = np.zeros((4, 2), "float32")
        history = model.fit(
            x,
            np.zeros((4, 1), "float32"),
            epochs=5,
            verbose=0,
            callbacks=[demo._TimeLimit(1e-9)],
        )
        self.assertLen(history.history["loss"], 1)

    @pytest.mark.slow
    def test_demo_end_to_end_in_a_fresh_folder(self):
        folder = self.get_temp_dir()
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(folder)
        # A previous export is replaced (the demo re-runs).
        os.makedirs(os.path.join("saved_models", "demo", "1"))
        with open(os.path.join("saved_models", "demo", "1", "old.txt"), "w") as f:
            f.write("from an earlier run")

        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            result = demo.run(epochs=3)
        printed = output.getvalue()

        self.assertEqual((result.train_size, result.test_size), (160, 40))
        self.assertEqual(result.epochs, 3)
        self.assertBetween(result.accuracy, 0.0, 1.0)
        self.assertBetween(result.macro_f1, 0.0, 1.0)
        self.assertGreater(result.vocabulary_size, 1000)
        self.assertIn(f"accuracy {result.accuracy:.3f}", printed)
        for stage in range(1, 7):
            self.assertIn(f"== {stage}/6 ", printed)
        self.assertIn("sentiment_rt.toml", printed)

        # explain: the sentence's tokens, weights summing to one.
        tokens = [t.decode() for t in WordTokenizer()(result.explained_text).numpy()]
        self.assertEqual([token for token, _ in result.token_weights], tokens)
        self.assertAllClose(sum(w for _, w in result.token_weights), 1.0, atol=1e-5)

        # The export, relative to the current folder, replaced the old one.
        expected_dir = os.path.join(
            os.path.realpath(folder), "saved_models", "demo", "1"
        )
        self.assertEqual(os.path.realpath(result.export_dir), expected_dir)
        self.assertTrue(os.path.isfile(os.path.join(expected_dir, "saved_model.pb")))
        self.assertFalse(os.path.exists(os.path.join(expected_dir, "old.txt")))
        with open(os.path.join(expected_dir, "assets", "labels.json")) as file:
            self.assertEqual(json.load(file)["label_names"], ["neg", "pos"])

        # The fresh process answers as predict does in this one.
        self.assertEqual(result.label_names, ["neg", "pos"])
        self.assertLen(result.fresh_labels, 2)
        self.assertContainsSubset(result.fresh_labels, {"neg", "pos"})
        self.assertEqual(result.fresh_labels, result.predicted_labels)
        self.assertAllClose(
            result.fresh_probabilities, result.predicted_probabilities, atol=1e-5
        )
        self.assertAllClose(np.sum(result.fresh_probabilities, axis=-1), [1.0, 1.0])
        self.assertIn("same answers as clf.predict in this process: yes", printed)

        # The plots.
        self.assertEqual(
            [os.path.relpath(path, folder) for path in result.plot_paths],
            [
                os.path.join("runs", "demo", name)
                for name in ("history.png", "token_weights.png")
            ],
        )
        for path in result.plot_paths:
            with open(path, "rb") as file:
                self.assertEqual(file.read(8), PNG_MAGIC)
