"""Tests for `CharTokenizer`: user-perceived characters, literal tokens."""

import os

import tensorflow as tf
from absl.testing import parameterized

from kerasseq.tokenizers import CharTokenizer
from kerasseq.tokenizers import Vocabulary
from tests.test_case import TestCase
from tests.test_case import data_dir
from tests.tokenizers.helpers import to_python

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽
HEART = "\u2764\ufe0f"  # ❤️
FLAG_KR = "\U0001f1f0\U0001f1f7"  # 🇰🇷
FLAG_US = "\U0001f1fa\U0001f1f8"  # 🇺🇸
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
WOMAN_TECHNOLOGIST = "\U0001f469\U0001f3fd\u200d\U0001f4bb"  # 👩🏽‍💻

EDGE_TEXTS = [
    "Hello, World!",
    "  leading and trailing  ",
    "\t\n\r\n\x0b\x0c\xa0\u3000",
    "",
    "안녕하세요",
    "\u1112\u1161\u11ab\u1100\u116e\u11a8",
    "École cafe\u0301 n\u0303 a\u0308\u0301",
    f"{FAMILY}{THUMBS_MEDIUM}{HEART}{FLAG_KR}{FLAG_US}{ENGLAND}{WOMAN_TECHNOLOGIST}",
    "1\ufe0f\u20e3 #\ufe0f\u20e3 \u0301x",
]


