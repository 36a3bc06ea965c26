"""Word tokenizer from core TensorFlow string ops only."""

import keras
import tensorflow as tf

from kerasseq import validation
from kerasseq.tokenizers.tokenizer import Tokenizer
from kerasseq.tokenizers.tokenizer import by_ascii
from kerasseq.tokenizers.tokenizer import map_strings
from kerasseq.tokenizers.tokenizer import split_on
from kerasseq.tokenizers.tokenizer import to_string_tensor

# Unicode White_Space: ASCII \t \n \v \f \r (space itself needs no change),
# NEL, NBSP, OGHAM SPACE MARK, the U+2000 spaces, LINE and PARAGRAPH SEPARATOR,
# NNBSP, MMSP and IDEOGRAPHIC SPACE. All become a space before splitting.
WHITESPACE = (
    r"[\t-\r\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}"
    r"\x{205F}\x{3000}]"
)

# What sticks to the character before it: combining marks (\p{M}, with the
# emoji variation selectors and the keycap mark), emoji skin-tone modifiers,
# emoji tag characters and a zero-width joiner (ZWJ).
EXTEND = r"[\p{M}\x{200D}\x{1F3FB}-\x{1F3FF}\x{E0020}-\x{E007F}]"

# One punctuation or symbol token: a pair of regional indicators (a flag), or
# one punctuation (\p{P}) or symbol (\p{S}, emoji included) character with its
# extenders and any ZWJ-joined symbols (👨‍👩‍👧 stays one token).
PUNCTUATION = r"[\x{1F1E6}-\x{1F1FF}]{2}|[\p{P}\p{S}](?:\x{200D}\p{S}|" + EXTEND + r")*"


def split_words(text, lowercase=True, split_punctuation=True):
    """Splits strings into words with core TensorFlow ops.

    Args:
        text: String tensor or `tf.RaggedTensor` of any shape.
        lowercase: Boolean, whether to lower-case (Unicode-aware).
        split_punctuation: Boolean, whether punctuation and symbols become
            tokens of their own.

    Returns:
        The words, one rank higher than `text`.
    """

    def normalize(strings):
        strings = normalize_case_and_space(strings, lowercase)
        if split_punctuation:
            strings = tf.strings.regex_replace(strings, PUNCTUATION, r" \0 ")
        return strings

    return split_on(map_strings(normalize, text), " ")


def normalize_case_and_space(strings, lowercase=True):
    """Lower-cases (optionally) and turns every whitespace into a space.

    Pure-ASCII strings take ASCII lower-casing, and hold no Unicode
    whitespace; their \\t \\n \\v \\f \\r are replaced only when the batch
    has a byte below 14 at all (a one-pass check much cheaper than the
    regex). The other strings get Unicode case mapping and the `WHITESPACE`
    regex.
    """

    def ascii_function(plain):
        if lowercase:
            plain = tf.strings.lower(plain)
        raw = tf.io.decode_raw(tf.strings.reduce_join(plain), tf.uint8)
        return tf.cond(
            tf.reduce_any(raw < 14),
            lambda: tf.strings.regex_replace(plain, r"[\t-\r]", " "),
            lambda: plain,
        )

    def unicode_function(other):
        if lowercase:
            other = tf.strings.lower(other, encoding="utf-8")
        return tf.strings.regex_replace(other, WHITESPACE, " ")

    return by_ascii(strings, ascii_function, unicode_function)


