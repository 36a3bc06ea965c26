"""Tests for `WordPieceTokenizer`: literal pieces, learning, lazy tf-text."""

import json
import os
import textwrap

import keras
import pytest
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.tokenizers import Vocabulary
from kerasseq.tokenizers import WordPieceTokenizer
from kerasseq.tokenizers import WordTokenizer
from tests import test_case
from tests.test_case import TestCase
from tests.test_case import data_dir
from tests.tokenizers.helpers import to_python

VOCABULARY = [
    "[PAD]",
    "[UNK]",
    "the",
    "un",
    "##aff",
    "##able",
    "great",
    "##ly",
    ".",
    ",",
    "안녕",
    "##하세요",
    "👍🏽",
    "café",
]


def served_json(code):
    """Runs `code` in a fresh process and parses the JSON it prints last."""
    result = test_case.run_python(textwrap.dedent(code))
    if result.returncode:
        raise AssertionError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


class WordPieceTokenizerTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.tokenizer = WordPieceTokenizer(VOCABULARY)

    def pieces(self, ids):
        return to_python(self.tokenizer.vocabulary.id_to_token(ids))

    def test_literal_pieces(self):
        ids = self.tokenizer(
            ["The unaffable.", "greatly, unknown", "", "안녕하세요 👍🏽"]
        )
        self.assertEqual(tf.int32, ids.dtype)
        self.assertEqual(
            [[2, 3, 4, 5, 8], [6, 7, 9, 1], [], [10, 11, 12]], ids.to_list()
        )
        self.assertEqual(
            [["the", "un", "##aff", "##able", "."], ["great", "##ly", ",", "[UNK]"]],
            self.pieces(ids[:2]),
        )
        # precomposed é is in the vocabulary; e + U+0301 is another word
        self.assertEqual([13, 1], self.tokenizer("Café cafe\u0301").numpy().tolist())

    def test_shapes(self):
        scalar = self.tokenizer("the great")
        self.assertIsInstance(scalar, tf.Tensor)
        self.assertEqual([2, 6], scalar.numpy().tolist())
        matrix = self.tokenizer([["the un", "."], ["", "greatly"]])
        self.assertEqual([2, 2, None], matrix.shape.as_list())
        self.assertEqual([[[2, 3], [8]], [[], [6, 7]]], matrix.to_list())
        ragged = self.tokenizer(tf.ragged.constant([["the"], []]))
        self.assertEqual([[[2]], []], ragged.to_list())
        empty = self.tokenizer(tf.constant([], tf.string))
        self.assertEqual([0, None], empty.shape.as_list())

    def test_options(self):
        tokenizer = WordPieceTokenizer(VOCABULARY, max_length=3)
        self.assertEqual([[2, 3, 4]], tokenizer(["the unaffable."]).to_list())
        tokenizer = WordPieceTokenizer(VOCABULARY, lowercase=False)
        self.assertEqual([[1, 2]], tokenizer(["The the"]).to_list())
        tokenizer = WordPieceTokenizer(VOCABULARY, max_bytes_per_word=5)
        self.assertEqual([[2, 1]], tokenizer(["the unaffable"]).to_list())
        tokenizer = WordPieceTokenizer(VOCABULARY, split_punctuation=False)
        self.assertEqual([[1], [2]], tokenizer(["the.", "the"]).to_list())
        tokenizer = WordPieceTokenizer(
            ["[PAD]", "[UNK]", "un", "@@aff", "@@able"], suffix_indicator="@@"
        )
        self.assertEqual([[2, 3, 4]], tokenizer(["unaffable"]).to_list())
        self.assertEqual(["unaffable"], to_python(tokenizer.detokenize([[2, 3, 4]])))

    def test_detokenize(self):
        ids = self.tokenizer(["The unaffable, greatly.", "unknown the"])
        self.assertEqual(
            ["the unaffable , greatly .", "[UNK] the"],
            to_python(self.tokenizer.detokenize(ids)),
        )
        padded = ids.to_tensor()
        self.assertEqual(
            ["the unaffable , greatly .", "[UNK] the"],
            to_python(self.tokenizer.detokenize(padded)),
        )
        self.assertEqual(
            "안녕하세요", to_python(self.tokenizer.detokenize([10, 11, 0]))
        )

    def test_in_tf_data_and_tf_function(self):
        texts = ["The unaffable.", "", "greatly"]
        expected = self.tokenizer(texts).to_list()
        dataset = tf.data.Dataset.from_tensor_slices(texts).batch(2).map(self.tokenizer)
        self.assertEqual(expected, sum((batch.to_list() for batch in dataset), []))
        function = tf.function(
            self.tokenizer.tokenize, input_signature=[tf.TensorSpec([None], tf.string)]
        )
        self.assertEqual(expected, function(texts).to_list())

    def test_config_round_trip(self):
        tokenizer = WordPieceTokenizer(
            VOCABULARY, lowercase=False, max_length=9, max_bytes_per_word=50
        )
        revived = self.run_serialization_test(tokenizer)
        self.assertEqual(50, revived.max_bytes_per_word)
        self.assertEqual(
            tokenizer(["the Great"]).to_list(), revived(["the Great"]).to_list()
        )

    def test_vocabulary_file(self):
        path = os.path.join(self.get_temp_dir(), "wordpiece.txt")
        Vocabulary(VOCABULARY).save(path)
        tokenizer = WordPieceTokenizer(path)
        self.assertEqual([[2, 3, 4, 5]], tokenizer(["the unaffable"]).to_list())

    def test_learns_a_vocabulary_from_real_text(self):
        path = data_dir() / "rt-polarity" / "rt-polarity.pos"
        with open(path, encoding="latin-1") as file:
            lines = [line.strip() for _, line in zip(range(2000), file)]
        tokenizer = WordPieceTokenizer()
        vocabulary = tokenizer.adapt(
            lines, max_tokens=600, start_end=True, num_iterations=2
        )
        tokens = vocabulary.get_vocabulary()
        self.assertEqual(["[PAD]", "[UNK]", "[START]", "[END]"], tokens[:4])
        self.assertLess(len(tokens), 650)
        self.assertGreater(len(tokens), 400)
        for token in ["the", "a", ".", ",", "##s", "##e", "film", "e", "é", "##é"]:
            self.assertIn(token, tokens)
        self.assertIsNone(vocabulary.counts)
        # every character was learned, so no [UNK] and the round trip gives the
        # text as WordTokenizer normalizes it
        ids = tokenizer(lines)
        self.assertNotIn(1, ids.flat_values.numpy().tolist())
        words = WordTokenizer()
        self.assertEqual(
            to_python(words.detokenize(words(lines))),
            to_python(tokenizer.detokenize(ids)),
        )
        # rare words are split into pieces
        self.assertGreater(ids.flat_values.shape[0], words(lines).flat_values.shape[0])

    def test_adapt_min_count(self):
        # words seen fewer than min_count times ("b") are not learned
        for min_count, tokens, ids in [
            (1, ["[PAD]", "[UNK]", "a", "b", "aa", "##a", "##b"], [[4, 3]]),
            (2, ["[PAD]", "[UNK]", "a", "aa", "##a"], [[3, 1]]),
        ]:
            tokenizer = WordPieceTokenizer()
            tokenizer.adapt(
                ["aa aa aa b"], max_tokens=20, min_count=min_count, lower_thresh=1
            )
            self.assertEqual(tokens, tokenizer.vocabulary.tokens)
            self.assertEqual(ids, tokenizer(["aa b"]).to_list())

    @parameterized.named_parameters(
        ("suffix", dict(suffix_indicator=""), "`suffix_indicator` must be a non-empty"),
        ("bytes", dict(max_bytes_per_word=0), "max_bytes_per_word=0"),
        ("lowercase", dict(lowercase=None), "`lowercase` must be a boolean"),
        ("max_length", dict(max_length=0), "max_length=0"),
    )
    def test_bad_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            WordPieceTokenizer(VOCABULARY, **kwargs)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "needs a vocabulary to tokenize"):
            WordPieceTokenizer()(["a"])
        with self.assertRaisesRegex(ValueError, "max_tokens=2"):
            WordPieceTokenizer().adapt(["a"], max_tokens=2)
        with self.assertRaisesRegex(ValueError, "min_count=0"):
            WordPieceTokenizer().adapt(["a"], min_count=0)


