"""Pretrained word vectors: loading, caching, aligning to a vocabulary, training.

The only part of kerasseq that uses gensim, and it imports gensim lazily
(inside the functions), so `import kerasseq.embeddings` stays cheap.

- `load_vectors(source, format=None)`: GloVe, word2vec text and binary,
  fastText `.vec` and `.bin`, gensim files and gensim-data names into a gensim
  `KeyedVectors`, with a memory-mapped reload cache (`cache`).
- `build_embedding_matrix(vectors, vocabulary, oov=...)`: a float32 matrix
  aligned to the vocabulary, with a printable `CoverageReport` and the rows
  to train under partial trainability (`kerasseq.layers.PretrainedEmbedding`).
- `pretrained_tokens(vectors, count, vocabulary, tokenizer)`: the most
  frequent pretrained words a vocabulary lacks, to extend it with.
- `train_word2vec`, `train_fasttext`: vectors from your own corpus.
- `evaluate_analogies`, `evaluate_similarity`: analogy accuracy and
  word-similarity correlation on the test sets that gensim installs.

Example:

>>> import pathlib, tempfile
>>> from kerasseq import embeddings
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> path = folder / "vectors.txt"
>>> _ = path.write_text("the 0.1 0.2\\ncat 0.3 0.4\\n")
>>> vectors = embeddings.load_vectors(path, cache_dir=folder)
>>> result = embeddings.build_embedding_matrix(
...     vectors, ["[PAD]", "[UNK]", "the", "cat", "dog"], seed=0
... )
>>> print(result.coverage)  # doctest: +NORMALIZE_WHITESPACE
Embedding coverage (3 vocabulary types; 2 special rows; oov='random')
                          types    share
exact                         2    66.7%
after lower-casing            0     0.0%
after digit normalisation     0     0.0%
by fastText subwords          0     0.0%
not found                     1    33.3%
total found                   2    66.7%
not found, e.g.: 'dog'
"""

from kerasseq.embeddings import cache
from kerasseq.embeddings.embedding_matrix import OOV_POLICIES
from kerasseq.embeddings.embedding_matrix import CoverageReport
from kerasseq.embeddings.embedding_matrix import EmbeddingMatrix
from kerasseq.embeddings.embedding_matrix import build_embedding_matrix
from kerasseq.embeddings.embedding_matrix import pretrained_tokens
from kerasseq.embeddings.evaluation import AnalogyResult
from kerasseq.embeddings.evaluation import SimilarityResult
from kerasseq.embeddings.evaluation import evaluate_analogies
from kerasseq.embeddings.evaluation import evaluate_similarity
from kerasseq.embeddings.formats import FORMATS
from kerasseq.embeddings.formats import detect_format
from kerasseq.embeddings.loading import gensim_data_path
from kerasseq.embeddings.loading import keyed_vectors
from kerasseq.embeddings.loading import load_vectors
from kerasseq.embeddings.parsing import VectorFileError
from kerasseq.embeddings.training import train_fasttext
from kerasseq.embeddings.training import train_word2vec

__all__ = [
    "FORMATS",
    "OOV_POLICIES",
    "AnalogyResult",
    "CoverageReport",
    "EmbeddingMatrix",
    "SimilarityResult",
    "VectorFileError",
    "build_embedding_matrix",
    "cache",
    "detect_format",
    "evaluate_analogies",
    "evaluate_similarity",
    "gensim_data_path",
    "keyed_vectors",
    "load_vectors",
    "pretrained_tokens",
    "train_fasttext",
    "train_word2vec",
]
