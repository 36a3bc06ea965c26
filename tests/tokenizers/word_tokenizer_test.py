"""Tests for `WordTokenizer`: literal expected tokens, ids and exports."""

import json
import os
import textwrap
import unicodedata

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.tokenizers import Vocabulary
from kerasseq.tokenizers import WordTokenizer
from tests.test_case import TestCase
from tests.test_case import data_dir
from tests.test_case import run_python
from tests.tokenizers.helpers import to_python

# Every Unicode White_Space character (tensorflow-text's whitespace test list).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # 👍🏽
HEART = "\u2764\ufe0f"  # ❤️
FLAG_KR = "\U0001f1f0\U0001f1f7"  # 🇰🇷
FLAG_US = "\U0001f1fa\U0001f1f8"  # 🇺🇸
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


def python_reference_split(text):
    """Pure-Python WordTokenizer (no emoji rules): lower, P/S alone, split."""
    pieces = []
    for char in text.lower():
        category = unicodedata.category(char)
        if category[0] in "PS":
            pieces.append(f" {char} ")
        elif category[0] == "M" and pieces and pieces[-1].endswith(" "):
            pieces[-1] = pieces[-1][:-1] + char + " "
        else:
            pieces.append(char)
    return "".join(pieces).split()


@keras.saving.register_keras_serializable(package="kerasseq_tests")
class TokenIds(keras.Model):
    """A model whose call is a tokenizer with its ids padded to a matrix."""

    def __init__(self, tokenizer, **kwargs):
        super().__init__(**kwargs)
        self.tokenizer = tokenizer

    def call(self, texts):
        return self.tokenizer(texts).to_tensor()

    def build_from_config(self, config):
        # nothing to build: the tokenizer holds lookup tables, no weights
        self.built = True

    def get_config(self):
        tokenizer = keras.saving.serialize_keras_object(self.tokenizer)
        return {**super().get_config(), "tokenizer": tokenizer}

    @classmethod
    def from_config(cls, config):
        config["tokenizer"] = keras.saving.deserialize_keras_object(config["tokenizer"])
        return cls(**config)


class WordTokenizerShapesTest(TestCase):
    """The tensorflow-text whitespace tokenizer edge cases, with literal tokens."""

    def setUp(self):
        super().setUp()
        self.tokenizer = WordTokenizer()

    def test_scalar(self):
        tokens = self.tokenizer("I love Flume!")
        self.assertIsInstance(tokens, tf.Tensor)
        self.assertEqual(["i", "love", "flume", "!"], to_python(tokens))

    def test_python_and_numpy_inputs(self):
        self.assertEqual([["a", "b"], ["c"]], to_python(self.tokenizer(["a b", "c"])))
        self.assertEqual([["a"]], to_python(self.tokenizer(np.array(["A"]))))
        self.assertEqual(["a"], to_python(self.tokenizer(b"A")))

    def test_vector(self):
        tokens = self.tokenizer(tf.constant(["this is a test", "the dog"]))
        self.assertIsInstance(tokens, tf.RaggedTensor)
        self.assertEqual(
            [["this", "is", "a", "test"], ["the", "dog"]], to_python(tokens)
        )

    def test_matrix(self):
        tokens = self.tokenizer([["a b", "c"], ["d e f", ""]])
        self.assertEqual([2, 2, None], tokens.shape.as_list())
        self.assertEqual(
            [[["a", "b"], ["c"]], [["d", "e", "f"], []]], to_python(tokens)
        )

    def test_ragged_matrix(self):
        texts = tf.ragged.constant([["a b", "c"], ["d e f"], []])
        tokens = self.tokenizer(texts)
        self.assertEqual(
            [[["a", "b"], ["c"]], [["d", "e", "f"]], []], to_python(tokens)
        )

    def test_3d(self):
        tokens = self.tokenizer([[["a b"], ["c"]], [["d"], ["e f"]]])
        self.assertEqual([2, 2, 1, None], tokens.shape.as_list())
        self.assertEqual(
            [[[["a", "b"]], [["c"]]], [[["d"]], [["e", "f"]]]], to_python(tokens)
        )

    def test_ragged_3d(self):
        texts = tf.ragged.constant([[["a b"], ["c", "d"]], [["e"]]])
        self.assertEqual(
            [[[["a", "b"]], [["c"], ["d"]]], [[["e"]]]],
            to_python(self.tokenizer(texts)),
        )

    def test_leading_and_trailing_spaces(self):
        tokens = self.tokenizer(["  leading", "trailing   ", "  both  ways  "])
        self.assertEqual(
            [["leading"], ["trailing"], ["both", "ways"]], to_python(tokens)
        )

    def test_only_spaces(self):
        tokens = self.tokenizer(["   ", "\t\n", WHITESPACE])
        self.assertEqual([[], [], []], to_python(tokens))

    def test_every_whitespace_kind(self):
        text = "".join(f"w{i}{space}" for i, space in enumerate(WHITESPACE))
        tokens = self.tokenizer(text)
        self.assertEqual([f"w{i}" for i in range(len(WHITESPACE))], to_python(tokens))
        # ASCII texts (the fast path) and mixed batches split the same way
        batch = ["a\tb\nc\x0bd\x0ce\rf", "no control", "é\tx\xa0y", "p\x00q r"]
        self.assertEqual(
            [["a", "b", "c", "d", "e", "f"], ["no", "control"], ["é", "x", "y"]]
            + [["p\x00q", "r"]],
            to_python(self.tokenizer(batch)),
        )
        self.assertEqual([["x", "y"]], to_python(self.tokenizer(["x y"])))
        # zero-width space, joiner and non-joiner, and U+001C are not whitespace
        for glue in ["\u200b", "\u200c", "\u2060", "\x1c"]:
            self.assertEqual([f"a{glue}b"], to_python(self.tokenizer(f"a{glue}b")))

    def test_empty_string(self):
        self.assertEqual([], to_python(self.tokenizer("")))
        self.assertEqual([0], self.tokenizer("").shape.as_list())
        self.assertEqual([[]], to_python(self.tokenizer([""])))

    def test_empty_batch(self):
        tokens = self.tokenizer(tf.constant([], tf.string))
        self.assertEqual([0, None], tokens.shape.as_list())
        self.assertEqual([], tokens.to_list())
        tokenizer = WordTokenizer(vocabulary=["[PAD]", "[UNK]", "a"])
        ids = tokenizer(tf.zeros([0, 3], tf.string))
        self.assertEqual([0, 3, None], ids.shape.as_list())
        self.assertEqual(tf.int32, ids.dtype)

    def test_unknown_rank(self):
        function = tf.function(
            self.tokenizer.tokenize, input_signature=[tf.TensorSpec(None, tf.string)]
        )
        with self.assertRaisesRegex(ValueError, "known rank"):
            function(tf.constant(["a"]))


