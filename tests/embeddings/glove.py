"""The real GloVe 6B 50d vectors, loaded once per test session (cached in tmp)."""

import functools
import tempfile
import unittest

from kerasseq.embeddings import load_vectors
from tests.test_case import data_dir


def path():
    glove = data_dir() / "glove" / "glove.6B.50d.txt.gz"
    if not glove.is_file():
        raise unittest.SkipTest(f"GloVe not found at {glove} (set KERASSEQ_DATA)")
    return glove


@functools.cache
def cache_dir():
    return tempfile.mkdtemp(prefix="kerasseq-glove-")


@functools.cache
def vectors():
    """All 400,000 vectors; the first call parses and caches them."""
    return load_vectors(path(), cache_dir=cache_dir())