class TensorflowTextImportTest(TestCase):
    def test_importing_kerasseq_tokenizers_does_not_import_tensorflow_text(self):
        modules = served_json(
            """
            import json, sys
            import kerasseq.tokenizers as tokenizers
            tokenizer = tokenizers.WordPieceTokenizer()  # no vocabulary yet
            tokenizers.WordTokenizer()(["a b"])
            tokenizers.CharTokenizer()(["a b"])
            before = "tensorflow_text" in sys.modules
            tokenizer.set_vocabulary(["[PAD]", "[UNK]", "a"])
            print(json.dumps([before, "tensorflow_text" in sys.modules]))
            """
        )
        self.assertEqual([False, True], modules)

    @pytest.mark.slow
    def test_saved_model_loads_after_importing_tensorflow_text(self):
        tokenizer = WordPieceTokenizer(VOCABULARY)
        archive = keras.export.ExportArchive()
        archive.track(tokenizer)
        archive.add_endpoint(
            "serve",
            lambda texts: tokenizer(texts).to_tensor(),
            input_signature=[tf.TensorSpec([None], tf.string)],
        )
        path = os.path.join(self.get_temp_dir(), "wordpiece")
        archive.write_out(path, verbose=False)
        served = served_json(
            f"""
            import json
            import tensorflow as tf
            import tensorflow_text  # registers the WordPiece ops before loading
            served = tf.saved_model.load({path!r}).serve(
                tf.constant(["The unaffable.", "greatly"])
            )
            print(json.dumps(served.numpy().tolist()))
            """
        )
        self.assertEqual([[2, 3, 4, 5, 8], [6, 7, 0, 0, 0]], served)
