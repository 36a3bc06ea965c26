"""Tokenizers and vocabularies: text to ids in the TensorFlow graph.

`WordTokenizer` and `CharTokenizer` use core TensorFlow ops only, so models
exported with them load where tensorflow-text is not installed.
`WordPieceTokenizer` needs tensorflow-text, which it imports only when used.
"""

from kerasseq.tokenizers.char_tokenizer import CharTokenizer
from kerasseq.tokenizers.tokenizer import Tokenizer
from kerasseq.tokenizers.vocabulary import Vocabulary
from kerasseq.tokenizers.vocabulary import count_tokens
from kerasseq.tokenizers.vocabulary import reserved_tokens
from kerasseq.tokenizers.word_piece_tokenizer import WordPieceTokenizer
from kerasseq.tokenizers.word_tokenizer import WordTokenizer

__all__ = [
    "CharTokenizer",
    "Tokenizer",
    "Vocabulary",
    "WordPieceTokenizer",
    "WordTokenizer",
    "count_tokens",
    "reserved_tokens",
]
