"""Tests for `build_embedding_matrix`, its OOV policies and coverage report."""

import textwrap

import keras
import numpy as np
from absl.testing import parameterized

from kerasseq import tokenizers
from kerasseq.embeddings import CoverageReport
from kerasseq.embeddings import build_embedding_matrix
from kerasseq.embeddings import keyed_vectors
from kerasseq.embeddings import pretrained_tokens
from kerasseq.layers import PretrainedEmbedding
from kerasseq.tokenizers import WordTokenizer
from tests.embeddings import fixtures
from tests.test_case import TestCase

PRETRAINED = ["the", "cat", "paris", "0000", "##", "Berlin", "dog"]
VOCABULARY = [
    "[PAD]",
    "[UNK]",
    "the",  # exact
    "cat",  # exact
    "Paris",  # lower-cased
    "berlin",  # capitalised
    "1995",  # digits -> 0000
    "42",  # digits -> ##
    "zebra",  # not found
    "[END]",
]
COUNTS = {
    "the": 50,
    "cat": 10,
    "Paris": 5,
    "berlin": 3,
    "1995": 2,
    "42": 2,
    "zebra": 8,
    "[UNK]": 99,
}


class Vocabulary:
    """Stands in for `kerasseq.tokenizers.Vocabulary`."""

    def __init__(self, tokens, counts=None):
        self.tokens = tokens
        self.counts = counts

    def get_vocabulary(self):
        return list(self.tokens)


class BuildEmbeddingMatrixTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(3)
        self.table = rng.normal(2.0, 0.5, size=(len(PRETRAINED), 4)).astype("float32")
        self.vectors = keyed_vectors(PRETRAINED, self.table)

    def row(self, word):
        return self.table[PRETRAINED.index(word)]

    def test_cascade(self):
        result = build_embedding_matrix(self.vectors, VOCABULARY, oov="cascade", seed=1)
        self.assertEqual(
            (
                "pad",
                "special",
                "exact",
                "exact",
                "lower",
                "lower",
                "digits",
                "digits",
                "not_found",
                "special",
            ),
            result.row_sources,
        )
        matrix = result.matrix
        self.assertEqual((10, 4), matrix.shape)
        self.assertEqual(np.float32, matrix.dtype)
        np.testing.assert_array_equal(np.zeros(4), matrix[0])
        for row, word in [(2, "the"), (3, "cat"), (4, "paris"), (5, "Berlin")]:
            np.testing.assert_array_equal(self.row(word), matrix[row])
        np.testing.assert_array_equal(self.row("0000"), matrix[6])
        np.testing.assert_array_equal(self.row("##"), matrix[7])
        self.assertEqual([1, 8, 9], result.trainable_rows.tolist())
        self.assertEqual(
            [False, False, True, True, True, True, True, True, False, False],
            result.pretrained_mask.tolist(),
        )
        self.assertEqual((10, 4), (result.input_dim, result.output_dim))
        self.assertEqual(VOCABULARY, result.vocabulary)

    @parameterized.parameters("random", "zeros", "mean")
    def test_exact_only_policies(self, oov):
        result = build_embedding_matrix(self.vectors, VOCABULARY, oov=oov, seed=1)
        found = [i for i, s in enumerate(result.row_sources) if s == "exact"]
        self.assertEqual([2, 3], found)
        self.assertEqual(
            ["not_found"] * 5, [result.row_sources[i] for i in range(4, 9)]
        )
        filled = result.matrix[[1, 4, 5, 6, 7, 8, 9]]
        if oov == "zeros":
            np.testing.assert_array_equal(np.zeros_like(filled), filled)
        elif oov == "mean":
            mean = self.table.astype("float64").mean(axis=0)
            np.testing.assert_allclose(np.tile(mean, (7, 1)), filled, rtol=1e-6)
        else:
            self.assertEqual(7, len(np.unique(filled, axis=0)))
        np.testing.assert_array_equal(np.zeros(4), result.matrix[0])

    def test_random_follows_the_pretrained_distribution(self):
        rng = np.random.default_rng(0)
        table = rng.normal([1.0, -2.0, 0.0], [0.5, 2.0, 0.1], size=(3000, 3))
        vectors = keyed_vectors([f"w{i}" for i in range(3000)], table.astype("float32"))
        vocabulary = ["[PAD]"] + [f"oov{i}" for i in range(20000)]
        result = build_embedding_matrix(vectors, vocabulary, seed=5)
        random_rows = result.matrix[1:]
        np.testing.assert_allclose(
            table.mean(axis=0), random_rows.mean(axis=0), atol=0.05
        )
        np.testing.assert_allclose(
            table.std(axis=0), random_rows.std(axis=0), rtol=0.05
        )
        again = build_embedding_matrix(vectors, vocabulary, seed=5)
        np.testing.assert_array_equal(result.matrix, again.matrix)
        other = build_embedding_matrix(vectors, vocabulary, seed=6)
        self.assertNotAllClose(result.matrix[1:], other.matrix[1:])

    def test_subword_and_cascade_with_fasttext(self):
        model = fixtures.tiny_fasttext_model()
        vectors = model.wv
        vocabulary = ["[PAD]", "[UNK]", "king", "kingdoms", "King", "q"]
        result = build_embedding_matrix(vectors, vocabulary, oov="subword", seed=0)
        self.assertEqual(
            ("pad", "special", "exact", "subword", "subword", "subword"),
            result.row_sources,
        )
        np.testing.assert_array_equal(vectors["king"], result.matrix[2])
        np.testing.assert_allclose(vectors["kingdoms"], result.matrix[3], rtol=1e-6)
        cascade = build_embedding_matrix(vectors, vocabulary, oov="cascade", seed=0)
        self.assertEqual(
            ("pad", "special", "exact", "subword", "lower", "subword"),
            cascade.row_sources,
        )
        np.testing.assert_array_equal(vectors["king"], cascade.matrix[4])
        self.assertEqual(2, cascade.coverage.types["subword"])

    def test_subword_needs_fasttext(self):
        with self.assertRaisesRegex(ValueError, "oov='subword' needs fastText"):
            build_embedding_matrix(self.vectors, VOCABULARY, oov="subword")

    def test_coverage_counts(self):
        result = build_embedding_matrix(
            self.vectors, VOCABULARY, oov="cascade", token_counts=COUNTS, seed=0
        )
        coverage = result.coverage
        self.assertIsInstance(coverage, CoverageReport)
        self.assertEqual(
            {"exact": 2, "lower": 2, "digits": 2, "subword": 0, "not_found": 1},
            coverage.types,
        )
        self.assertEqual(
            {"exact": 60, "lower": 8, "digits": 4, "subword": 0, "not_found": 8},
            coverage.tokens,
        )
        self.assertEqual((7, 80), (coverage.num_types, coverage.num_tokens))
        self.assertAlmostEqual(6 / 7, coverage.type_coverage)
        self.assertAlmostEqual(72 / 80, coverage.token_coverage)
        self.assertEqual(3, coverage.num_special)
        self.assertEqual(("zebra",), coverage.not_found_examples)
        expected = """\
            Embedding coverage (7 vocabulary types, 80 corpus tokens; 3 special rows; oov='cascade')
                                            types    share        tokens    share
            exact                               2    28.6%            60    75.0%
            after lower-casing                  2    28.6%             8    10.0%
            after digit normalisation           2    28.6%             4     5.0%
            by fastText subwords                0     0.0%             0     0.0%
            not found                           1    14.3%             8    10.0%
            total found                         6    85.7%            72    90.0%
            not found, e.g.: 'zebra'"""  # noqa: E501
        self.assertEqual(textwrap.dedent(expected), str(coverage))

    def test_counts_from_the_vocabulary_object(self):
        exact = build_embedding_matrix(self.vectors, Vocabulary(VOCABULARY, COUNTS))
        self.assertEqual(
            {"exact": 60, "lower": 0, "digits": 0, "subword": 0, "not_found": 20},
            exact.coverage.tokens,
        )
        self.assertAlmostEqual(2 / 7, exact.coverage.type_coverage)
        # most frequent missing types first
        self.assertEqual(
            ("zebra", "Paris", "berlin", "1995", "42"),
            exact.coverage.not_found_examples,
        )
        without = build_embedding_matrix(self.vectors, Vocabulary(VOCABULARY))
        self.assertIsNone(without.coverage.tokens)
        self.assertIsNone(without.coverage.token_coverage)
        self.assertNotIn("tokens", str(without.coverage))

    def test_keras_text_vectorization_vocabulary(self):
        layer = keras.layers.TextVectorization()
        layer.adapt(["the cat", "the dog sat"])
        self.assertEqual("", layer.get_vocabulary()[0])
        result = build_embedding_matrix(self.vectors, layer, seed=0)
        self.assertEqual(("pad", "special"), result.row_sources[:2])
        np.testing.assert_array_equal(np.zeros(4), result.matrix[0])
        the = layer.get_vocabulary().index("the")
        np.testing.assert_array_equal(self.row("the"), result.matrix[the])

    def test_memory_mapped_vectors(self):
        folder = self.get_temp_dir()
        path = f"{folder}/vectors.txt"
        self.vectors.save_word2vec_format(path, write_header=False)
        from kerasseq.embeddings import load_vectors

        load_vectors(path, cache_dir=folder)
        mapped = load_vectors(path, cache_dir=folder)
        self.assertFalse(mapped.vectors.flags.writeable)
        result = build_embedding_matrix(mapped, VOCABULARY, oov="cascade", seed=0)
        expected = build_embedding_matrix(
            self.vectors, VOCABULARY, oov="cascade", seed=0
        )
        np.testing.assert_allclose(expected.matrix, result.matrix, rtol=1e-6)
        result.matrix[2] = 0.0  # a copy, writable

    def test_layer(self):
        result = build_embedding_matrix(self.vectors, VOCABULARY, oov="cascade", seed=0)
        layer = result.layer(mask_zero=True, name="words")
        self.assertIsInstance(layer, PretrainedEmbedding)
        self.assertEqual((1, 8, 9), layer.trainable_rows)
        self.assertEqual("partial", layer.trainability)
        ids = np.array([[2, 8, 4, 0]])
        np.testing.assert_allclose(result.matrix[ids], layer(ids).numpy(), rtol=1e-6)

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(
            ValueError,
            "`oov` must be one of 'random', 'zeros', 'mean', 'subword', 'cascade', "
            "received: oov='unknown'",
        ):
            build_embedding_matrix(self.vectors, VOCABULARY, oov="unknown")
        with self.assertRaisesRegex(ValueError, "gensim KeyedVectors"):
            build_embedding_matrix({"the": [1, 2]}, VOCABULARY)
        with self.assertRaisesRegex(ValueError, "list of strings"):
            build_embedding_matrix(self.vectors, "the cat")
        with self.assertRaisesRegex(ValueError, "list of strings"):
            build_embedding_matrix(self.vectors, [1, 2])


