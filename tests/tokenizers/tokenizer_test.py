"""Tests for the `Tokenizer` base class and its in-graph string helpers."""

import tensorflow as tf

from kerasseq.tokenizers import CharTokenizer
from kerasseq.tokenizers import Tokenizer
from kerasseq.tokenizers import WordPieceTokenizer
from kerasseq.tokenizers import WordTokenizer
from kerasseq.tokenizers.tokenizer import by_ascii
from kerasseq.tokenizers.tokenizer import lower
from kerasseq.tokenizers.tokenizer import map_strings
from kerasseq.tokenizers.tokenizer import split_on
from kerasseq.tokenizers.tokenizer import to_string_tensor
from kerasseq.tokenizers.tokenizer import truncate
from tests.test_case import TestCase
from tests.tokenizers.helpers import to_python


class TokenizerBaseTest(TestCase):
    def test_every_tokenizer_is_a_keras_layer_whose_call_is_tokenize(self):
        for tokenizer in [WordTokenizer(), CharTokenizer()]:
            self.assertIsInstance(tokenizer, Tokenizer)
            self.assertEqual(
                to_python(tokenizer.tokenize(["ab c"])), to_python(tokenizer(["ab c"]))
            )
        self.assertIsInstance(WordPieceTokenizer(["[PAD]", "[UNK]"]), Tokenizer)

    def test_subclasses_must_split_and_join(self):
        tokenizer = Tokenizer()
        with self.assertRaises(NotImplementedError):
            tokenizer(["a"])
        with self.assertRaises(NotImplementedError):
            tokenizer.detokenize([["a"]])


class StringHelpersTest(TestCase):
    def test_split_on_drops_empty_pieces(self):
        pieces = split_on(tf.constant([" a  b ", "", "   ", "c"]), " ")
        self.assertEqual([["a", "b"], [], [], ["c"]], to_python(pieces))
        self.assertEqual(tf.int64, pieces.row_splits.dtype)
        self.assertEqual(["x", "y"], to_python(split_on(tf.constant("x|y|"), "|")))

    def test_split_on_matches_tf_strings_split(self):
        texts = tf.constant([["a b  c", " "], ["", "d"]])
        expected = tf.strings.split(texts)
        actual = split_on(texts, " ")
        self.assertEqual(expected.shape.as_list(), actual.shape.as_list())
        self.assertEqual(to_python(expected), to_python(actual))
        ragged = tf.ragged.constant([["a b"], [], ["c d", "e"]])
        self.assertEqual(
            to_python(tf.strings.split(ragged)), to_python(split_on(ragged, " "))
        )

    def test_split_on_unknown_batch_size(self):
        function = tf.function(
            lambda texts: split_on(texts, " "),
            input_signature=[tf.TensorSpec([None, None], tf.string)],
        )
        self.assertEqual([[["a"], ["b", "c"]]], to_python(function([["a", "b c"]])))

    def test_truncate(self):
        ragged = tf.ragged.constant([[["a", "b", "c"]], [["d"], []]])
        self.assertEqual([[["a", "b"]], [["d"], []]], to_python(truncate(ragged, 2)))
        self.assertEqual(["a"], to_python(truncate(tf.constant(["a", "b"]), 1)))

    def test_by_ascii_maps_each_part_and_keeps_the_order(self):
        texts = tf.constant([["a", "é"], ["", "b😀"]])
        marked = by_ascii(
            texts,
            lambda plain: tf.strings.join(["A:", plain]),
            lambda other: tf.strings.join(["U:", other]),
        )
        self.assertEqual([["A:a", "U:é"], ["A:", "U:b😀"]], to_python(marked))

    def test_lower(self):
        texts = tf.constant([["ABC", "ÉCOLE ΣΑΣ"], ["İ", ""]])
        self.assertEqual(
            [["abc", "école σας"], ["i\u0307", ""]], to_python(lower(texts))
        )
        self.assertEqual("a", to_python(lower(tf.constant("A"))))
        self.assertEqual([], to_python(lower(tf.constant([], tf.string))))

    def test_map_strings_and_conversion(self):
        ragged = to_string_tensor([["A"], []])
        self.assertIsInstance(ragged, tf.RaggedTensor)
        self.assertEqual([["a"], []], to_python(map_strings(tf.strings.lower, ragged)))
        with self.assertRaisesRegex(ValueError, "`text` must be strings"):
            to_string_tensor(tf.constant([1.0]))