class CharTokenizerTest(TestCase, parameterized.TestCase):
    def assertCharacters(self, expected, text, **kwargs):
        self.assertEqual(expected, to_python(CharTokenizer(**kwargs)(text)))

    def test_shapes(self):
        tokenizer = CharTokenizer()
        scalar = tokenizer("ab c")
        self.assertIsInstance(scalar, tf.Tensor)
        self.assertEqual(["a", "b", " ", "c"], to_python(scalar))
        self.assertEqual([["a", "b"], [], ["c"]], to_python(tokenizer(["ab", "", "c"])))
        matrix = tokenizer([["ab", "c"], ["", "d"]])
        self.assertEqual([2, 2, None], matrix.shape.as_list())
        self.assertEqual([[["a", "b"], ["c"]], [[], ["d"]]], to_python(matrix))
        ragged = tokenizer(tf.ragged.constant([["ab"], []]))
        self.assertEqual([[["a", "b"]], []], to_python(ragged))
        empty = tokenizer(tf.constant([], tf.string))
        self.assertEqual([0, None], empty.shape.as_list())
        self.assertEqual([], to_python(tokenizer("")))

    def test_unicode_characters_not_bytes(self):
        self.assertCharacters(["안", "녕"], "안녕")
        self.assertCharacters(["é", "t", "é"], "été")
        self.assertCharacters(["日", "本"], "日本")
        self.assertCharacters(["😀", "!"], "😀!")

    def test_whitespace_characters_are_tokens(self):
        self.assertCharacters(
            [" ", "a", "\t", "\r\n", "\n", "\r", "\xa0"], " a\t\r\n\n\r\xa0"
        )

    def test_combining_marks_stay_with_their_base(self):
        self.assertCharacters(["c", "a", "f", "e\u0301"], "cafe\u0301")
        self.assertCharacters(["a\u0308\u0301", "b"], "a\u0308\u0301b")
        self.assertCharacters(["\u0301", "x"], "\u0301x")
        # decomposed Hangul: leading consonant + vowel + final consonant
        self.assertCharacters(
            ["\u1112\u1161\u11ab", "\u1100\u116e\u11a8"],
            "\u1112\u1161\u11ab\u1100\u116e\u11a8",
        )

    def test_emoji_sequences(self):
        self.assertCharacters([FAMILY, "!"], f"{FAMILY}!")
        self.assertCharacters(
            [THUMBS_MEDIUM, "\U0001f44d"], f"{THUMBS_MEDIUM}\U0001f44d"
        )
        self.assertCharacters([HEART, "a"], f"{HEART}a")
        self.assertCharacters([WOMAN_TECHNOLOGIST], WOMAN_TECHNOLOGIST)
        self.assertCharacters([ENGLAND, "x"], f"{ENGLAND}x")
        self.assertCharacters(["1\ufe0f\u20e3"], "1\ufe0f\u20e3")
        # flags pair up regional indicators from the left
        self.assertCharacters([FLAG_KR, FLAG_US], FLAG_KR + FLAG_US)
        self.assertCharacters([FLAG_KR, "\U0001f1fa"], FLAG_KR + "\U0001f1fa")

    def test_lowercase(self):
        self.assertCharacters(["a", "É"], "aÉ")
        self.assertCharacters(["a", "é", "σ", "ς"], "AÉΣΣ", lowercase=True)

    def test_round_trip_is_exact(self):
        tokenizer = CharTokenizer()
        texts = tokenizer.detokenize(tokenizer(EDGE_TEXTS))
        self.assertEqual(EDGE_TEXTS, to_python(texts))
        # the real text of the char-LM recipe
        path = data_dir() / "char-lm" / "dinos.txt"
        with open(path, encoding="utf-8") as file:
            names = file.read().splitlines()[:300]
        self.assertEqual(names, to_python(tokenizer.detokenize(tokenizer(names))))
        self.assertEqual([list(name) for name in names], to_python(tokenizer(names)))

    def test_max_length(self):
        tokenizer = CharTokenizer(max_length=3)
        self.assertEqual(
            [["a", "b", "c"], ["d"]], to_python(tokenizer(["abcdef", "d"]))
        )
        self.assertEqual([FAMILY, "a"], to_python(tokenizer(f"{FAMILY}a")))

    def test_vocabulary_ids_and_file(self):
        tokenizer = CharTokenizer()
        vocabulary = tokenizer.adapt(["ab ba", "a\tb\n"], start_end=True)
        self.assertEqual(
            ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b", "\t", "\n", " "],
            vocabulary.get_vocabulary(),
        )
        ids = tokenizer(["a b", "c\t"])
        self.assertEqual([[4, 8, 5], [1, 6]], ids.to_list())
        self.assertEqual(["a b", "[UNK]\t"], to_python(tokenizer.detokenize(ids)))
        # whitespace tokens survive the vocabulary file
        path = os.path.join(self.get_temp_dir(), "chars.txt")
        vocabulary.save(path)
        revived = CharTokenizer(vocabulary=path)
        self.assertEqual(vocabulary.get_vocabulary(), revived.vocabulary.tokens)
        self.assertEqual(ids.to_list(), revived(["a b", "c\t"]).to_list())

    def test_in_tf_data_and_tf_function(self):
        tokenizer = CharTokenizer(vocabulary=Vocabulary(["[PAD]", "[UNK]", "a", "é"]))
        texts = ["aé", "", "ée"]
        expected = tokenizer(texts).to_list()
        self.assertEqual([[2, 3], [], [3, 1]], expected)
        dataset = tf.data.Dataset.from_tensor_slices(texts).batch(2).map(tokenizer)
        self.assertEqual(expected, sum((batch.to_list() for batch in dataset), []))
        function = tf.function(
            tokenizer.tokenize, input_signature=[tf.TensorSpec([None], tf.string)]
        )
        self.assertEqual(expected, function(texts).to_list())

    def test_config_round_trip(self):
        tokenizer = CharTokenizer(
            lowercase=True, max_length=4, vocabulary=["[PAD]", "[UNK]", "a"]
        )
        revived = self.run_serialization_test(tokenizer)
        self.assertTrue(revived.lowercase)
        self.assertEqual([[2, 1, 2]], revived(["AbA"]).to_list())

    @parameterized.named_parameters(
        ("lowercase", dict(lowercase=1), "`lowercase` must be a boolean"),
        ("max_length", dict(max_length=-2), "max_length=-2"),
    )
    def test_bad_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            CharTokenizer(**kwargs)