@keras.saving.register_keras_serializable(package="kerasseq")
class WordTokenizer(Tokenizer):
    """Splits text into words on whitespace and punctuation, in-graph.

    Built from core TensorFlow ops only (`tf.strings.lower`,
    `tf.strings.regex_replace` with RE2 Unicode classes, the `StringSplit` op,
    and a `tf.lookup.StaticHashTable` for ids), so a SavedModel holding it
    loads and serves where tensorflow-text is not installed. The steps:

    1. Lower-casing with Unicode case mapping (`"ÉCOLE"` → `"école"`,
       `"ΣΑΣ"` → `"σας"`), when `lowercase=True`. Pure-ASCII texts take the
       ASCII op, which gives the same result 10x faster.
    2. Every Unicode whitespace character (the `White_Space` property: ASCII
       whitespace, NEL, NBSP, U+2000–U+200A, U+2028/U+2029, U+3000, ...)
       becomes a space. Zero-width spaces and joiners are not whitespace.
    3. When `split_punctuation=True`, every punctuation character (Unicode
       category P: `. , ; : ! ? ' " - ( ) [ ] { } … « »` and the CJK ones)
       and every symbol (category S: `$ + < = > ^ | ~`, currency, math signs,
       emoji) becomes a token of its own: `"don't"` → `don ' t`, `"3.14"` →
       `3 . 14`, `"hi😀"` → `hi 😀`. An emoji keeps its skin-tone modifier
       and variation selector, a zero-width-joiner sequence (`👨‍👩‍👧`) stays
       one token, and two regional indicators (a flag such as `🇰🇷`) make
       one token.
    4. Splitting on spaces; runs of whitespace and leading or trailing
       whitespace give no empty tokens.

    Letters, digits and combining marks (category M) stay in their word, so a
    combining accent always stays with its base letter (and a mark after a
    punctuation character stays with it). There is no Unicode normalization
    (core TensorFlow has no NFC op): a precomposed `"é"` (U+00E9) and
    `"e"` + U+0301 are different tokens, each kept whole. Hangul, CJK and
    other scripts are split only on whitespace and punctuation.

    `detokenize` joins the tokens with single spaces, so it returns the
    normalized text (`"Hi, you!"` → `"hi , you !"`) and `tokenize` of that
    gives the same tokens back.

    Args:
        lowercase: Boolean, whether to lower-case the text. Defaults to `True`.
        split_punctuation: Boolean, whether punctuation and symbols become
            tokens of their own. Defaults to `True`; with `False`, only
            whitespace splits.
        max_length: Optional positive integer; each text keeps its first
            `max_length` tokens. Defaults to `None` (no limit).
        vocabulary: Optional `Vocabulary`, list of tokens or vocabulary file
            path; with one, `tokenize` returns int32 ids. Defaults to `None`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: String tensor or `tf.RaggedTensor` of any shape, or a Python
            string or (nested) list of strings.

    Returns:
        A `tf.RaggedTensor` one rank higher than the input (a dense 1-D tensor
        for a scalar) of string tokens, or of int32 ids with a vocabulary.

    Example:

    >>> from kerasseq.tokenizers import WordTokenizer
    >>> tokenizer = WordTokenizer()
    >>> tokens = tokenizer(["Don't panic!", "Ça va? 👍🏽"])
    >>> [[token.decode() for token in row] for row in tokens.to_list()]
    [['don', "'", 't', 'panic', '!'], ['ça', 'va', '?', '👍🏽']]
    >>> vocabulary = tokenizer.adapt(["the cat sat", "the dog"])
    >>> tokenizer(["the cat ran"]).to_list()
    [[2, 3, 1]]
    >>> tokenizer.detokenize([[2, 3, 1, 0]]).numpy().tolist()
    [b'the cat [UNK]']
    """

    def __init__(
        self,
        lowercase=True,
        split_punctuation=True,
        max_length=None,
        vocabulary=None,
        **kwargs,
    ):
        lowercase = validation.check_bool("lowercase", lowercase)
        split_punctuation = validation.check_bool(
            "split_punctuation", split_punctuation
        )
        super().__init__(vocabulary=vocabulary, max_length=max_length, **kwargs)
        self.lowercase = lowercase
        self.split_punctuation = split_punctuation

    def split(self, text):
        text = to_string_tensor(text)
        return split_words(
            text,
            lowercase=self.lowercase,
            split_punctuation=self.split_punctuation,
        )

    def _join(self, tokens):
        return tf.strings.reduce_join(tokens, axis=-1, separator=" ")

    def get_config(self):
        config = {
            "lowercase": self.lowercase,
            "split_punctuation": self.split_punctuation,
        }
        return {**super().get_config(), **config}
