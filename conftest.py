"""Test session setup: TensorFlow backend, quiet logs, names for doctests."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerasseq  # noqa: E402


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    # The docstring examples use these names without importing them.
    doctest_namespace.update({"np": np, "keras": keras, "kerasseq": kerasseq})
    keras.utils.set_random_seed(0)
