"""Tests for `TextClassifierPreprocessor`."""

import numpy as np
import tensorflow as tf

from kerasseq.preprocessors.text_classifier_preprocessor import (
    TextClassifierPreprocessor,
)
from kerasseq.tokenizers import WordTokenizer
from tests.test_case import TestCase

VOCABULARY = ["[PAD]", "[UNK]", "the", "quick", "brown", "fox", "."]
TEXTS = ["The quick brown fox.", "the fox", "A red fox!"]
# "a", "red" and "!" are not in the vocabulary: [UNK] = 1.
IDS = [[2, 3, 4, 5, 6], [2, 5], [1, 1, 5, 1]]


def expected(ids, length):
    token_ids = [row[:length] + [0] * (length - len(row[:length])) for row in ids]
    padding_mask = [
        [True] * min(len(row), length) + [False] * (length - min(len(row), length))
        for row in ids
    ]
    return token_ids, padding_mask


class TextClassifierPreprocessorTest(TestCase):
    def make(self, sequence_length=None, **kwargs):
        return TextClassifierPreprocessor(
            WordTokenizer(vocabulary=VOCABULARY, **kwargs),
            sequence_length=sequence_length,
        )

    def assert_x(self, x, token_ids, padding_mask):
        self.assertEqual(set(x), {"token_ids", "padding_mask"})
        self.assertEqual(x["token_ids"].dtype, tf.int32)
        self.assertEqual(x["padding_mask"].dtype, tf.bool)
        self.assertEqual(x["token_ids"].numpy().tolist(), token_ids)
        self.assertEqual(x["padding_mask"].numpy().tolist(), padding_mask)

    def test_pads_to_longest_without_sequence_length(self):
        x = self.make()(TEXTS)
        self.assert_x(
            x,
            [[2, 3, 4, 5, 6], [2, 5, 0, 0, 0], [1, 1, 5, 1, 0]],
            [
                [True] * 5,
                [True, True, False, False, False],
                [True, True, True, True, False],
            ],
        )

    def test_pads_to_sequence_length(self):
        x = self.make(sequence_length=7)(TEXTS)
        self.assert_x(x, *expected(IDS, 7))
        self.assertEqual(x["token_ids"].shape, (3, 7))

    def test_truncation_keeps_first_tokens(self):
        x = self.make(sequence_length=3)(TEXTS)
        self.assert_x(
            x,
            [[2, 3, 4], [2, 5, 0], [1, 1, 5]],
            [[True, True, True], [True, True, False], [True, True, True]],
        )

    def test_padding_mask_from_lengths_not_ids(self):
        # A literal "[PAD]" token (id 0) inside a text is still a real token.
        preprocessor = self.make(lowercase=False, split_punctuation=False)
        x = preprocessor(["[PAD] fox", "fox"])
        self.assert_x(x, [[0, 5], [5, 0]], [[True, True], [True, False]])

    def test_empty_texts(self):
        x = self.make()(["", ""])
        self.assert_x(x, [[0], [0]], [[False], [False]])
        x = self.make(sequence_length=2)(["", "fox"])
        self.assert_x(x, [[0, 0], [5, 0]], [[False, False], [True, False]])

    def test_single_string_is_unbatched(self):
        x = self.make(sequence_length=4)("the fox")
        self.assert_x(x, [2, 5, 0, 0], [True, True, False, False])

    def test_passes_labels_and_sample_weights_through(self):
        preprocessor = self.make(sequence_length=3)
        x = preprocessor(TEXTS)
        self.assertIsInstance(x, dict)
        x, y = preprocessor(TEXTS, y=np.array([0, 1, 2]))
        self.assertAllEqual(y, [0, 1, 2])
        x, y, sample_weight = preprocessor(
            TEXTS, np.array([0, 1, 2]), np.array([1.0, 0.5, 2.0])
        )
        self.assert_x(x, *expected(IDS, 3))
        self.assertAllClose(sample_weight, [1.0, 0.5, 2.0])

    def test_tf_data_batched_map(self):
        preprocessor = self.make()
        labels = [1, 0, 1]
        dataset = tf.data.Dataset.from_tensor_slices((TEXTS, labels)).batch(2)
        batches = list(dataset.map(preprocessor))
        self.assertLen(batches, 2)
        (x0, y0), (x1, y1) = batches
        self.assert_x(
            x0,
            [[2, 3, 4, 5, 6], [2, 5, 0, 0, 0]],
            [[True] * 5, [True, True, False, False, False]],
        )
        self.assert_x(x1, [[1, 1, 5, 1]], [[True] * 4])
        self.assertAllEqual(y0, [1, 0])
        self.assertAllEqual(y1, [1])

    def test_tf_data_unbatched_map_then_batch(self):
        preprocessor = self.make(sequence_length=4)
        dataset = tf.data.Dataset.from_tensor_slices(TEXTS).map(preprocessor)
        self.assertEqual(dataset.element_spec["token_ids"].shape, (4,))
        x = next(iter(dataset.batch(3)))
        self.assert_x(x, *expected(IDS, 4))

    def test_tf_function_with_string_signature(self):
        preprocessor = self.make(sequence_length=6)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def serve(texts):
            return preprocessor(texts)

        self.assertEqual(
            serve.get_concrete_function()
            .structured_outputs["token_ids"]
            .shape.as_list(),
            [None, 6],
        )
        self.assert_x(serve(tf.constant(TEXTS)), *expected(IDS, 6))

    def test_numpy_object_array(self):
        x = self.make()(np.array(TEXTS, dtype=object))
        self.assert_x(x, *expected(IDS, 5))

    def test_serialization(self):
        preprocessor = self.make(sequence_length=5)
        revived = self.run_serialization_test(preprocessor)
        self.assertEqual(revived.sequence_length, 5)
        self.assertEqual(revived.vocabulary_size, len(VOCABULARY))
        self.assert_x(revived(TEXTS), *expected(IDS, 5))

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(ValueError, "sequence_length=0"):
            self.make(sequence_length=0)
        with self.assertRaisesRegex(ValueError, "`tokenizer` must have a vocabulary"):
            TextClassifierPreprocessor(WordTokenizer())
        with self.assertRaisesRegex(ValueError, "`tokenizer` must be a kerasseq"):
            TextClassifierPreprocessor("word")

    def test_invalid_inputs(self):
        preprocessor = self.make()
        with self.assertRaisesRegex(ValueError, "`x` must hold strings"):
            preprocessor(["fox", None])
        with self.assertRaisesRegex(ValueError, "dtype=int32"):
            preprocessor(tf.constant([1, 2]))
        with self.assertRaisesRegex(ValueError, r"shape \(2, 1\)"):
            preprocessor(tf.constant([["fox"], ["the"]]))
