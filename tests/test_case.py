"""Shared helpers for kerasseq tests (public Keras APIs only)."""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import keras
import tensorflow as tf

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def data_dir() -> pathlib.Path:
    """The shared real-data folder: `$KERASSEQ_DATA` or `../shared/data`."""
    return pathlib.Path(
        os.environ.get("KERASSEQ_DATA", REPO_ROOT.parent / "shared" / "data")
    )


def run_python(arguments, cwd=REPO_ROOT, timeout=300):
    """Runs a fresh Python process (quiet TensorFlow logs) and returns it.

    Args:
        arguments: Code to run with `-c` (a string), or the list of
            arguments after the interpreter (e.g. `["-m", "kerasseq.cli"]`).
        cwd: Working folder. Defaults to the repository root.
        timeout: Seconds before the process is killed.

    Returns:
        The `subprocess.CompletedProcess`, with text `stdout` and `stderr`.
    """
    if isinstance(arguments, str):
        arguments = ["-c", arguments]
    return subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


class TestCase(tf.test.TestCase):
    """`tf.test.TestCase` plus the kerasseq round-trip checks."""

    # tf.test.TestCase's deprecated `test_session` helper is not a test.
    test_session = None

    def setUp(self):
        super().setUp()
        keras.utils.set_random_seed(1337)

    def tearDown(self):
        keras.backend.clear_session()
        super().tearDown()

    def run_serialization_test(self, layer):
        """`get_config` → `from_config` → `get_config` is the identity."""
        config = layer.get_config()
        revived = layer.__class__.from_config(config)
        self.assertEqual(
            json.dumps(config, sort_keys=True, default=str),
            json.dumps(revived.get_config(), sort_keys=True, default=str),
        )
        serialized = keras.saving.serialize_keras_object(layer)
        revived = keras.saving.deserialize_keras_object(serialized)
        self.assertIsInstance(revived, layer.__class__)
        self.assertEqual(
            json.dumps(serialized, sort_keys=True, default=str),
            json.dumps(
                keras.saving.serialize_keras_object(revived),
                sort_keys=True,
                default=str,
            ),
        )
        return revived

    def run_model_saving_test(self, model, inputs, atol=1e-6):
        """A `.keras` save and load gives back a model with equal outputs."""
        expected = model.predict(inputs, verbose=0)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.keras")
            model.save(path)
            restored = keras.saving.load_model(path)
        actual = restored.predict(inputs, verbose=0)
        tf.nest.map_structure(
            lambda a, b: self.assertAllClose(a, b, atol=atol), expected, actual
        )
        return restored

    def run_export_test(self, model, inputs, atol=1e-6):
        """`model.export` then `tf.saved_model.load` serves the same outputs."""
        expected = model(inputs, training=False)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "exported")
            model.export(path, format="tf_saved_model", verbose=False)
            revived = tf.saved_model.load(path)
            actual = revived.serve(inputs)
        tf.nest.map_structure(
            lambda a, b: self.assertAllClose(a, b, atol=atol), expected, actual
        )
