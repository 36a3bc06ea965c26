"""Small word-vector files written by gensim itself, the reference of the tests."""

import bz2
import gzip
import lzma
import pathlib
import shutil
import zipfile

import numpy as np

WORDS = [
    "the",
    ",",
    "of",
    "Paris",
    "paris",
    "naïve",
    "café",
    "1990",
    "0000",
    "king",
    "queen",
    "x",
    '"',
    "don't",
    "日本",
    "emoji🙂",
]


def random_keyed_vectors(words=None, dimension=7, seed=0):
    """A gensim `KeyedVectors` of random float32 vectors (awkward values included)."""
    from gensim.models import KeyedVectors

    words = WORDS if words is None else words
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(len(words), dimension)).astype("float32")
    vectors[0, :3] = [1e-8, -3.5e12, 0.0]  # exponents and zero
    vectors[1] = np.float32(1) / 3  # many significant digits
    keyed = KeyedVectors(dimension)
    keyed.add_vectors(words, vectors)
    keyed.allocate_vecattrs(["count"], [int])
    keyed.expandos["count"][:] = np.arange(len(words), 0, -1)
    return keyed


def write_gensim_formats(folder, keyed):
    """Writes `keyed` in every word2vec-family format; returns {name: path}."""
    folder = pathlib.Path(folder)
    paths = {
        "glove": folder / "vectors.glove.txt",
        "word2vec": folder / "vectors.w2v.txt",
        "fasttext-vec": folder / "vectors.vec",
        "word2vec-binary": folder / "vectors.w2v.bin",
    }
    keyed.save_word2vec_format(str(paths["glove"]), write_header=False)
    keyed.save_word2vec_format(str(paths["word2vec"]))
    keyed.save_word2vec_format(str(paths["word2vec-binary"]), binary=True)
    # fastText writes a space at the end of every row.
    lines = paths["word2vec"].read_text(encoding="utf-8").splitlines()
    paths["fasttext-vec"].write_text(
        "\n".join([lines[0]] + [line + " " for line in lines[1:]]) + "\n",
        encoding="utf-8",
    )
    return paths


def compress(path, kind):
    """A compressed copy of `path`: `kind` is gz, bz2, xz or zip."""
    path = pathlib.Path(path)
    target = path.with_name(path.name + "." + kind)
    if kind == "zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(path, path.name)
        return target
    opener = {"gz": gzip.open, "bz2": bz2.open, "xz": lzma.open}[kind]
    with open(path, "rb") as source, opener(target, "wb") as sink:
        shutil.copyfileobj(source, sink)
    return target


def tiny_fasttext_model(bucket=500, vector_size=6):
    """A FastText model trained for one epoch on a tiny corpus."""
    from gensim.models import FastText

    corpus = [
        "the king and the queen rule the kingdom".split(),
        "the cat sat on the mat with the other cats".split(),
        "kings and queens and cats".split(),
    ] * 5
    return FastText(
        corpus,
        vector_size=vector_size,
        window=2,
        min_count=1,
        epochs=1,
        bucket=bucket,
        workers=1,
        seed=1,
    )