class PretrainedTokensTest(TestCase):
    def setUp(self):
        super().setUp()
        # fixtures.WORDS in file order: "the", ",", "of", "Paris", "paris", ...
        self.vectors = fixtures.random_keyed_vectors()

    def test_file_order_without_the_vocabulary(self):
        self.assertEqual(
            pretrained_tokens(self.vectors, 4, ["[PAD]", "[UNK]", "of", ","]),
            ["the", "Paris", "paris", "naïve"],
        )
        self.assertEqual(pretrained_tokens(self.vectors, 0), [])
        self.assertEqual(pretrained_tokens(self.vectors, 100), fixtures.WORDS)
        vocabulary = tokenizers.Vocabulary(["[PAD]", "[UNK]", "the"])
        self.assertEqual(pretrained_tokens(self.vectors, 1, vocabulary), [","])

    def test_only_words_the_tokenizer_gives_back_whole(self):
        # Lower-casing drops "Paris"; punctuation splitting drops "don't" and
        # "emoji🙂"; single punctuation marks and other scripts stay.
        expected = [",", "of", "paris", "naïve", "café", "1990", "0000", "king"]
        expected += ["queen", "x", '"', "日本"]
        tokenizer = WordTokenizer()
        self.assertEqual(
            pretrained_tokens(self.vectors, 100, ["the"], tokenizer), expected
        )
        # Batches of 3 words, with the count reached inside a batch.
        self.assertEqual(
            pretrained_tokens(self.vectors, 100, ["the"], tokenizer, batch_size=3),
            expected,
        )
        self.assertEqual(
            pretrained_tokens(self.vectors, 5, ["the"], tokenizer, batch_size=3),
            expected[:5],
        )
        keeps_case = WordTokenizer(lowercase=False)
        self.assertIn("Paris", pretrained_tokens(self.vectors, 100, (), keeps_case))

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(
            ValueError, "`count` must be a non-negative integer, received: count=-1"
        ):
            pretrained_tokens(self.vectors, -1)
        with self.assertRaisesRegex(ValueError, "count=2.5"):
            pretrained_tokens(self.vectors, 2.5)
        with self.assertRaisesRegex(ValueError, "batch_size=0"):
            pretrained_tokens(self.vectors, 2, batch_size=0)
        with self.assertRaisesRegex(ValueError, "gensim KeyedVectors.*dict"):
            pretrained_tokens({"the": [1, 2]}, 2)
        with self.assertRaisesRegex(ValueError, "list of strings"):
            pretrained_tokens(self.vectors, 2, "the cat")