class WordTokenizerTextTest(TestCase, parameterized.TestCase):
    """Literal tokens for scripts, accents, emoji and punctuation."""

    def assertTokens(self, expected, text, **kwargs):
        tokens = to_python(WordTokenizer(**kwargs)(text))
        self.assertEqual(expected, tokens)

    def test_korean(self):
        self.assertTokens(["안녕하세요", ",", "세계", "!"], "안녕하세요, 세계!")
        self.assertTokens(["한국어", "텍스트입니다", "."], "한국어 텍스트입니다.")
        # a syllable written as jamo (NFD) stays one word
        self.assertTokens(
            ["\u1112\u1161\u11ab\u1100\u116e\u11a8"],
            "\u1112\u1161\u11ab\u1100\u116e\u11a8",
        )

    def test_accented_latin_precomposed(self):
        self.assertTokens(["école", "été", "über", "ñandú"], "École ÉTÉ Über Ñandú")
        self.assertTokens(["ça", "va", "?"], "Ça va?")

    def test_combining_marks_stay_with_their_letter(self):
        # decomposed accents: no normalization, the mark stays on its letter
        self.assertTokens(["e\u0301cole", "cafe\u0301"], "E\u0301COLE cafe\u0301")
        self.assertTokens(["i\u0307stanbul"], "İstanbul")  # İ lower-cases to i + U+0307
        self.assertTokens(["n\u0303", "!"], "N\u0303!")
        # a mark after punctuation stays on the punctuation token
        self.assertTokens(["a", "!\u0301", "b"], "a!\u0301b")
        self.assertTokens(["\u0301a"], " \u0301a")

    def test_unicode_case_mapping(self):
        self.assertTokens(["σας", "οδος"], "ΣΑΣ ΟΔΟΣ")  # final sigma
        self.assertTokens(["straße", "ǆ"], "STRAßE ǅ")
        self.assertTokens(["ÉCOLE", "Ça"], "ÉCOLE Ça", lowercase=False)

    def test_emoji(self):
        self.assertTokens(["i", HEART, "ny", "🗽", "!"], f"I {HEART} NY🗽!")
        self.assertTokens(["hi", "😀", "😀", "there"], "hi😀😀there")
        self.assertTokens([THUMBS_MEDIUM, "👍"], f"{THUMBS_MEDIUM}👍")
        self.assertTokens(["we", FAMILY, "."], f"we{FAMILY}.")
        self.assertTokens([FLAG_KR, FLAG_US, FLAG_KR], f"{FLAG_KR}{FLAG_US} {FLAG_KR}")
        self.assertTokens([ENGLAND, "fan"], f"{ENGLAND}fan")
        self.assertTokens(
            ["1\ufe0f\u20e3", "#\ufe0f\u20e3"], "1\ufe0f\u20e3 #\ufe0f\u20e3"
        )

    def test_punctuation_and_symbols(self):
        self.assertTokens(
            ["don", "'", "t", "stop", "—", "it", "'", "s", "3", ".", "14", ",", "$"]
            + ["5", "(", "ok", ")", "?", "!", "«", "oui", "»", "…"],
            "Don't stop—it's 3.14, $5 (OK)?! «oui»…",
        )
        self.assertTokens(["a", "+", "b", "=", "c", "^", "2", "€", "™"], "a+b=c^2€™")
        self.assertTokens(["<", "br", "/", ">", "<", "br", "/", ">"], "<br /><br />")
        self.assertTokens(["你好", "，", "世界", "。"], "你好，世界。")
        self.assertTokens(
            ["e-mail", "u.s.a."], "E-mail U.S.A.", split_punctuation=False
        )
        self.assertTokens(["a,", "b"], "a,\u3000b", split_punctuation=False)

    def test_matches_a_python_reference_on_real_text(self):
        path = data_dir() / "rt-polarity" / "rt-polarity.neg"
        with open(path, encoding="latin-1") as file:
            lines = [line.strip() for _, line in zip(range(1000), file)]
        lines += ["Ünïcödé — “quotes”, ½ & ¿qué? ¡sí! ©2024 ±3°C", "TAB\tNBSP\xa0end"]
        tokens = to_python(WordTokenizer()(lines))
        self.assertEqual([python_reference_split(line) for line in lines], tokens)

    def test_lowercase_off(self):
        self.assertTokens(["Hello", "World", "!"], "Hello World!", lowercase=False)


