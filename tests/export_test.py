import json
import os
import subprocess
from unittest import mock

import numpy as np
import tensorflow as tf

from kerasseq.export import check_export
from kerasseq.export import write_directory
from tests.test_case import TestCase


class Lengths(tf.Module):
    """A tiny raw-string SavedModel: the length and upper case of each text."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def serve(self, texts):
        return {
            "length": tf.strings.length(texts),
            "upper": tf.strings.upper(texts),
            "half": tf.cast(tf.strings.length(texts), tf.float32) / 2.0,
        }


def write_file(name, text):
    def write(tmp):
        with open(os.path.join(tmp, name), "w") as file:
            file.write(text)

    return write


class WriteDirectoryTest(TestCase):
    def test_creates_and_refuses_existing_without_overwrite(self):
        parent = self.get_temp_dir()
        target = os.path.join(parent, "nested", "out")
        self.assertEqual(write_directory(target, write_file("a.txt", "one")), target)
        self.assertEqual(os.listdir(target), ["a.txt"])
        with self.assertRaisesRegex(FileExistsError, "overwrite=True"):
            write_directory(target, write_file("b.txt", "two"))
        self.assertEqual(os.listdir(target), ["a.txt"])

    def test_nothing_left_behind_when_write_raises(self):
        parent = self.get_temp_dir()
        target = os.path.join(parent, "out")

        def fail(tmp):
            write_file("partial.txt", "half")(tmp)
            raise OSError("disk full")

        with self.assertRaisesRegex(OSError, "disk full"):
            write_directory(target, fail)
        self.assertEqual(os.listdir(parent), [])  # Neither target nor temporary.

        write_directory(target, write_file("a.txt", "one"))
        with self.assertRaisesRegex(OSError, "disk full"):
            write_directory(target, fail, overwrite=True)
        with open(os.path.join(target, "a.txt")) as file:
            self.assertEqual(file.read(), "one")  # The old one is untouched.
        self.assertEqual(os.listdir(parent), ["out"])

    def test_overwrite_replaces_the_whole_folder(self):
        parent = self.get_temp_dir()
        target = os.path.join(parent, "out")
        write_directory(target, write_file("a.txt", "one"))
        write_directory(target, write_file("b.txt", "two"), overwrite=True)
        self.assertEqual(os.listdir(target), ["b.txt"])
        self.assertEqual(os.listdir(parent), ["out"])


class CheckExportTest(TestCase):
    def test_fresh_process_answer_matches(self):
        module = Lengths()
        path = os.path.join(self.get_temp_dir(), "lengths")
        tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
        texts = ["abc", "", "Été 🙂"]
        check_export(
            path,
            texts,
            {
                "length": np.array([3, 0, 10]),  # Bytes: É and é 2, 🙂 4.
                "upper": np.array(["ABC", "", "ÉTé 🙂"], object),  # ASCII only.
                "half": np.array([1.5, 0.0, 5.0], np.float32),
            },
        )

    def test_mismatches_and_failures_raise(self):
        # The comparison, on what a fresh process printed (no TF start-up).
        printed = json.dumps({"length": [3, 0], "label": ["a", "é"], "p": [0.5, 1]})

        def fake_run(returncode=0, stdout=printed + "\n", stderr=""):
            result = subprocess.CompletedProcess([], returncode, stdout, stderr)
            return mock.patch.object(subprocess, "run", return_value=result)

        path = self.get_temp_dir()
        with fake_run():
            check_export(path, ["x", "y"], {"label": np.array(["a", "é"], object)})
            check_export(path, ["x", "y"], {"p": np.array([0.5, 1.0 + 1e-6])})
            with self.assertRaisesRegex(
                RuntimeError,
                r"differently .* on \['x', 'y'\]: output 'length' is \[3, 0\], "
                r"expected \[3, 1\]",
            ):
                check_export(path, ["x", "y"], {"length": np.array([3, 1])})
            with self.assertRaisesRegex(RuntimeError, "output 'p'"):
                check_export(path, ["x", "y"], {"p": np.array([0.5, 0.9])})
            with self.assertRaisesRegex(RuntimeError, "output 'p'"):
                check_export(path, ["x", "y"], {"p": np.array([0.5, 1.0, 1.0])})
            with self.assertRaisesRegex(RuntimeError, "no output 'score'"):
                check_export(path, ["x", "y"], {"score": np.array([1.0, 2.0])})
        with fake_run(returncode=1, stdout="", stderr="Op type not registered"):
            with self.assertRaisesRegex(
                RuntimeError, "failed to load or answer.*\n.*Op type not registered"
            ):
                check_export(path, ["x"], {"label": np.array(["a"], object)})
