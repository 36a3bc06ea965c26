"""Tests for `train_word2vec` and `train_fasttext` on small synthetic corpora."""

import pathlib

import numpy as np
from absl.testing import parameterized

from kerasseq.embeddings import build_embedding_matrix
from kerasseq.embeddings import train_fasttext
from kerasseq.embeddings import train_word2vec
from tests.test_case import TestCase

ANIMALS = ["cat", "dog", "horse", "cow", "sheep"]
VEHICLES = ["car", "truck", "bus", "train", "bike"]


def corpus(sentences=2000, seed=0):
    """Animals share contexts (eats, hay); vehicles share others (drives, road)."""
    rng = np.random.default_rng(seed)
    animal = (ANIMALS, ["eats", "chews", "likes"], ["grass", "hay", "oats"])
    vehicle = (VEHICLES, ["drives", "parks", "stops"], ["road", "street", "lane"])
    lines = []
    for _ in range(sentences):
        words = animal if rng.random() < 0.5 else vehicle
        lines.append(" ".join(rng.choice(choices) for choices in words))
    return lines


# No down-sampling: in a tiny corpus every word is "frequent".
SETTINGS = {"vector_size": 16, "window": 2, "min_count": 1, "epochs": 10, "sample": 0}


class TrainingTest(TestCase, parameterized.TestCase):
    def assertClusters(self, vectors):
        within = np.mean(
            [vectors.similarity(a, b) for a in ANIMALS for b in ANIMALS if a != b]
        )
        across = np.mean([vectors.similarity(a, v) for a in ANIMALS for v in VEHICLES])
        self.assertGreater(within - across, 0.2, (within, across))

    @parameterized.parameters(False, True)
    def test_word2vec_learns_the_clusters(self, skip_gram):
        sentences = [line.split() for line in corpus()]
        vectors = train_word2vec(sentences, skip_gram=skip_gram, **SETTINGS)
        self.assertEqual(16, vectors.vector_size)
        counts = [vectors.get_vecattr(word, "count") for word in vectors.index_to_key]
        self.assertEqual(sorted(counts, reverse=True), counts)  # most frequent first
        self.assertClusters(vectors)

    def test_corpus_file_and_strings(self):
        path = pathlib.Path(self.get_temp_dir()) / "corpus.txt"
        path.write_text("\n".join(corpus()) + "\n")
        from_file = train_word2vec(path, **SETTINGS)
        self.assertClusters(from_file)
        from_strings = train_word2vec(corpus(), vector_size=8, min_count=1, epochs=1)
        self.assertEqual(set(from_file.key_to_index), set(from_strings.key_to_index))
        model = train_word2vec(corpus(), vector_size=8, epochs=1, return_model=True)
        from gensim.models import Word2Vec

        self.assertIsInstance(model, Word2Vec)

    def test_fasttext_builds_vectors_for_unseen_words(self):
        vectors = train_fasttext(corpus(), bucket=2000, **SETTINGS)
        self.assertClusters(vectors)
        self.assertNotIn("cats", vectors.key_to_index)
        self.assertGreater(vectors.similarity("cats", "cat"), 0.4)
        matrix = build_embedding_matrix(
            vectors, ["[PAD]", "[UNK]", "cat", "cats"], oov="subword", seed=0
        )
        self.assertEqual(("pad", "special", "exact", "subword"), matrix.row_sources)

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(ValueError, "re-iterable"):
            train_word2vec(line.split() for line in corpus())
        with self.assertRaisesRegex(ValueError, "empty"):
            train_word2vec([])
        with self.assertRaisesRegex(ValueError, "vector_size=0"):
            train_word2vec(corpus(), vector_size=0)
        with self.assertRaisesRegex(ValueError, "max_n=2"):
            train_fasttext(corpus(), min_n=3, max_n=2)
        with self.assertRaises(FileNotFoundError):
            train_fasttext(pathlib.Path(self.get_temp_dir()) / "missing.txt")