class WordTokenizerLengthAndIdsTest(TestCase, parameterized.TestCase):
    def test_max_length(self):
        tokenizer = WordTokenizer(max_length=2)
        self.assertEqual(
            [["a", "b"], ["e"], []], to_python(tokenizer(["a b c d", "e", ""]))
        )
        self.assertEqual(["a", ","], to_python(tokenizer("a, b")))
        self.assertEqual([[["a", "b"], ["c"]]], to_python(tokenizer([["a b c", "c"]])))
        self.assertEqual(
            [[["a", "b"]], []],
            to_python(tokenizer(tf.ragged.constant([["a b c"], []]))),
        )

    def test_ids_with_a_vocabulary(self):
        vocabulary = Vocabulary(["[PAD]", "[UNK]", "the", "cat", ".", "é"])
        tokenizer = WordTokenizer(vocabulary=vocabulary, max_length=3)
        ids = tokenizer(["The cat.", "A DOG. É", ""])
        self.assertEqual(tf.int32, ids.dtype)
        self.assertEqual([[2, 3, 4], [1, 1, 4], []], ids.to_list())
        self.assertAllEqual([2, 3], tokenizer("the cat"))
        self.assertEqual(6, tokenizer.vocabulary_size)

    def test_vocabulary_from_a_list_or_a_file(self):
        tokens = ["[PAD]", "[UNK]", "the"]
        path = os.path.join(self.get_temp_dir(), "vocab.txt")
        Vocabulary(tokens).save(path)
        for vocabulary in [tokens, path]:
            tokenizer = WordTokenizer(vocabulary=vocabulary)
            self.assertIsInstance(tokenizer.vocabulary, Vocabulary)
            self.assertEqual([[2, 1]], tokenizer(["the end"]).to_list())

    def test_adapt(self):
        tokenizer = WordTokenizer()
        self.assertIsNone(tokenizer.vocabulary_size)
        corpus = tf.data.Dataset.from_tensor_slices(["The cat, the hat.", "A cat"])
        vocabulary = tokenizer.adapt(corpus, start_end=True)
        self.assertIs(vocabulary, tokenizer.vocabulary)
        self.assertEqual(
            ["[PAD]", "[UNK]", "[START]", "[END]", "cat", "the"]
            + [",", ".", "a", "hat"],
            vocabulary.get_vocabulary(),
        )
        self.assertEqual([[5, 4, 1]], tokenizer(["the cat sat"]).to_list())
        # adapting again keeps the same (tracked) Vocabulary layer
        tokenizer.adapt(["dog dog cat"], max_tokens=3, min_count=2)
        self.assertIs(vocabulary, tokenizer.vocabulary)
        self.assertEqual(["[PAD]", "[UNK]", "dog"], vocabulary.get_vocabulary())
        self.assertEqual([[2, 1]], tokenizer(["dog cat"]).to_list())

    def test_set_vocabulary(self):
        tokenizer = WordTokenizer()
        tokenizer.set_vocabulary(["[PAD]", "[UNK]", "a"])
        self.assertEqual([[2, 1]], tokenizer(["a b"]).to_list())
        with self.assertRaisesRegex(ValueError, "received: vocabulary=None"):
            tokenizer.set_vocabulary(None)


