"""Tests for `Vocabulary`, `count_tokens` and `reserved_tokens`."""

import collections
import os

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.tokenizers import Vocabulary
from kerasseq.tokenizers import WordTokenizer
from kerasseq.tokenizers import count_tokens
from kerasseq.tokenizers import reserved_tokens
from tests.test_case import TestCase
from tests.test_case import data_dir
from tests.tokenizers.helpers import to_python

TOKENS = ["[PAD]", "[UNK]", "the", "cat", "sat"]


def whitespace_split(texts):
    return tf.strings.split(texts)


def rt_polarity_lines(limit=2000):
    path = data_dir() / "rt-polarity" / "rt-polarity.pos"
    with open(path, encoding="latin-1") as file:
        return [line.strip() for _, line in zip(range(limit), file)]


class ReservedTokensTest(TestCase):
    def test_reserved_tokens(self):
        self.assertEqual(["[PAD]", "[UNK]"], reserved_tokens())
        self.assertEqual(
            ["[PAD]", "[UNK]", "[START]", "[END]"], reserved_tokens(start_end=True)
        )


class VocabularyTest(TestCase, parameterized.TestCase):
    def test_ids_and_properties(self):
        vocabulary = Vocabulary(TOKENS, counts={"the": 5, "cat": 2})
        self.assertEqual(TOKENS, vocabulary.get_vocabulary())
        self.assertEqual(TOKENS, vocabulary.tokens)
        self.assertEqual(5, vocabulary.vocabulary_size)
        self.assertEqual((0, 1), (vocabulary.pad_id, vocabulary.unk_id))
        self.assertIsNone(vocabulary.start_id)
        self.assertIsNone(vocabulary.end_id)
        self.assertEqual({"the": 5, "cat": 2}, vocabulary.counts)
        self.assertIsNone(Vocabulary(TOKENS).counts)

    def test_start_end_ids(self):
        vocabulary = Vocabulary(["[PAD]", "[UNK]", "[START]", "[END]", "a"])
        self.assertEqual((2, 3), (vocabulary.start_id, vocabulary.end_id))
        self.assertAllEqual(
            [2, 3, 4], vocabulary.token_to_id(["[START]", "[END]", "a"])
        )

    def test_counts_as_aligned_list(self):
        vocabulary = Vocabulary(TOKENS, counts=[None, None, 3, 2, np.int64(1)])
        self.assertEqual({"the": 3, "cat": 2, "sat": 1}, vocabulary.counts)

    def test_token_to_id_any_shape(self):
        vocabulary = Vocabulary(TOKENS)
        self.assertAllEqual(2, vocabulary.token_to_id("the"))
        self.assertAllEqual([2, 1, 4], vocabulary.token_to_id(["the", "dog", "sat"]))
        self.assertAllEqual(
            [[2, 3], [1, 0]], vocabulary.token_to_id([["the", "cat"], ["a", "[PAD]"]])
        )
        ragged = vocabulary.token_to_id(tf.ragged.constant([["the", "cat", "sat"], []]))
        self.assertIsInstance(ragged, tf.RaggedTensor)
        self.assertEqual([[2, 3, 4], []], ragged.to_list())
        self.assertEqual(tf.int32, ragged.dtype)
        self.assertAllEqual([2, 1], vocabulary(["the", "dog"]))
        # bytes keys are the UTF-8 of the tokens
        korean = Vocabulary(["[PAD]", "[UNK]", "한국어", "café"])
        self.assertAllEqual([2, 3], korean.token_to_id(["한국어", "café".encode()]))
        self.assertAllEqual([1], korean.token_to_id(["cafe\u0301"]))

    def test_id_to_token(self):
        vocabulary = Vocabulary(TOKENS)
        self.assertEqual(
            ["[PAD]", "the", "sat", "[UNK]", "[UNK]"],
            to_python(vocabulary.id_to_token([0, 2, 4, 5, -1])),
        )
        self.assertEqual(
            [["cat"], []],
            to_python(vocabulary.id_to_token(tf.ragged.constant([[3], []], tf.int64))),
        )

    def test_lookups_in_tf_function_and_dataset(self):
        vocabulary = Vocabulary(TOKENS)
        function = tf.function(vocabulary.token_to_id)
        self.assertAllEqual([3, 1], function(tf.constant(["cat", "x"])))
        dataset = tf.data.Dataset.from_tensor_slices([["the", "cat"], ["x", "sat"]])
        ids = [ids.numpy().tolist() for ids in dataset.map(vocabulary)]
        self.assertEqual([[2, 3], [1, 4]], ids)

    def test_set_vocabulary_in_place(self):
        vocabulary = Vocabulary(TOKENS)
        vocabulary.set_vocabulary(["[PAD]", "[UNK]", "dog"], counts={"dog": 4})
        self.assertEqual(["[PAD]", "[UNK]", "dog"], vocabulary.get_vocabulary())
        self.assertAllEqual([2, 1], vocabulary.token_to_id(["dog", "the"]))
        self.assertEqual({"dog": 4}, vocabulary.counts)

    @parameterized.named_parameters(
        ("not_a_list", "[PAD] [UNK]", "`tokens` must be a list of strings"),
        ("no_pad", ["[UNK]", "[PAD]", "a"], "must start with the reserved tokens"),
        ("too_short", ["[PAD]"], "must start with the reserved tokens"),
        ("duplicate", ["[PAD]", "[UNK]", "a", "b", "a"], "received 'a' twice"),
        ("empty_token", ["[PAD]", "[UNK]", ""], "must not hold the empty string"),
        ("not_strings", ["[PAD]", "[UNK]", 3], "must hold strings only"),
        ("start_alone", ["[PAD]", "[UNK]", "[START]", "a"], "must come together"),
        ("end_late", ["[PAD]", "[UNK]", "a", "[START]", "[END]"], "must come together"),
    )
    def test_bad_tokens(self, tokens, message):
        with self.assertRaisesRegex(ValueError, message):
            Vocabulary(tokens)

    @parameterized.named_parameters(
        ("unknown_token", {"dog": 1}, "must only count tokens of the vocabulary"),
        ("negative", {"the": -1}, r"counts\['the'\]=-1"),
        ("float", {"the": 1.5}, "non-negative integers"),
        ("misaligned", [1, 2], "2 counts for 5 tokens"),
        ("not_counts", 5, "`counts` must be a dict"),
    )
    def test_bad_counts(self, counts, message):
        with self.assertRaisesRegex(ValueError, message):
            Vocabulary(TOKENS, counts=counts)

    def test_bad_lookup_inputs(self):
        vocabulary = Vocabulary(TOKENS)
        with self.assertRaisesRegex(ValueError, "`tokens` must be strings"):
            vocabulary.token_to_id([1, 2])
        with self.assertRaisesRegex(ValueError, "`ids` must be integers"):
            vocabulary.id_to_token(["a"])

    def test_config_round_trip(self):
        vocabulary = Vocabulary(TOKENS, counts={"the": 5}, name="words")
        revived = self.run_serialization_test(vocabulary)
        self.assertEqual(TOKENS, revived.get_vocabulary())
        self.assertEqual({"the": 5}, revived.counts)
        self.assertEqual("words", revived.name)
        self.assertAllEqual([2, 1], revived.token_to_id(["the", "dog"]))


