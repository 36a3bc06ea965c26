"""Tests for the embedded demo (`kerasseq.demo`): date normalisation."""

import contextlib
import datetime
import io
import os
import tomllib

import keras
import numpy as np
import pytest

from kerasseq import demo
from kerasseq.data.dates import date_formats
from kerasseq.data.dates import render_date
from tests.test_case import REPO_ROOT
from tests.test_case import TestCase

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SentencesTest(TestCase):
    def test_each_sentence_is_a_default_format_of_its_date(self):
        formats = date_formats()
        for text, iso in demo.SENTENCES:
            day = datetime.date.fromisoformat(iso)
            rendered = {
                render_date(day, locale, name)
                for locale, names in formats.items()
                for name in names
            }
            self.assertIn(text, rendered, iso)
        self.assertIn(demo.HEATMAP_SENTENCE, [text for text, _ in demo.SENTENCES])

    def test_the_run_file_holds_the_demo_recipe(self):
        with open(REPO_ROOT / "pipelines" / "dates.toml", "rb") as file:
            run = tomllib.load(file)
        self.assertEqual(run["pipeline"], "translator")
        for key, value in demo.RECIPE.items():
            self.assertEqual(run["model"][key], value, key)
        self.assertEqual(run["model"].get("cell", "lstm"), "lstm")
        self.assertEqual(run["data"]["format"], "dates")
        self.assertEqual(run["data"]["size"], demo.SIZE)
        self.assertEqual(run["data"]["test_split"], demo.HELD_OUT)
        self.assertEqual(run["fit"]["epochs"], 3)
        self.assertEqual(run["fit"]["batch_size"], demo.BATCH_SIZE)
        self.assertEqual(run["output"]["export_dir"], "saved_models/dates/1")


class RunTest(TestCase):
    def test_bad_arguments_are_rejected_first(self):
        for kwargs, message in (
            ({"epochs": 0}, "epochs=0"),
            ({"seconds": 0}, "seconds=0"),
            ({"cell": "gruu"}, "cell='gruu'"),
            ({"size": 0}, "size=0"),
            ({"size": 5}, "size=5"),
        ):
            with self.assertRaisesRegex(ValueError, message):
                demo.run(verbose=False, **kwargs)

    def test_epoch_report_prints_and_stops_after_the_epoch_past_the_limit(self):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        lines = []
        history = model.fit(
            np.zeros((4, 2), "float32"),
            np.zeros((4, 1), "float32"),
            epochs=5,
            verbose=0,
            callbacks=[demo._EpochReport(lines.append, seconds=1e-9)],
        )
        self.assertLen(history.history["loss"], 1)
        self.assertLen(lines, 1)
        self.assertStartsWith(lines[0], "   epoch 1: loss 0.0000")

    @pytest.mark.slow
    def test_demo_end_to_end_in_a_fresh_folder(self):
        folder = self.get_temp_dir()
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(folder)
        # A previous export is replaced (the demo re-runs).
        os.makedirs(os.path.join("saved_models", "dates", "1"))
        with open(os.path.join("saved_models", "dates", "1", "old.txt"), "w") as f:
            f.write("from an earlier run")

        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            result = demo.run(epochs=1, size=300)
        printed = output.getvalue()

        self.assertEqual(result.train_size + result.test_size, 300)
        self.assertBetween(result.test_size, 20, 40)
        self.assertEqual(result.epochs, 1)
        self.assertBetween(result.exact_match, 0.0, 1.0)
        self.assertIn(f"exact match {result.exact_match:.4f}", printed)
        for stage in range(1, 7):
            self.assertIn(f"== {stage}/6 ", printed)

        # The export, relative to the current folder, replaced the old one.
        expected_dir = os.path.join(
            os.path.realpath(folder), "saved_models", "dates", "1"
        )
        self.assertEqual(os.path.realpath(result.export_dir), expected_dir)
        self.assertTrue(os.path.isfile(os.path.join(expected_dir, "saved_model.pb")))
        self.assertFalse(os.path.exists(os.path.join(expected_dir, "old.txt")))

        # The fresh process answers as translate does in this one.
        self.assertEqual(result.sentences, [text for text, _ in demo.SENTENCES])
        self.assertLen(result.fresh_translations, len(demo.SENTENCES))
        self.assertEqual(result.fresh_translations, result.translations)
        self.assertIn(
            "same answers as translator.translate in this process: yes", printed
        )

        # The plots: the heatmap path is printed.
        self.assertEqual(
            [os.path.relpath(path, folder) for path in result.plot_paths],
            [
                os.path.join("runs", "dates", name)
                for name in ("attention.png", "history.png")
            ],
        )
        self.assertIn(os.path.join("runs", "dates", "attention.png"), printed)
        for path in result.plot_paths:
            with open(path, "rb") as file:
                self.assertEqual(file.read(8), PNG_MAGIC)