class WordTokenizerDetokenizeTest(TestCase, parameterized.TestCase):
    TEXTS = [
        "Hello, World!",
        "  Ünïcödé   cafe\u0301\tÉTÉ\n",
        f"I {HEART} NY🗽 {FAMILY}{THUMBS_MEDIUM} {FLAG_KR}",
        "안녕하세요, 세계!",
        "",
        "   ",
    ]

    def test_detokenize_strings(self):
        tokenizer = WordTokenizer()
        texts = tokenizer.detokenize(tokenizer(self.TEXTS))
        self.assertEqual(
            [
                "hello , world !",
                "ünïcödé cafe\u0301 été",
                f"i {HEART} ny 🗽 {FAMILY} {THUMBS_MEDIUM} {FLAG_KR}",
                "안녕하세요 , 세계 !",
                "",
                "",
            ],
            to_python(texts),
        )
        self.assertEqual("a b", to_python(tokenizer.detokenize(["a", "[PAD]", "b"])))

    def test_round_trip(self):
        tokenizer = WordTokenizer()
        tokens = tokenizer(self.TEXTS)
        again = tokenizer(tokenizer.detokenize(tokens))
        self.assertEqual(to_python(tokens), to_python(again))
        # normalized text comes back unchanged
        text = "hello , world !"
        self.assertEqual(text, to_python(tokenizer.detokenize(tokenizer(text))))

    def test_detokenize_ids(self):
        tokenizer = WordTokenizer(vocabulary=["[PAD]", "[UNK]", "the", "cat"])
        # padded (dense) ids, ragged ids, int64 ids and one sequence
        padded = tokenizer(["the cat", "cat"]).to_tensor()
        self.assertEqual(["the cat", "cat"], to_python(tokenizer.detokenize(padded)))
        ragged = tokenizer(["the dog", ""])
        self.assertEqual(["the [UNK]", ""], to_python(tokenizer.detokenize(ragged)))
        ids64 = np.array([[3, 2, 0]], dtype="int64")
        self.assertEqual(["cat the"], to_python(tokenizer.detokenize(ids64)))
        self.assertEqual("the cat", to_python(tokenizer.detokenize([2, 3, 0, 0])))

    def test_detokenize_errors(self):
        with self.assertRaisesRegex(ValueError, "has no vocabulary"):
            WordTokenizer().detokenize([[1, 2]])
        with self.assertRaisesRegex(ValueError, "at least one axis"):
            WordTokenizer().detokenize("a")
        with self.assertRaisesRegex(ValueError, "strings or integer ids"):
            WordTokenizer().detokenize([[1.5]])


