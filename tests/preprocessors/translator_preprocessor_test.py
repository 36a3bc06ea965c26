import keras
import tensorflow as tf

from kerasseq.preprocessors.translator_preprocessor import TranslatorPreprocessor
from kerasseq.tokenizers import CharTokenizer
from kerasseq.tokenizers import WordTokenizer
from tests.test_case import TestCase

SOURCE = ["[PAD]", "[UNK]", "hola", "mundo", "."]
TARGET = ["[PAD]", "[UNK]", "[START]", "[END]", "hello", "world", "."]


def word_preprocessor(**kwargs):
    return TranslatorPreprocessor(
        WordTokenizer(vocabulary=SOURCE), WordTokenizer(vocabulary=TARGET), **kwargs
    )


class TranslatorPreprocessorTest(TestCase):
    def test_sources_only(self):
        x = word_preprocessor()(["hola mundo .", "hola", ""])
        self.assertEqual(sorted(x), ["source_ids", "source_padding_mask"])
        self.assertEqual(x["source_ids"].dtype, tf.int32)
        self.assertAllEqual(x["source_ids"], [[2, 3, 4], [2, 0, 0], [0, 0, 0]])
        self.assertAllEqual(
            x["source_padding_mask"],
            [[True, True, True], [True, False, False], [False, False, False]],
        )

    def test_all_empty_sources_have_one_padded_step(self):
        x = word_preprocessor()(["", ""])
        self.assertAllEqual(x["source_ids"], [[0], [0]])
        self.assertAllEqual(x["source_padding_mask"], [[False], [False]])

    def test_targets_wrapped_in_start_and_end(self):
        x, labels, weights = word_preprocessor()(
            ["hola", "hola mundo"], ["hello world .", "bye"]
        )
        # [START] w1 ... wn read, w1 ... wn [END] learned; unknown -> [UNK].
        self.assertAllEqual(x["target_ids"], [[2, 4, 5, 6], [2, 1, 0, 0]])
        self.assertAllEqual(labels, [[4, 5, 6, 3], [1, 3, 0, 0]])
        self.assertAllEqual(weights, [[1, 1, 1, 1], [1, 1, 0, 0]])
        self.assertEqual(weights.dtype, tf.float32)
        self.assertAllEqual(x["source_ids"], [[2, 0], [2, 3]])

    def test_empty_target_is_just_end(self):
        x, labels, weights = word_preprocessor()(["hola"], [""])
        self.assertAllEqual(x["target_ids"], [[2]])
        self.assertAllEqual(labels, [[3]])
        self.assertAllEqual(weights, [[1.0]])

    def test_truncation(self):
        x, labels, _ = word_preprocessor(source_length=2, target_length=1)(
            ["hola mundo . hola"], ["hello world ."]
        )
        self.assertAllEqual(x["source_ids"], [[2, 3]])
        self.assertAllEqual(x["target_ids"], [[2, 4]])
        self.assertAllEqual(labels, [[4, 3]])

    def test_sample_weight_scales_rows(self):
        _, _, weights = word_preprocessor()(
            ["hola", "hola"], ["hello", "hello world"], tf.constant([2.0, 0.5])
        )
        self.assertAllClose(weights, [[2.0, 2.0, 0.0], [0.5, 0.5, 0.5]])

    def test_in_tf_data_and_tf_function(self):
        preprocessor = word_preprocessor()
        dataset = tf.data.Dataset.from_tensor_slices(
            (["hola", "mundo ."], ["hello", "world ."])
        ).batch(2)
        x, labels, _ = next(iter(dataset.map(preprocessor)))
        self.assertAllEqual(labels, [[4, 3, 0], [5, 6, 3]])

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def serve(texts):
            return preprocessor(texts)["source_ids"]

        self.assertAllEqual(serve(tf.constant(["mundo hola"])), [[3, 2]])

    def test_detokenize_words_and_characters(self):
        preprocessor = word_preprocessor()
        # [START], [END] and padding are dropped; words joined with spaces.
        self.assertAllEqual(
            preprocessor.detokenize([[4, 5, 6, 3, 0], [2, 5, 3, 0, 0]]),
            [b"hello world .", b"world"],
        )
        self.assertAllEqual(
            preprocessor.detokenize([[[4, 3], [5, 3]]]), [[b"hello", b"world"]]
        )
        target = CharTokenizer()
        target.adapt(["2009-06-25"], start_end=True)
        characters = TranslatorPreprocessor(WordTokenizer(vocabulary=SOURCE), target)
        _, labels, _ = characters(["hola"], ["2009-06-25"])
        self.assertAllEqual(characters.detokenize(labels), [b"2009-06-25"])

    def test_config_round_trip(self):
        preprocessor = word_preprocessor(source_length=3)
        restored = TranslatorPreprocessor.from_config(preprocessor.get_config())
        self.assertEqual(restored.source_length, 3)
        self.assertIsNone(restored.target_length)
        self.assertEqual(restored.target_tokenizer.vocabulary.tokens, TARGET)
        self.assertAllEqual(
            restored(["hola mundo"])["source_ids"],
            preprocessor(["hola mundo"])["source_ids"],
        )
        serialized = keras.saving.serialize_keras_object(preprocessor)
        again = keras.saving.deserialize_keras_object(serialized)
        self.assertIsInstance(again, TranslatorPreprocessor)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"\[START\] and\s+\[END\]"):
            TranslatorPreprocessor(
                WordTokenizer(vocabulary=SOURCE), WordTokenizer(vocabulary=SOURCE)
            )
        with self.assertRaisesRegex(ValueError, "`source_tokenizer` must have a"):
            TranslatorPreprocessor(WordTokenizer(), WordTokenizer(vocabulary=TARGET))
        with self.assertRaisesRegex(ValueError, "`target_tokenizer` must be a"):
            TranslatorPreprocessor(WordTokenizer(vocabulary=SOURCE), "word")
        with self.assertRaisesRegex(ValueError, "source_length=0"):
            word_preprocessor(source_length=0)
        with self.assertRaisesRegex(ValueError, r"shape \(batch_size,\)"):
            word_preprocessor()("hola")
        with self.assertRaisesRegex(ValueError, "must hold strings"):
            word_preprocessor()(["hola", 3])
