"""Quality of word vectors: analogies and word-similarity correlation (gensim)."""

import dataclasses
import logging
import os
import pathlib

import numpy as np

from kerasseq import validation


def _gensim_test_file(name: str) -> str:
    from gensim.test.utils import datapath

    return datapath(name)


@dataclasses.dataclass(frozen=True)
class AnalogyResult:
    """Accuracy on word analogies `a : b :: c : ?`.

    Attributes:
        accuracy: Share of the evaluated questions answered exactly, in `[0, 1]`.
        correct: Number of questions answered exactly.
        total: Number of questions evaluated (all four words within the
            restricted vocabulary).
        sections: Mapping section name -> accuracy, e.g.
            `"capital-common-countries"`; the summary rows are left out.
        skipped: Questions skipped because a word was outside the vocabulary.
    """

    accuracy: float
    correct: int
    total: int
    sections: dict
    skipped: int

    def __str__(self) -> str:
        return (
            f"analogy accuracy {self.accuracy:.1%} ({self.correct:,}/{self.total:,}"
            f" questions; {self.skipped:,} skipped for unknown words)"
        )


@dataclasses.dataclass(frozen=True)
class SimilarityResult:
    """Correlation of vector cosine similarity with human similarity scores.

    Attributes:
        pearson: Pearson correlation coefficient.
        spearman: Spearman rank correlation (the usual headline figure).
        oov_ratio: Share of the pairs skipped because a word was unknown, in
            `[0, 1]`.
    """

    pearson: float
    spearman: float
    oov_ratio: float

    def __str__(self) -> str:
        return (
            f"similarity: Spearman {self.spearman:.3f}, Pearson {self.pearson:.3f}"
            f" ({self.oov_ratio:.1%} of the pairs skipped)"
        )


def evaluate_analogies(
    vectors,
    questions: str | os.PathLike | None = None,
    restrict_vocab: int = 30_000,
    case_insensitive: bool = True,
    method: str = "batched",
    batch_size: int = 256,
) -> AnalogyResult:
    """Analogy accuracy by 3CosAdd, as gensim's `evaluate_word_analogies`.

    Each question `a b c d` counts as correct when `d` is the word nearest
    (by cosine) to `b - a + c` (unit vectors; `a`, `b`, `c` excluded) among
    the `restrict_vocab` most frequent words; questions with a word outside
    them are skipped. This is the rule of the word2vec tool's
    `compute-accuracy` and of gensim's `evaluate_word_analogies`.

    `method="batched"` (the default) scores the questions in batches, one
    matrix product each, and gives gensim's answers (up to float rounding in
    exact ties): on questions-words.txt with 30,000 GloVe words it took ~2 s
    where gensim's question-by-question loop took 9 s (46 s on a busy
    machine, where its many small BLAS calls fight for the cores).
    `method="gensim"` calls gensim's evaluator itself.

    Args:
        vectors: A gensim `KeyedVectors`, words in descending frequency.
        questions: Path of a questions file in the word2vec format
            (`: section` lines, then `a b c d`). Defaults to Google's
            `questions-words.txt` (19,544 questions), installed with gensim.
        restrict_vocab: Only the first (most frequent) words are candidates
            and questions. Defaults to `30_000`, the usual setting.
        case_insensitive: Compare upper-cased words, as the word2vec tool.
            Defaults to `True`.
        method: `"batched"` or `"gensim"`. Defaults to `"batched"`.
        batch_size: Questions scored at once by the batched method. Defaults
            to `256`.

    Returns:
        An `AnalogyResult`.

    Example:

    >>> from kerasseq.embeddings import evaluate_analogies, keyed_vectors
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "questions.txt"
    >>> _ = path.write_text(": family\\nman woman king queen\\n")
    >>> vectors = keyed_vectors(
    ...     ["man", "woman", "king", "queen", "car"],
    ...     np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, -1, 0]], "f"),
    ... )
    >>> evaluate_analogies(vectors, path).accuracy
    1.0
    """
    restrict_vocab = validation.check_positive_int("restrict_vocab", restrict_vocab)
    batch_size = validation.check_positive_int("batch_size", batch_size)
    if method not in ("batched", "gensim"):
        raise ValueError(
            f"`method` must be 'batched' or 'gensim', received: method={method!r}"
        )
    if questions is None:
        questions = _gensim_test_file("questions-words.txt")
    path = pathlib.Path(questions)
    if not path.is_file():
        raise FileNotFoundError(f"No analogy questions file at {path}")
    if method == "gensim":
        sections, skipped = _gensim_analogies(
            vectors, path, restrict_vocab, case_insensitive
        )
    else:
        sections, skipped = _batched_analogies(
            vectors, path, restrict_vocab, case_insensitive, batch_size
        )
    correct = sum(right for right, _ in sections.values())
    total = sum(right + wrong for right, wrong in sections.values())
    return AnalogyResult(
        accuracy=_share(correct, total),
        correct=correct,
        total=total,
        sections={
            name: _share(right, right + wrong)
            for name, (right, wrong) in sections.items()
        },
        skipped=skipped,
    )