class WordTokenizerGraphTest(TestCase):
    def setUp(self):
        super().setUp()
        self.texts = ["The cat sat.", "", "Ça va? 👍🏽", "a  b\u3000c"]
        self.tokenizer = WordTokenizer(vocabulary=["[PAD]", "[UNK]", "the", "cat", "."])

    def test_in_tf_data_on_batches_and_elements(self):
        expected = self.tokenizer(self.texts).to_list()
        dataset = tf.data.Dataset.from_tensor_slices(self.texts)
        batched = dataset.batch(3).map(self.tokenizer)
        self.assertEqual(expected, sum((batch.to_list() for batch in batched), []))
        elements = dataset.map(self.tokenizer)
        self.assertEqual(expected, [ids.numpy().tolist() for ids in elements])
        padded = dataset.batch(4).map(lambda texts: self.tokenizer(texts).to_tensor())
        self.assertAllEqual(
            [[2, 3, 1, 4], [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 0]],
            next(iter(padded)),
        )

    def test_in_tf_function(self):
        function = tf.function(
            lambda texts: self.tokenizer(texts),
            input_signature=[tf.TensorSpec([None], tf.string)],
        )
        self.assertEqual(
            self.tokenizer(self.texts).to_list(), function(self.texts).to_list()
        )
        detokenize = tf.function(WordTokenizer().detokenize)
        self.assertEqual(
            ["a b"], to_python(detokenize(tf.ragged.constant([["a", "b"]])))
        )

    def test_config_round_trip(self):
        for tokenizer in [
            WordTokenizer(lowercase=False, split_punctuation=False, max_length=7),
            self.tokenizer,
        ]:
            revived = self.run_serialization_test(tokenizer)
            self.assertEqual(tokenizer.max_length, revived.max_length)
            self.assertEqual(tokenizer.lowercase, revived.lowercase)
            self.assertEqual(
                to_python(tokenizer(self.texts)), to_python(revived(self.texts))
            )
        self.assertIsNone(WordTokenizer().get_config()["vocabulary"])

    @pytest.mark.slow
    def test_keras_model_round_trip(self):
        model = TokenIds(
            WordTokenizer(vocabulary=self.tokenizer.vocabulary, max_length=3)
        )
        restored = self.run_model_saving_test(model, tf.constant(self.texts))
        self.assertIsInstance(restored.tokenizer, WordTokenizer)
        self.assertEqual(3, restored.tokenizer.max_length)
        self.assertEqual(
            self.tokenizer.vocabulary.get_vocabulary(),
            restored.tokenizer.vocabulary.get_vocabulary(),
        )

    @pytest.mark.slow
    def test_saved_model_serves_without_tensorflow_text(self):
        corpus = [
            "The cat sat on the mat.",
            "Ça va? 👍🏽 Très bien!",
            "안녕하세요, 세계!",
        ]
        tokenizer = WordTokenizer(max_length=6)
        tokenizer.adapt(corpus)
        texts = ["the CAT sat  on\u3000the mat!", "ça, très 👍🏽", "세계 dog", ""]
        expected = tokenizer(texts).to_tensor().numpy().tolist()

        archive = keras.export.ExportArchive()
        archive.track(tokenizer)

        def serve(texts):
            return tokenizer(texts).to_tensor()

        archive.add_endpoint(
            "serve", serve, input_signature=[tf.TensorSpec([None], tf.string)]
        )
        module = tf.Module()
        module.tokenizer = tokenizer
        module.serve = tf.function(
            serve, input_signature=[tf.TensorSpec([None], tf.string)]
        )
        paths = {
            "archive": os.path.join(self.get_temp_dir(), "archive"),
            "module": os.path.join(self.get_temp_dir(), "module"),
        }
        archive.write_out(paths["archive"], verbose=False)
        tf.saved_model.save(module, paths["module"])

        # A fresh interpreter that imports TensorFlow only (never tensorflow_text
        # nor kerasseq) loads both exports and maps the raw strings to ids.
        code = textwrap.dedent(
            f"""
            import json, sys
            import tensorflow as tf
            texts = {texts!r}
            ids = {{}}
            for name, path in {paths!r}.items():
                served = tf.saved_model.load(path).serve(tf.constant(texts))
                ids[name] = served.numpy().tolist()
            ids["modules"] = sorted(
                m for m in sys.modules
                if m.split(".")[0] in ("tensorflow_text", "kerasseq")
            )
            print(json.dumps(ids))
            """
        )
        result = run_python(code)
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        served = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual([], served["modules"])
        self.assertEqual(expected, served["archive"])
        self.assertEqual(expected, served["module"])
        # ids: "!" 2, "the" 3 (count 2), then count 1 in code-point order:
        # , . ? bien cat mat on sat très va ça 세계 안녕하세요 👍🏽
        self.assertEqual(
            [
                [3, 8, 11, 10, 3, 9],
                [14, 4, 12, 17, 0, 0],
                [15, 1, 0, 0, 0, 0],
                [0, 0, 0, 0, 0, 0],
            ],
            expected,
        )


class WordTokenizerArgumentsTest(TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("max_length_zero", dict(max_length=0), "max_length=0"),
        ("max_length_float", dict(max_length=2.0), "max_length=2.0"),
        ("lowercase", dict(lowercase="yes"), "`lowercase` must be a boolean"),
        (
            "split",
            dict(split_punctuation=None),
            "`split_punctuation` must be a boolean",
        ),
        ("vocabulary", dict(vocabulary=5), "`vocabulary` must be a Vocabulary"),
        ("bad_vocabulary", dict(vocabulary=["a", "b"]), "must start with the reserved"),
    )
    def test_bad_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            WordTokenizer(**kwargs)

    def test_bad_inputs(self):
        with self.assertRaisesRegex(ValueError, "`text` must be strings"):
            WordTokenizer()([1, 2])
        with self.assertRaisesRegex(ValueError, "`text` must be a tensor"):
            WordTokenizer()(object())