class VocabularyFileTest(TestCase):
    def test_save_load_round_trip_with_counts(self):
        tokens = ["[PAD]", "[UNK]", "the", "tab\there", "new\nline", "back\\slash"]
        tokens += ["cr\r", "\\n", "한국어", "😀"]
        counts = {"the": 9, "tab\there": 3, "😀": 0}
        path = os.path.join(self.get_temp_dir(), "sub", "vocab.txt")
        Vocabulary(tokens, counts=counts).save(path)
        with open(path, encoding="utf-8", newline="") as file:
            text = file.read()
        self.assertEqual(
            "[PAD]\n[UNK]\nthe\t9\ntab\\there\t3\nnew\\nline\nback\\\\slash\n"
            "cr\\r\n\\\\n\n한국어\n😀\t0\n",
            text,
        )
        revived = Vocabulary.load(path)
        self.assertEqual(tokens, revived.get_vocabulary())
        self.assertEqual(counts, revived.counts)
        # written atomically: no temporary file is left next to it
        self.assertEqual(["vocab.txt"], os.listdir(os.path.dirname(path)))

    def test_save_replaces_an_existing_file(self):
        path = os.path.join(self.get_temp_dir(), "vocab.txt")
        Vocabulary(TOKENS).save(path)
        Vocabulary(["[PAD]", "[UNK]", "dog"]).save(path)
        self.assertEqual(["[PAD]", "[UNK]", "dog"], Vocabulary.load(path).tokens)
        self.assertIsNone(Vocabulary.load(path).counts)

    def test_load_hand_written_files(self):
        path = os.path.join(self.get_temp_dir(), "vocab.txt")
        # BOM, CRLF line ends, no final newline, a lone backslash
        with open(path, "wb") as file:
            file.write("\ufeff[PAD]\r\n[UNK]\r\nthe\t7\r\n\\\r\ncafé".encode())
        vocabulary = Vocabulary.load(path, name="hand")
        self.assertEqual(["[PAD]", "[UNK]", "the", "\\", "café"], vocabulary.tokens)
        self.assertEqual({"the": 7}, vocabulary.counts)
        self.assertEqual("hand", vocabulary.name)

    def test_load_bad_files(self):
        path = os.path.join(self.get_temp_dir(), "vocab.txt")
        with open(path, "w", encoding="utf-8") as file:
            file.write("[PAD]\n[UNK]\nthe\tmany\n")
        with self.assertRaisesRegex(ValueError, "Line 3 .* integer count"):
            Vocabulary.load(path)
        with open(path, "w", encoding="utf-8") as file:
            file.write("[PAD]\n[UNK]\n\nthe\n")
        with self.assertRaisesRegex(ValueError, "empty string, received it at index 2"):
            Vocabulary.load(path)
        with open(path, "w", encoding="utf-8") as file:
            file.write("the\n[PAD]\n[UNK]\n")
        with self.assertRaisesRegex(ValueError, "must start with the reserved"):
            Vocabulary.load(path)


class FromCorpusTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        # counts: a 4, b 3, c 3, d 2, e 1 (b and c tie)
        self.token_lists = [["a", "b", "c", "d"], ["a", "c", "b"], ["a", "a", "e"]]
        self.token_lists.append(["b", "c", "d"])
        self.texts = [" ".join(tokens) for tokens in self.token_lists]

    def test_order_counts_and_ties(self):
        vocabulary = Vocabulary.from_corpus(self.token_lists)
        self.assertEqual(
            ["[PAD]", "[UNK]", "a", "b", "c", "d", "e"], vocabulary.get_vocabulary()
        )
        self.assertEqual({"a": 4, "b": 3, "c": 3, "d": 2, "e": 1}, vocabulary.counts)
        # ties in code-point order, whatever the order of appearance
        reversed_lists = [list(reversed(tokens)) for tokens in self.token_lists[::-1]]
        self.assertEqual(
            vocabulary.get_vocabulary(),
            Vocabulary.from_corpus(reversed_lists).get_vocabulary(),
        )

    @parameterized.named_parameters(
        ("max_tokens", dict(max_tokens=4), ["a", "b"]),
        ("max_tokens_cuts_a_tie", dict(max_tokens=3), ["a"]),
        ("max_tokens_large", dict(max_tokens=100), ["a", "b", "c", "d", "e"]),
        ("min_count", dict(min_count=3), ["a", "b", "c"]),
        ("both", dict(min_count=2, max_tokens=5), ["a", "b", "c"]),
    )
    def test_max_tokens_and_min_count(self, kwargs, words):
        vocabulary = Vocabulary.from_corpus(self.token_lists, **kwargs)
        self.assertEqual(["[PAD]", "[UNK]"] + words, vocabulary.get_vocabulary())

    def test_start_end(self):
        vocabulary = Vocabulary.from_corpus(
            self.token_lists, max_tokens=6, start_end=True
        )
        self.assertEqual(
            ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b"],
            vocabulary.get_vocabulary(),
        )
        self.assertEqual((2, 3), (vocabulary.start_id, vocabulary.end_id))

    def test_reserved_tokens_in_the_corpus_are_not_words(self):
        corpus = [["[UNK]", "a", "[PAD]", "[START]"]]
        vocabulary = Vocabulary.from_corpus(corpus, start_end=True)
        self.assertEqual(
            ["[PAD]", "[UNK]", "[START]", "[END]", "a"], vocabulary.get_vocabulary()
        )
        self.assertEqual({"a": 1}, vocabulary.counts)

    def test_every_kind_of_corpus_gives_the_same_vocabulary(self):
        tokenizer = WordTokenizer()
        expected = Vocabulary.from_corpus(self.token_lists).get_vocabulary()
        texts_dataset = tf.data.Dataset.from_tensor_slices(self.texts)
        corpora = {
            "list_of_texts": (self.texts, tokenizer),
            "tuple_of_texts": (tuple(self.texts), tokenizer),
            "numpy_texts": (np.array(self.texts), tokenizer),
            "generator_of_texts": ((text for text in self.texts), tokenizer),
            "dataset_of_texts": (texts_dataset, tokenizer),
            "batched_dataset": (texts_dataset.batch(3), tokenizer),
            "callable_tokenizer": (self.texts, whitespace_split),
            "dataset_of_tokens": (
                tf.data.Dataset.from_tensor_slices(
                    tf.ragged.constant(self.token_lists)
                ),
                None,
            ),
            "dataset_of_single_tokens": (
                tf.data.Dataset.from_tensor_slices(sum(self.token_lists, [])),
                None,
            ),
            "tensor_token_lists": (
                [tf.constant(tokens) for tokens in self.token_lists],
                None,
            ),
        }
        for name, (corpus, split) in corpora.items():
            with self.subTest(name):
                vocabulary = Vocabulary.from_corpus(
                    corpus, tokenizer=split, batch_size=2
                )
                self.assertEqual(expected, vocabulary.get_vocabulary())
                self.assertEqual(4, vocabulary.counts["a"])

    def test_empty_corpus(self):
        self.assertEqual(["[PAD]", "[UNK]"], Vocabulary.from_corpus([]).tokens)
        vocabulary = Vocabulary.from_corpus([], tokenizer=WordTokenizer())
        self.assertEqual(["[PAD]", "[UNK]"], vocabulary.tokens)
        self.assertEqual({}, vocabulary.counts)

    def test_matches_a_python_counter_on_real_text(self):
        lines = rt_polarity_lines()
        vocabulary = Vocabulary.from_corpus(
            lines, tokenizer=whitespace_split, max_tokens=3000, min_count=2
        )
        counter = collections.Counter(token for line in lines for token in line.split())
        expected = sorted(
            (token for token, count in counter.items() if count >= 2),
            key=lambda token: (-counter[token], token.encode()),
        )[:2998]
        self.assertEqual(["[PAD]", "[UNK]"] + expected, vocabulary.get_vocabulary())
        self.assertEqual(
            {token: counter[token] for token in expected}, vocabulary.counts
        )

    def test_agrees_with_keras_text_vectorization(self):
        lines = rt_polarity_lines()
        ours = Vocabulary.from_corpus(lines, tokenizer=whitespace_split)
        layer = keras.layers.TextVectorization(standardize=None, split="whitespace")
        layer.adapt(lines)
        theirs = layer.get_vocabulary()
        self.assertEqual(["", "[UNK]"], theirs[:2])
        counts = ours.counts
        self.assertEqual(set(counts), set(theirs[2:]))
        # Keras orders by count too; it only breaks ties the other way round
        their_counts = [counts[token] for token in theirs[2:]]
        self.assertEqual(sorted(their_counts, reverse=True), their_counts)
        self.assertEqual(
            ours.get_vocabulary()[2:],
            sorted(theirs[2:], key=lambda token: (-counts[token], token.encode())),
        )

    def test_count_tokens(self):
        counts = count_tokens(["A cat, a hat.", "Cat!"], tokenizer=WordTokenizer())
        self.assertEqual({"a": 2, "cat": 2, "!": 1, ",": 1, ".": 1, "hat": 1}, counts)
        self.assertEqual(["a", "cat", "!", ",", ".", "hat"], list(counts))
        self.assertEqual({"x": 2, "y": 1}, count_tokens([["x", "y", "x"]]))

    @parameterized.named_parameters(
        ("max_tokens_zero", dict(max_tokens=0), "`max_tokens` must be a positive"),
        ("max_tokens_reserved", dict(max_tokens=2), "greater than the number of"),
        (
            "max_tokens_reserved_start_end",
            dict(max_tokens=4, start_end=True),
            r"reserved tokens \['\[PAD\]', '\[UNK\]', '\[START\]', '\[END\]'\]",
        ),
        ("min_count_zero", dict(min_count=0), "min_count=0"),
        ("min_count_float", dict(min_count=1.5), "min_count=1.5"),
        ("batch_size", dict(batch_size=-1), "batch_size=-1"),
        ("start_end", dict(start_end="yes"), "`start_end` must be a boolean"),
        ("tokenizer", dict(tokenizer=3), "`tokenizer` must be a kerasseq tokenizer"),
    )
    def test_bad_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            Vocabulary.from_corpus([["a"]], **kwargs)

    def test_bad_corpora(self):
        tokenizer = WordTokenizer()
        with self.assertRaisesRegex(ValueError, "received a single string"):
            Vocabulary.from_corpus("a text", tokenizer=tokenizer)
        with self.assertRaisesRegex(ValueError, "must hold token lists"):
            Vocabulary.from_corpus(["a text"])
        with self.assertRaisesRegex(ValueError, "must hold strings"):
            Vocabulary.from_corpus(["a", 3], tokenizer=tokenizer)
        with self.assertRaisesRegex(ValueError, "must hold strings"):
            Vocabulary.from_corpus(iter(["a", 3]), tokenizer=tokenizer)
        with self.assertRaisesRegex(ValueError, "Tokens must be strings"):
            Vocabulary.from_corpus([[1, 2]])
        with self.assertRaisesRegex(ValueError, "must be a tf.data.Dataset or an"):
            Vocabulary.from_corpus(5, tokenizer=tokenizer)
        pairs = tf.data.Dataset.from_tensor_slices((["a b"], [1]))
        with self.assertRaisesRegex(ValueError, "dataset.map\\(lambda text, label"):
            Vocabulary.from_corpus(pairs, tokenizer=tokenizer)
        numbers = tf.data.Dataset.from_tensor_slices([1, 2])
        with self.assertRaisesRegex(ValueError, "tf.data.Dataset of strings"):
            Vocabulary.from_corpus(numbers, tokenizer=tokenizer)
