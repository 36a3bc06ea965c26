"""Character tokenizer: user-perceived characters, from core TensorFlow ops."""

import keras
import tensorflow as tf

from kerasseq import validation
from kerasseq.tokenizers.tokenizer import Tokenizer
from kerasseq.tokenizers.tokenizer import lower
from kerasseq.tokenizers.tokenizer import map_strings
from kerasseq.tokenizers.tokenizer import split_on
from kerasseq.tokenizers.tokenizer import to_string_tensor

# A byte that never occurs in valid UTF-8, used to mark character boundaries.
_BOUNDARY = b"\xff"

# Hangul jungseong and jongseong (medial vowels, final consonants), which
# extend a leading consonant into one syllable in decomposed (NFD) Korean.
_HANGUL_EXTEND = r"\x{1160}-\x{11FF}\x{D7B0}-\x{D7FF}"

# One character (an approximation of a Unicode extended grapheme cluster,
# UAX #29): CR LF; a pair of regional indicators (a flag); or any code point
# followed by its combining marks (\p{M}: accents, variation selectors, the
# keycap mark), emoji skin-tone modifiers, tag characters, Hangul vowel and
# final jamo, and zero-width joiners with the symbol each one joins.
CHARACTER = (
    r"(?s)\r\n|[\x{1F1E6}-\x{1F1FF}]{2}|.(?:\x{200D}\p{S}|[\p{M}\x{200D}"
    r"\x{1F3FB}-\x{1F3FF}\x{E0020}-\x{E007F}" + _HANGUL_EXTEND + r"])*"
)


def split_characters(text):
    """Splits UTF-8 strings into characters (grapheme clusters), in-graph.

    Args:
        text: String tensor or `tf.RaggedTensor` of any shape.

    Returns:
        The characters, one rank higher than `text`.
    """
    # Mark the start of every character with a byte that valid UTF-8 never
    # holds and split on it.
    marked = map_strings(
        lambda t: tf.strings.regex_replace(t, CHARACTER, _BOUNDARY + rb"\0"), text
    )
    return split_on(marked, _BOUNDARY)


@keras.saving.register_keras_serializable(package="kerasseq")
class CharTokenizer(Tokenizer):
    """Splits text into Unicode characters (not bytes), in-graph.

    A character is what a reader sees as one: a code point together with the
    combining marks that follow it (`"e"` + U+0301 is one character `"é"`),
    an emoji with its skin-tone modifier and variation selector (`"👍🏽"`,
    `"❤️"`), a zero-width-joiner sequence (`"👨‍👩‍👧"`), a flag (two regional
    indicators, `"🇰🇷"`), a keycap (`"1️⃣"`), CR LF, and a decomposed Hangul
    syllable. This approximates the extended grapheme clusters of Unicode
    UAX #29 with one RE2 regular expression; it does not join Indic conjuncts
    and treats a joiner after any character as joining. Whitespace characters
    are tokens too. Input must be valid UTF-8.

    Built from core TensorFlow ops only, so a SavedModel holding it loads
    without tensorflow-text. `detokenize` concatenates the characters, so
    `detokenize(tokenize(text)) == text` when `lowercase=False` and nothing
    was truncated.

    Args:
        lowercase: Boolean, whether to lower-case the text first (Unicode
            case mapping). Defaults to `False`.
        max_length: Optional positive integer; each text keeps its first
            `max_length` characters. Defaults to `None` (no limit).
        vocabulary: Optional `Vocabulary`, list of tokens or vocabulary file
            path; with one, `tokenize` returns int32 ids. Defaults to `None`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: String tensor or `tf.RaggedTensor` of any shape, or a Python
            string or (nested) list of strings.

    Returns:
        A `tf.RaggedTensor` one rank higher than the input (a dense 1-D tensor
        for a scalar) of characters, or of int32 ids with a vocabulary.

    Example:

    >>> from kerasseq.tokenizers import CharTokenizer
    >>> tokenizer = CharTokenizer()
    >>> text = "Cafe\\u0301 👍🏽"
    >>> characters = [c.decode() for c in tokenizer(text).numpy()]
    >>> characters[:3], len(characters)
    (['C', 'a', 'f'], 6)
    >>> [len(c) for c in characters]  # code points in each character
    [1, 1, 1, 2, 1, 2]
    >>> tokenizer.detokenize(tokenizer([text])).numpy()[0].decode() == text
    True
    """

    def __init__(self, lowercase=False, max_length=None, vocabulary=None, **kwargs):
        lowercase = validation.check_bool("lowercase", lowercase)
        super().__init__(vocabulary=vocabulary, max_length=max_length, **kwargs)
        self.lowercase = lowercase

    def split(self, text):
        text = to_string_tensor(text)
        if self.lowercase:
            text = map_strings(lower, text)
        return split_characters(text)

    def _join(self, tokens):
        return tf.strings.reduce_join(tokens, axis=-1)

    def get_config(self):
        return {**super().get_config(), "lowercase": self.lowercase}