def _gensim_analogies(vectors, path, restrict_vocab, case_insensitive):
    gensim_logger = logging.getLogger("gensim.models.keyedvectors")
    level = gensim_logger.level
    gensim_logger.setLevel(max(level, logging.WARNING))  # one log line per section
    try:
        _, sections = vectors.evaluate_word_analogies(
            str(path), restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
        )
    finally:
        gensim_logger.setLevel(level)
    counts = {
        s["section"]: (len(s["correct"]), len(s["incorrect"]))
        for s in sections
        if s["section"] != "Total accuracy"
    }
    return counts, _count_questions(path) - sum(map(sum, counts.values()))


def _count_questions(path):
    return sum(
        1
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith(": ") and len(line.split()) == 4
    )


def _batched_analogies(vectors, path, restrict_vocab, case_insensitive, batch_size):
    keys = vectors.index_to_key[:restrict_vocab]
    fold = str.upper if case_insensitive else str
    # As gensim: the most frequent spelling wins when several fold together.
    ok_vocab = {fold(key): index for index, key in reversed(list(enumerate(keys)))}
    table = np.asarray(vectors.vectors[: len(keys)], np.float32)
    norms = np.linalg.norm(table, axis=1)
    unit = table / np.where(norms > 0, norms, 1)[:, None]
    folded = [fold(key) for key in keys]

    sections, section, questions, skipped = {}, None, [], 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.startswith(": "):
            section = line[2:].strip()
            sections.setdefault(section, [0, 0])
            continue
        words = [fold(word) for word in line.split()]
        if len(words) != 4:
            continue
        if section is None:
            raise ValueError(f"{path}, line {number + 1}: a question before a section")
        if any(word not in ok_vocab for word in words):
            skipped += 1
            continue
        questions.append((section, *words))

    for start in range(0, len(questions), batch_size):
        batch = questions[start : start + batch_size]
        ids = np.array([[ok_vocab[w] for w in q[1:4]] for q in batch])
        # Unit mean of b + c - a, scored against every candidate by cosine.
        mean = (unit[ids[:, 1]] + unit[ids[:, 2]] - unit[ids[:, 0]]) / 3
        mean /= np.linalg.norm(mean, axis=1, keepdims=True)
        scores = mean @ unit.T
        np.put_along_axis(scores, ids, -np.inf, axis=1)
        best = np.argmax(scores, axis=1)
        for row, (name, a, b, c, expected) in enumerate(batch):
            predicted = folded[best[row]]
            if predicted in (a, b, c):
                # The best is another spelling of a question word: as gensim,
                # take the next of the 5 best that is not (else the 5th).
                top = np.argsort(-scores[row], kind="stable")[:5]
                for candidate in top:
                    predicted = folded[candidate]
                    if predicted not in (a, b, c):
                        break
            sections[name][0 if predicted == expected else 1] += 1
    return {name: tuple(counts) for name, counts in sections.items()}, skipped


def _share(part, whole):
    return part / whole if whole else 0.0


def evaluate_similarity(
    vectors,
    pairs: str | os.PathLike | None = None,
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
) -> SimilarityResult:
    """Word-similarity correlation with gensim's `evaluate_word_pairs`.

    Args:
        vectors: A gensim `KeyedVectors`.
        pairs: Path of a tab-separated file `word1 word2 score` (`#` lines are
            comments). Defaults to WordSim-353 (`wordsim353.tsv`), installed
            with gensim; `simlex999.txt` is there too.
        restrict_vocab: Only the first words of `vectors` are used. Defaults
            to `300_000`.
        case_insensitive: Compare upper-cased words. Defaults to `True`.

    Returns:
        A `SimilarityResult`.
    """
    restrict_vocab = validation.check_positive_int("restrict_vocab", restrict_vocab)
    if pairs is None:
        pairs = _gensim_test_file("wordsim353.tsv")
    path = pathlib.Path(pairs)
    if not path.is_file():
        raise FileNotFoundError(f"No word-pairs file at {path}")
    pearson, spearman, oov_ratio = vectors.evaluate_word_pairs(
        str(path), restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
    )
    return SimilarityResult(
        pearson=float(pearson[0]),
        spearman=float(spearman[0]),
        oov_ratio=float(oov_ratio) / 100.0,
    )
