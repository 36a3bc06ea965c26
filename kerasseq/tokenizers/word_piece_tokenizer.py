"""WordPiece subword tokenizer on tensorflow-text (imported lazily)."""

import re

import keras
import tensorflow as tf

from kerasseq import validation
from kerasseq.tokenizers.tokenizer import Tokenizer
from kerasseq.tokenizers.tokenizer import to_string_tensor
from kerasseq.tokenizers.tokenizer import truncate
from kerasseq.tokenizers.vocabulary import UNK
from kerasseq.tokenizers.vocabulary import Vocabulary
from kerasseq.tokenizers.vocabulary import count_tokens
from kerasseq.tokenizers.vocabulary import reserved_tokens
from kerasseq.tokenizers.word_tokenizer import split_words

DEFAULT_VOCABULARY_SIZE = 8000


@keras.saving.register_keras_serializable(package="kerasseq")
class WordPieceTokenizer(Tokenizer):
    """Splits text into WordPiece subwords (BERT's scheme) and maps them to ids.

    Text is first split into words exactly as `WordTokenizer` does (core TF
    ops: Unicode lower-casing, punctuation and symbols as tokens of their own,
    Unicode whitespace), then each word is split greedily into the longest
    vocabulary pieces from its start; pieces after the first carry the
    `suffix_indicator` (`"unaffable"` → `un ##aff ##able`). A word with a
    character missing from the vocabulary, or longer than
    `max_bytes_per_word`, becomes `[UNK]`. The subword step is
    tensorflow-text's `FastWordpieceTokenizer`, so a SavedModel holding this
    tokenizer needs `import tensorflow_text` before `tf.saved_model.load`
    (the word and character tokenizers do not). tensorflow-text is imported
    only when a vocabulary is set or learned, never by
    `import kerasseq.tokenizers`.

    `adapt` learns a vocabulary from a corpus with tensorflow-text's WordPiece
    learner (`tensorflow_text.tools.wordpiece_vocab`): every character of the
    corpus words (up to 1000 distinct ones) and its suffix form, then the most
    useful longer pieces until `max_tokens` is reached.

    `detokenize` joins the pieces of a word and the words with single spaces,
    giving the text as `WordTokenizer` normalizes it (`[UNK]` where a word was
    unknown).

    Args:
        vocabulary: Optional `Vocabulary`, list of tokens or vocabulary file
            path (starting with `"[PAD]"`, `"[UNK]"`). Needed by `tokenize`;
            `adapt` learns one. Defaults to `None`.
        lowercase: Boolean, whether to lower-case the text. Defaults to `True`.
        split_punctuation: Boolean, whether punctuation and symbols become
            words of their own. Defaults to `True`.
        max_length: Optional positive integer; each text keeps its first
            `max_length` pieces. Defaults to `None` (no limit).
        suffix_indicator: Non-empty string that marks a piece continuing a
            word. Defaults to `"##"`.
        max_bytes_per_word: Positive integer; longer words become `[UNK]`.
            Defaults to `100`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: String tensor or `tf.RaggedTensor` of any shape, or a Python
            string or (nested) list of strings.

    Returns:
        A `tf.RaggedTensor` of int32 piece ids, one rank higher than the input
        (a dense 1-D tensor for a scalar).

    Example:

    >>> from kerasseq.tokenizers import WordPieceTokenizer
    >>> vocabulary = ["[PAD]", "[UNK]", "un", "##aff", "##able", "the", "."]
    >>> tokenizer = WordPieceTokenizer(vocabulary)
    >>> tokenizer(["The unaffable."]).to_list()
    [[5, 2, 3, 4, 6]]
    >>> tokenizer.detokenize([[5, 2, 3, 4, 6, 0]]).numpy().tolist()
    [b'the unaffable .']

    Reference:
        - [Wu et al., 2016. Google's Neural Machine Translation System](
          https://arxiv.org/abs/1609.08144)
        - [Song et al., 2021. Fast WordPiece Tokenization](
          https://arxiv.org/abs/2012.15524)
    """

    def __init__(
        self,
        vocabulary=None,
        lowercase=True,
        split_punctuation=True,
        max_length=None,
        suffix_indicator="##",
        max_bytes_per_word=100,
        **kwargs,
    ):
        if not isinstance(suffix_indicator, str) or not suffix_indicator:
            raise ValueError(
                "`suffix_indicator` must be a non-empty string, received: "
                f"suffix_indicator={suffix_indicator!r}"
            )
        max_bytes_per_word = validation.check_positive_int(
            "max_bytes_per_word", max_bytes_per_word
        )
        lowercase = validation.check_bool("lowercase", lowercase)
        split_punctuation = validation.check_bool(
            "split_punctuation", split_punctuation
        )
        super().__init__(vocabulary=vocabulary, max_length=max_length, **kwargs)
        self.lowercase = lowercase
        self.split_punctuation = split_punctuation
        self.suffix_indicator = suffix_indicator
        self.max_bytes_per_word = max_bytes_per_word
        self.wordpiece = None
        if self.vocabulary is not None:
            self._build_wordpiece()

    def _build_wordpiece(self):
        import tensorflow_text

        self.wordpiece = tensorflow_text.FastWordpieceTokenizer(
            vocab=self.vocabulary.get_vocabulary(),
            suffix_indicator=self.suffix_indicator,
            max_bytes_per_word=self.max_bytes_per_word,
            token_out_type=tf.int32,
            unknown_token=UNK,
            no_pretokenization=True,
        )

    def split(self, text):
        """Splits text into words (before WordPiece): what `adapt` counts."""
        text = to_string_tensor(text)
        return split_words(
            text,
            lowercase=self.lowercase,
            split_punctuation=self.split_punctuation,
        )

    def tokenize(self, text):
        if self.vocabulary is None:
            raise ValueError(
                "WordPieceTokenizer needs a vocabulary to tokenize: pass "
                "`vocabulary` or call `adapt` first"
            )
        words = self.split(text)
        pieces = self.wordpiece.tokenize(words)
        # [..., words, pieces] → [..., pieces]
        if isinstance(pieces, tf.RaggedTensor) and pieces.shape.rank == 2:
            pieces = pieces.flat_values
        else:
            pieces = pieces.merge_dims(-2, -1)
        if self.max_length is not None:
            pieces = truncate(pieces, self.max_length)
        return pieces

    def _join(self, tokens):
        text = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
        return tf.strings.regex_replace(
            text, " " + re.escape(self.suffix_indicator), ""
        )

    def set_vocabulary(self, vocabulary):
        super().set_vocabulary(vocabulary)
        self._build_wordpiece()

    def adapt(
        self,
        corpus,
        max_tokens=None,
        min_count=1,
        start_end=False,
        **learn_params,
    ):
        """Learns a WordPiece vocabulary from a corpus and sets it.

        Args:
            corpus: A `tf.data.Dataset` of strings or an iterable of strings.
            max_tokens: Optional positive integer, the target vocabulary size,
                reserved tokens included. The learner searches a count
                threshold that brings the size close to it; as it keeps every
                character and its suffix form, it can end a little above
                (1007 for 1000 on 2,000 movie-review sentences). Defaults to
                `None`, 8000.
            min_count: Positive integer; words seen fewer times are ignored.
                Defaults to `1`.
            start_end: Boolean, whether to reserve `[START]` and `[END]`.
                Defaults to `False`.
            **learn_params: Extra arguments of tensorflow-text's
                `wordpiece_tokenizer_learner_lib.learn`, such as
                `max_unique_chars` or `max_token_length`.

        Returns:
            The tokenizer's `Vocabulary`.
        """
        max_tokens = validation.check_positive_int(
            "max_tokens", max_tokens, allow_none=True
        )
        min_count = validation.check_positive_int("min_count", min_count)
        reserved = reserved_tokens(validation.check_bool("start_end", start_end))
        if max_tokens is None:
            max_tokens = DEFAULT_VOCABULARY_SIZE
        if max_tokens <= len(reserved):
            raise ValueError(
                "`max_tokens` must be greater than the number of reserved "
                f"tokens {reserved}, received: max_tokens={max_tokens}"
            )
        word_counts = {
            word: count
            for word, count in count_tokens(corpus, tokenizer=self).items()
            if count >= min_count
        }
        from tensorflow_text.tools.wordpiece_vocab import (
            wordpiece_tokenizer_learner_lib as learner,
        )

        tokens = learner.learn(
            word_counts,
            vocab_size=max_tokens,
            reserved_tokens=reserved,
            joiner=self.suffix_indicator,
            **learn_params,
        )
        self.set_vocabulary(Vocabulary(tokens))
        return self.vocabulary

    def get_config(self):
        config = {
            "lowercase": self.lowercase,
            "split_punctuation": self.split_punctuation,
            "suffix_indicator": self.suffix_indicator,
            "max_bytes_per_word": self.max_bytes_per_word,
        }
        return {**super().get_config(), **config}
