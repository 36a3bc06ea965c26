"""Tests for `kerasseq.plotting`."""

import os

import keras
import numpy as np

from kerasseq import plotting
from tests.test_case import REPO_ROOT
from tests.test_case import TestCase
from tests.test_case import run_python

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class PlottingTest(TestCase):
    def setUp(self):
        super().setUp()
        self.folder = self.get_temp_dir()

    def assertPNG(self, path, shape=None):
        """`path` is a PNG that matplotlib reads back, of `shape` if given."""
        from matplotlib import image

        with open(path, "rb") as file:
            self.assertEqual(file.read(8), PNG_MAGIC)
        pixels = image.imread(path)
        self.assertEqual(pixels.ndim, 3)
        self.assertIn(pixels.shape[-1], (3, 4))
        if shape is not None:
            self.assertEqual(pixels.shape[:2], shape)
        # Not a blank canvas: something was drawn.
        self.assertGreater(float(np.std(pixels[..., :3])), 0.0)
        # Only the PNG is left in its folder (no temporary file).
        self.assertEqual(os.listdir(os.path.dirname(path)), [os.path.basename(path)])

    # === plot_history ===

    def test_history_of_a_real_fit(self):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile("sgd", "mse", metrics=["mae"])
        x = np.random.rand(16, 3).astype("float32")
        y = np.random.rand(16, 2).astype("float32")
        history = model.fit(
            x, y, validation_data=(x, y), epochs=3, batch_size=8, verbose=0
        )
        path = os.path.join(self.folder, "new", "folder", "history.png")
        self.assertEqual(plotting.plot_history(history, path), path)
        # Two panels (loss, mae) of 4.2 x 3.2 inches at 100 dpi.
        self.assertPNG(path, shape=(320, 840))

    def test_history_dict_and_chosen_metrics(self):
        history = {"loss": [1.0, 0.5], "accuracy": [0.4, 0.6], "val_accuracy": [0.5]}
        path = os.path.join(self.folder, "accuracy.png")
        plotting.plot_history(history, path, metrics=["accuracy"])
        self.assertPNG(path, shape=(320, 420))

    def test_history_overwrites_an_existing_file(self):
        path = os.path.join(self.folder, "history.png")
        with open(path, "w") as file:
            file.write("old")
        plotting.plot_history({"loss": [1.0, 0.5]}, path)
        self.assertPNG(path)

    def test_empty_history_is_rejected(self):
        path = os.path.join(self.folder, "history.png")
        for history in ({}, {"loss": []}, keras.callbacks.History()):
            with self.assertRaisesRegex(ValueError, "`history` is empty"):
                plotting.plot_history(history, path)
        self.assertFalse(os.path.exists(path))

    def test_bad_history_is_rejected(self):
        path = os.path.join(self.folder, "history.png")
        with self.assertRaisesRegex(ValueError, "received: history of type list"):
            plotting.plot_history([1.0, 0.5], path)
        with self.assertRaisesRegex(ValueError, r"history\['loss'\]"):
            plotting.plot_history({"loss": ["high", "low"]}, path)
        with self.assertRaisesRegex(ValueError, r"'f1'.*holds: \['loss'\]"):
            plotting.plot_history({"loss": [1.0]}, path, metrics=["f1"])
        with self.assertRaisesRegex(ValueError, "must end in '.png'"):
            plotting.plot_history({"loss": [1.0]}, os.path.join(self.folder, "h.pdf"))

    # === plot_attention ===

    def test_attention_heatmap(self):
        weights = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], "float32")
        path = os.path.join(self.folder, "attention.png")
        result = plotting.plot_attention(
            weights, ["le", "chat", "noir"], ["the", "cat"], path, title="attention"
        )
        self.assertEqual(result, path)
        # Width 0.45 * 3 + 2 = 3.35 inches, height max(2.5, 0.4 * 2 + 1.5).
        self.assertPNG(path, shape=(250, 335))

    def test_attention_accepts_tensors_and_bytes_tokens(self):
        weights = keras.ops.softmax(keras.ops.ones((2, 2)))
        path = os.path.join(self.folder, "attention.png")
        plotting.plot_attention(weights, [b"a", b"b"], ["x", "y"], path)
        self.assertPNG(path)

    def test_attention_shape_mismatch_names_both_shapes(self):
        path = os.path.join(self.folder, "attention.png")
        with self.assertRaisesRegex(
            ValueError, r"shape \(len\(target_tokens\).*= \(2, 3\).*\(3, 2\)"
        ):
            plotting.plot_attention(np.ones((3, 2)), ["a", "b", "c"], ["x", "y"], path)
        with self.assertRaisesRegex(ValueError, r"= \(1, 2\).*shape \(2,\)"):
            plotting.plot_attention(np.ones(2), ["a", "b"], ["x"], path)
        self.assertFalse(os.path.exists(path))

    def test_attention_bad_input(self):
        path = os.path.join(self.folder, "attention.png")
        with self.assertRaisesRegex(ValueError, "`source_tokens` must hold at least"):
            plotting.plot_attention(np.ones((1, 0)), [], ["x"], path)
        with self.assertRaisesRegex(ValueError, "`target_tokens` must be a list"):
            plotting.plot_attention(np.ones((1, 1)), ["a"], "x", path)
        with self.assertRaisesRegex(ValueError, "must be finite"):
            plotting.plot_attention(np.array([[np.nan]]), ["a"], ["x"], path)

    # === plot_token_weights ===

    def test_token_weights_of_explain(self):
        pairs = [("a", 0.1), ("moving", 0.5), (",", 0.05), ("film", 0.35)]
        path = os.path.join(self.folder, "weights.png")
        self.assertEqual(plotting.plot_token_weights(pairs, path, title="pos"), path)
        # 6 inches wide, max(2, 0.3 * 4 + 1.2) = 2.4 inches high.
        self.assertPNG(path, shape=(240, 600))

    def test_token_weights_bad_input(self):
        path = os.path.join(self.folder, "weights.png")
        with self.assertRaisesRegex(ValueError, "is empty .*without tokens"):
            plotting.plot_token_weights([], path)
        with self.assertRaisesRegex(ValueError, r"tokens_and_weights\[1\]=\('b',\)"):
            plotting.plot_token_weights([("a", 0.5), ("b",)], path)
        with self.assertRaisesRegex(ValueError, r"tokens_and_weights\[0\]=\(1, 0.5\)"):
            plotting.plot_token_weights([(1, 0.5)], path)
        with self.assertRaisesRegex(ValueError, "finite"):
            plotting.plot_token_weights([("a", float("inf"))], path)
        with self.assertRaisesRegex(ValueError, "pairs, received: dict"):
            plotting.plot_token_weights({"a": 0.5}, path)
        self.assertFalse(os.path.exists(path))

    # === Lazy import ===

    def test_module_imports_matplotlib_only_when_plotting(self):
        # Loaded by file path, without the kerasseq package: Keras itself
        # imports matplotlib when it is installed.
        code = f"""
import importlib.util, os, sys, tempfile
spec = importlib.util.spec_from_file_location(
    "plotting", {str(REPO_ROOT / "kerasseq" / "plotting.py")!r})
plotting = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plotting)
print("before", "matplotlib" in sys.modules)
plotting.plot_history({{"loss": [1.0]}}, os.path.join(tempfile.mkdtemp(), "h.png"))
print("after", "matplotlib" in sys.modules)
"""
        result = run_python(code)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["before", "False", "after", "True"])

    def test_missing_matplotlib_names_the_extra(self):
        code = """
import sys
sys.modules["matplotlib"] = None  # As if it were not installed.
import kerasseq.plotting
try:
    kerasseq.plotting.plot_token_weights([("a", 1.0)], "w.png")
except ImportError as error:
    print(error)
"""
        result = run_python(code, cwd=self.folder)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('pip install "kerasseq[plot]"', result.stdout)
        self.assertEqual(os.listdir(self.folder), [])
