"""Translation from raw strings to raw strings: seq2seq with attention, end to end."""

import dataclasses
import json
import os
import warnings
from typing import Literal

import keras
import numpy as np
import tensorflow as tf

from kerasseq import registry
from kerasseq import validation
from kerasseq.layers.attention_decoder import ATTENTIONS
from kerasseq.models.translator_model import TranslatorModel
from kerasseq.pipelines.pipeline import Pipeline
from kerasseq.preprocessors.translator_preprocessor import TranslatorPreprocessor
from kerasseq.samplers import BeamSampler
from kerasseq.samplers import GreedySampler
from kerasseq.tokenizers import CharTokenizer
from kerasseq.tokenizers import Vocabulary
from kerasseq.tokenizers import WordTokenizer

TARGET_VOCABULARY_FILE = "target_vocabulary.txt"
TRANSLATOR_FILE = "translator.json"
TOKENIZERS = ("word", "char")


@dataclasses.dataclass
class TranslatorConfig:
    """The settings of a `Translator` (see its Args)."""

    cell: str = "lstm"
    units: int = 128
    embedding_dim: int | None = None
    encoder_layers: int = 1
    decoder_layers: int | None = None
    bidirectional_encoder: bool = True
    attention: Literal["bahdanau", "luong"] = "bahdanau"
    score_mode: Literal["general", "dot", "concat"] = "general"
    tokenizer: Literal["word", "char"] = "word"
    source_tokenizer: Literal["word", "char"] | None = None
    target_tokenizer: Literal["word", "char"] | None = None
    lowercase: bool = True
    source_embeddings: str | None = None
    target_embeddings: str | None = None
    oov: Literal["random", "zeros", "mean", "subword", "cascade"] = "random"
    trainable_embeddings: Literal["all", "partial", "none"] = "all"
    max_tokens: int = 20000
    min_count: int = 1
    source_length: int | None = None
    target_length: int | None = None
    dropout: float = 0.0
    learning_rate: float = 1e-3
    clipnorm: float | None = None
    seed: int | None = None
    beam_width: int = 1
    length_penalty: float = 0.0
    max_output_length: int | None = None
    strategy: Literal["mirrored", "auto"] | None = None
    deterministic: bool = False

    def __post_init__(self):
        registry.get_cell_class(self.cell)  # An unknown name: did-you-mean error.
        for name in (
            "units",
            "encoder_layers",
            "max_tokens",
            "min_count",
            "beam_width",
        ):
            validation.check_positive_int(name, getattr(self, name))
        for name in (
            "embedding_dim",
            "decoder_layers",
            "source_length",
            "target_length",
            "max_output_length",
        ):
            validation.check_positive_int(name, getattr(self, name), allow_none=True)
        validation.check_one_of("attention", self.attention, ATTENTIONS)
        for name in ("tokenizer", "source_tokenizer", "target_tokenizer"):
            validation.check_one_of(
                name, getattr(self, name), TOKENIZERS, allow_none=name != "tokenizer"
            )
        if (
            self.trainable_embeddings != "all"
            and self.source_embeddings is None
            and self.target_embeddings is None
        ):
            raise ValueError(
                "`trainable_embeddings` other than 'all' needs pretrained "
                "`source_embeddings` or `target_embeddings`, received: "
                f"trainable_embeddings={self.trainable_embeddings!r} and neither"
            )
        validation.check_rate("dropout", self.dropout)
        validation.check_positive("learning_rate", self.learning_rate)
        validation.check_positive("clipnorm", self.clipnorm, allow_none=True)
        if not self.length_penalty >= 0:
            raise ValueError(
                "`length_penalty` must be non-negative, received: "
                f"length_penalty={self.length_penalty!r}"
            )
        if self.deterministic and self.seed is None:
            raise ValueError(
                "`deterministic=True` needs a `seed`, received: "
                "deterministic=True, seed=None"
            )


class Translator(Pipeline):
    """Translates raw texts with an attentional RNN encoder-decoder.

    `fit(sources, targets)` adapts one vocabulary per side (word or
    character level, at most `max_tokens` ids each; the target one reserves
    `[START]` and `[END]`), builds a `TranslatorModel` (embeddings, an
    `RNNEncoder`, an `AttentionDecoder` with Bahdanau or Luong attention and
    input feeding) and trains it by teacher forcing: the decoder reads
    `[START] w1 ... wn` and learns `w1 ... wn [END]`, with Adam on the
    cross-entropy averaged over the real target tokens (padding has weight
    0), logging `loss` and `token_accuracy`. Batches group sources of
    similar length (`fit(..., bucketing=True)`, the default); early stopping,
    checkpointing and the other `Pipeline.fit` arguments apply.

    `translate` decodes a batch in one `tf.function` (the samplers of
    `kerasseq.samplers` run the whole loop in the graph: greedy search for
    `beam_width=1`, beam search otherwise) and detokenizes in the graph too
    (words joined with spaces, characters without). `export` writes a
    SavedModel whose `serving_default` and `translate` signatures take raw
    `tf.string` texts `[None]` and return `{"translation", "score"}` with
    the same sampler, and that loads without kerasseq.

    Args:
        cell: Recurrent cell name of `kerasseq.registry` (`"lstm"`, `"gru"`,
            `"simple_rnn"`). Defaults to `"lstm"`.
        units: Units of every encoder layer (per direction) and decoder
            layer. Defaults to `128`.
        embedding_dim: Token vector size on both sides. Defaults to `None`:
            128, or on a side with pretrained vectors their dimension (a
            value contradicting them is an error at `fit`).
        encoder_layers: Stacked encoder layers. Defaults to `1`.
        decoder_layers: Stacked decoder layers; `None` means as many as
            `encoder_layers`. The top encoder layers' final states start the
            top decoder layers. Defaults to `None`.
        bidirectional_encoder: Whether the encoder also reads backwards
            (final states of both directions projected into the decoder's
            initial state). Defaults to `True`.
        attention: `"bahdanau"` or `"luong"`. Defaults to `"bahdanau"`.
        score_mode: Luong's score, `"general"`, `"dot"` or `"concat"`.
            Defaults to `"general"`.
        tokenizer: `"word"` (`WordTokenizer`: lower-cased words, punctuation
            split off) or `"char"` (`CharTokenizer`), for both sides unless
            overridden. Defaults to `"word"`.
        source_tokenizer: Optional `"word"` or `"char"` for the source side.
            Defaults to `None` (`tokenizer`).
        target_tokenizer: Optional `"word"` or `"char"` for the target side.
            Defaults to `None` (`tokenizer`).
        lowercase: Whether both tokenizers lower-case. Defaults to `True`.
        source_embeddings: Optional pretrained source vectors, a path or
            gensim-data name for `kerasseq.embeddings.load_vectors`, aligned
            to the source vocabulary by `build_embedding_matrix`. Defaults
            to `None`.
        target_embeddings: Likewise for the target side. Defaults to `None`.
        oov: How vocabulary tokens missing from the pretrained vectors are
            initialised (see `kerasseq.embeddings.build_embedding_matrix`).
            Defaults to `"random"`.
        trainable_embeddings: On a side with pretrained vectors: `"all"`,
            `"partial"` (only rows without a pretrained vector train) or
            `"none"`; the others need pretrained vectors. Sides without
            them always train. Defaults to `"all"`.
        max_tokens: Largest vocabulary size per side, reserved tokens
            included. Defaults to `20000`.
        min_count: Least count of a vocabulary token. Defaults to `1`.
        source_length: Optional most source tokens; longer sources keep
            their first `source_length` tokens, with a warning (in `fit`,
            `evaluate` and `translate`; the SavedModel truncates silently).
            Defaults to `None`.
        target_length: Optional most target tokens in training (before
            `[END]`). Defaults to `None`.
        dropout: Input dropout of the encoder and decoder cells. Defaults
            to `0.0`.
        learning_rate: Adam learning rate. Defaults to `1e-3`.
        clipnorm: Optional gradient norm clipping. Defaults to `None`.
        seed: Optional seed of the weights and the shuffling. Defaults to
            `None`.
        beam_width: Default beam width of `translate`, `evaluate` and of the
            exported `translate` signature (`1`: greedy). Defaults to `1`.
        length_penalty: GNMT length penalty `alpha` of beam search (`0.0`:
            plain log-probabilities). Defaults to `0.0`.
        max_output_length: Most generated tokens, `[END]` included. Defaults
            to `None`: at the first `fit`, the longest training target
            (after `target_length`) plus one, plus half of it (at least 2).
        strategy: As for `TextClassifier`: `None`, `"mirrored"`, `"auto"` or
            a `tf.distribute.Strategy`. Defaults to `None`.
        deterministic: Whether the first `fit` enables op determinism (needs
            `seed`). Defaults to `False`.

    Example:

    >>> from kerasseq.pipelines.translator import Translator
    >>> tr = Translator(units=8, embedding_dim=8, tokenizer="char", seed=1)
    >>> _ = tr.fit(["ab", "ba"] * 8, ["xy", "yx"] * 8, epochs=1, verbose=0)
    >>> len(tr.translate(["ab", "ba"], beam_width=2))
    2
    >>> sorted(tr.evaluate(["ab"], ["xy"]))
    ['bleu', 'exact_match', 'loss', 'token_accuracy']
    """

    config_class = TranslatorConfig
    name = "translator"
    DEFAULT_CHECK_TEXTS = ("25th of June, 2009", "¿Dónde está la biblioteca?", "")
    # Beam scores are sums of log-probabilities over many steps.
    EXPORT_ATOL = 1e-4

    def __init__(
        self,
        cell: str = "lstm",
        units: int = 128,
        embedding_dim: int | None = None,
        encoder_layers: int = 1,
        decoder_layers: int | None = None,
        bidirectional_encoder: bool = True,
        attention: str = "bahdanau",
        score_mode: str = "general",
        tokenizer: str = "word",
        source_tokenizer: str | None = None,
        target_tokenizer: str | None = None,
        lowercase: bool = True,
        source_embeddings: str | None = None,
        target_embeddings: str | None = None,
        oov: str = "random",
        trainable_embeddings: str = "all",
        max_tokens: int = 20000,
        min_count: int = 1,
        source_length: int | None = None,
        target_length: int | None = None,
        dropout: float = 0.0,
        learning_rate: float = 1e-3,
        clipnorm: float | None = None,
        seed: int | None = None,
        beam_width: int = 1,
        length_penalty: float = 0.0,
        max_output_length: int | None = None,
        strategy: str | tf.distribute.Strategy | None = None,
        deterministic: bool = False,
    ):
        if source_embeddings is not None:
            source_embeddings = os.fspath(source_embeddings)
        if target_embeddings is not None:
            target_embeddings = os.fspath(target_embeddings)
        settings = dict(locals())
        settings.pop("self")
        settings.pop("__class__", None)
        super().__init__(**settings)
        self.target_tokenizer = None
        self.max_output_length = None
        self._translate_functions = {}

    # === Data ===

    @property
    def source_tokenizer(self):
        """The source tokenizer (also `self.tokenizer`), or `None` unfitted."""
        return self.tokenizer

    def _texts_and_labels(self, x, y=None, labels=True):
        if hasattr(x, "sources") and hasattr(x, "targets"):  # SentencePairs
            if y is not None:
                raise ValueError(
                    f"`y` must be None when `x` ({type(x).__name__}) carries the "
                    "targets"
                )
            return x.sources, x.targets
        return super()._texts_and_labels(x, y, labels)

    def _check_labels(self, texts, labels, name="y"):
        labels = super()._check_labels(texts, labels, name)
        for index, label in enumerate(labels):
            if not isinstance(label, str):
                raise ValueError(
                    f"`{name}` must hold target strings, received: "
                    f"{name}[{index}]={label!r} of type {type(label).__name__}"
                )
        return labels

    def _targets(self, labels):
        return np.array(labels, dtype=object)

    def _metric_names(self):
        return ["loss", "token_accuracy"]

    def _to_dataset(self, x, y=None, shuffle=False, batch_size=32, bucketing=False):
        self._warn_truncated(self._check_texts(x))
        return super()._to_dataset(
            x, y, shuffle=shuffle, batch_size=batch_size, bucketing=bucketing
        )

    def _warn_truncated(self, texts, name="sources"):
        length = self.settings.source_length
        if length is None or self.tokenizer is None:
            return
        lengths = self.tokenizer.tokenize(tf.constant(texts, tf.string)).row_lengths()
        count = int(np.sum(lengths.numpy() > length))
        if count:
            warnings.warn(
                f"{count} of the {len(texts)} {name} have more than "
                f"source_length={length} tokens; they are truncated to their "
                f"first {length} tokens",
                stacklevel=3,
            )

    def _length_tokenizer(self):
        """Buckets by source length."""
        preprocessor = self.preprocessor
        return preprocessor.source_tokenizer.tokenize, preprocessor.source_length

    def _bucketed_batch(self, source_ids, targets=None):
        inputs = self.preprocessor.source_inputs(source_ids)
        if targets is None:
            return inputs
        target_ids, labels, weights = self.preprocessor.target_inputs(targets)
        return {**inputs, "target_ids": target_ids}, labels, weights

    # === Building ===

    def _make_tokenizer(self, kind, vocabulary=None):
        if kind == "char":
            return CharTokenizer(
                lowercase=self.settings.lowercase, vocabulary=vocabulary
            )
        return WordTokenizer(lowercase=self.settings.lowercase, vocabulary=vocabulary)

    def _kinds(self):
        settings = self.settings
        return (
            settings.source_tokenizer or settings.tokenizer,
            settings.target_tokenizer or settings.tokenizer,
        )

    def _build(self, texts, labels):
        settings = self.settings
        if settings.seed is not None:
            keras.utils.set_random_seed(settings.seed)
        source_kind, target_kind = self._kinds()
        source_tokenizer = self._make_tokenizer(source_kind)
        source_tokenizer.adapt(
            texts, max_tokens=settings.max_tokens, min_count=settings.min_count
        )
        target_tokenizer = self._make_tokenizer(target_kind)
        target_tokenizer.adapt(
            labels,
            max_tokens=settings.max_tokens,
            min_count=settings.min_count,
            start_end=True,
        )
        if settings.max_output_length is not None:
            self.max_output_length = settings.max_output_length
        else:
            lengths = target_tokenizer.tokenize(tf.constant(labels, tf.string))
            longest = int(tf.reduce_max(lengths.row_lengths()).numpy())
            if settings.target_length is not None:
                longest = min(longest, settings.target_length)
            self.max_output_length = longest + 1 + max(2, longest // 2)
        self.tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.preprocessor = TranslatorPreprocessor(
            source_tokenizer,
            target_tokenizer,
            source_length=settings.source_length,
            target_length=settings.target_length,
        )
        embeddings = {
            "source": self._embedding_matrix("source", source_tokenizer),
            "target": self._embedding_matrix("target", target_tokenizer),
        }
        with self._scope():
            self.model = self._build_model(embeddings)
        self._translate_functions = {}

    def _embedding_matrix(self, side, tokenizer):
        """`(dim, weights, trainable_rows, trainability)` of one side."""
        settings = self.settings
        name = f"{side}_embeddings"
        source = getattr(settings, name)
        if source is None:
            return settings.embedding_dim or 128, None, None, "all"
        from kerasseq.embeddings import build_embedding_matrix
        from kerasseq.embeddings import load_vectors

        vectors = load_vectors(source)
        if settings.embedding_dim not in (None, vectors.vector_size):
            raise ValueError(
                "`embedding_dim` contradicts the pretrained embeddings: "
                f"received embedding_dim={settings.embedding_dim}, but "
                f"{name}={source!r} has {vectors.vector_size} dimensions"
            )
        matrix = build_embedding_matrix(
            vectors, tokenizer.vocabulary, oov=settings.oov, seed=settings.seed
        )
        return (
            matrix.output_dim,
            matrix.matrix,
            matrix.trainable_rows,
            settings.trainable_embeddings,
        )

    def _build_model(self, embeddings):
        settings = self.settings
        vocabulary = self.target_tokenizer.vocabulary
        source_dim, source_weights, source_rows, source_mode = embeddings["source"]
        target_dim, target_weights, target_rows, target_mode = embeddings["target"]
        model = TranslatorModel(
            source_vocabulary_size=self.tokenizer.vocabulary_size,
            target_vocabulary_size=vocabulary.vocabulary_size,
            embedding_dim=settings.embedding_dim or 128,
            source_embedding_dim=source_dim,
            target_embedding_dim=target_dim,
            source_embedding_weights=source_weights,
            target_embedding_weights=target_weights,
            source_trainability=source_mode,
            target_trainability=target_mode,
            source_trainable_rows=source_rows,
            target_trainable_rows=target_rows,
            cell=settings.cell,
            units=settings.units,
            encoder_layers=settings.encoder_layers,
            decoder_layers=settings.decoder_layers,
            bidirectional_encoder=settings.bidirectional_encoder,
            attention=settings.attention,
            score_mode=settings.score_mode,
            dropout=settings.dropout,
            start_id=vocabulary.start_id,
            end_id=vocabulary.end_id,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(
                learning_rate=settings.learning_rate, clipnorm=settings.clipnorm
            ),
            # The mean over the real target tokens (weights 0 on padding).
            loss=keras.losses.SparseCategoricalCrossentropy(
                from_logits=True, reduction="mean_with_sample_weight"
            ),
            weighted_metrics=[
                keras.metrics.SparseCategoricalAccuracy(name="token_accuracy")
            ],
        )
        return model

    # === Files ===

    def _save_extra(self, directory):
        self.target_tokenizer.vocabulary.save(
            os.path.join(directory, TARGET_VOCABULARY_FILE)
        )
        path = os.path.join(directory, TRANSLATOR_FILE)
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"max_output_length": self.max_output_length}, file)

    def _load_extra(self, directory):
        with open(os.path.join(directory, TRANSLATOR_FILE), encoding="utf-8") as file:
            self.max_output_length = int(json.load(file)["max_output_length"])

    def _restore(self, directory):
        source_kind, target_kind = self._kinds()
        self.tokenizer = self._make_tokenizer(
            source_kind,
            Vocabulary.load(os.path.join(directory, self.VOCABULARY_FILE)),
        )
        self.target_tokenizer = self._make_tokenizer(
            target_kind,
            Vocabulary.load(os.path.join(directory, TARGET_VOCABULARY_FILE)),
        )
        self.preprocessor = TranslatorPreprocessor(
            self.tokenizer,
            self.target_tokenizer,
            source_length=self.settings.source_length,
            target_length=self.settings.target_length,
        )
        with self._scope():
            self.model = keras.saving.load_model(
                os.path.join(directory, self.MODEL_FILE)
            )
        self._translate_functions = {}

    # === Training ===

    def fit(
        self,
        sources,
        targets=None,
        validation_data=None,
        epochs: int = 1,
        batch_size: int = 32,
        verbose="auto",
        callbacks=None,
        **kwargs,
    ):
        """Trains on `(sources, targets)` by teacher forcing.

        Args:
            sources: The source texts (list, tuple, NumPy array, pandas
                Series), or a `kerasseq.data.SentencePairs` (then `targets`
                is `None`), or a `tf.data.Dataset` of `(source, target)`
                string pairs (read into lists).
            targets: Their translations, one string per source.
            validation_data: Optional `(sources, targets)` pair (or a
                `SentencePairs`), evaluated after each epoch (`val_loss`,
                `val_token_accuracy`).
            epochs, batch_size, verbose, callbacks: As for `Pipeline.fit`.
            **kwargs: The other `Pipeline.fit` arguments (`early_stopping`,
                `monitor`, `checkpoint_dir`, `backup_dir`, `log_dir`,
                `bucketing`, ...).

        Returns:
            The `keras.callbacks.History`.
        """
        if validation_data is not None and hasattr(validation_data, "sources"):
            validation_data = (validation_data.sources, validation_data.targets)
        return super().fit(
            sources,
            targets,
            validation_data=validation_data,
            epochs=epochs,
            batch_size=batch_size,
            verbose=verbose,
            callbacks=callbacks,
            **kwargs,
        )

    # === Inference ===

    def _check_decoding(self, beam_width, num_results, length_penalty):
        if beam_width is None:
            beam_width = self.settings.beam_width
        beam_width = validation.check_positive_int("beam_width", beam_width)
        num_results = validation.check_positive_int("num_results", num_results)
        if num_results > beam_width:
            raise ValueError(
                f"`num_results` must be at most `beam_width` ({beam_width}), "
                f"received: num_results={num_results!r}"
            )
        if length_penalty is None:
            length_penalty = self.settings.length_penalty
        if isinstance(length_penalty, bool) or not float(length_penalty) >= 0:
            raise ValueError(
                "`length_penalty` must be non-negative, received: "
                f"length_penalty={length_penalty!r}"
            )
        return beam_width, num_results, float(length_penalty)

    def _serving_function(self, beam_width, num_results, length_penalty, ids=False):
        """The plain function `texts -> {"translation", "score"}`.

        With `ids=True` the outputs also hold the generated `"token_ids"`.
        """
        if beam_width == 1:
            sampler = GreedySampler()
        else:
            sampler = BeamSampler(
                beam_width, length_penalty=length_penalty, num_results=num_results
            )
        preprocessor, model = self.preprocessor, self.model
        max_length = self.max_output_length

        def serve(texts):
            inputs = preprocessor(texts)
            token_ids, scores = model.generate(
                inputs["source_ids"],
                inputs["source_padding_mask"],
                sampler,
                max_length,
            )
            outputs = {
                "translation": preprocessor.detokenize(token_ids),
                "score": tf.cast(scores, tf.float32),
            }
            if ids:
                outputs["token_ids"] = token_ids
            return outputs

        return serve

    def _translate_function(self, beam_width, num_results, length_penalty):
        key = (beam_width, num_results, length_penalty)
        if key not in self._translate_functions:
            self._translate_functions[key] = tf.function(
                self._serving_function(*key, ids=True),
                input_signature=[tf.TensorSpec([None], tf.string, name="texts")],
            )
        return self._translate_functions[key]

    def translate(
        self,
        texts,
        beam_width: int | None = None,
        num_results: int = 1,
        return_scores: bool = False,
        return_attention: bool = False,
        length_penalty: float | None = None,
        batch_size: int = 64,
    ):
        """Translates raw texts, decoding each batch in one `tf.function`.

        Args:
            texts: The source texts, a list of strings (or array, Series).
            beam_width: `1` for greedy search, more for beam search.
                Defaults to `None` (the `beam_width` setting).
            num_results: How many best translations to return per text, at
                most `beam_width`. Defaults to `1`.
            return_scores: Whether to also return the scores: the sum of the
                log-probabilities of the generated tokens (`[END]`
                included), divided by GNMT's length penalty in beam search
                with `length_penalty > 0`. Defaults to `False`.
            return_attention: Whether to also return, per translation, the
                attention weights of its generation: a float32 array of
                shape `(output tokens, source tokens)`, the output tokens
                being the translation's tokens and `[END]` (when generated),
                the source tokens those of the text after truncation to
                `source_length`; each row sums to one (an empty source has
                no column). Defaults to `False`.
            length_penalty: Beam search's `alpha`. Defaults to `None` (the
                `length_penalty` setting).
            batch_size: Texts decoded per call. Defaults to `64`.

        Returns:
            A list of translations (strings) with `num_results=1`, else a
            list of lists of `num_results` translations, best first; with
            `return_scores=True` and/or `return_attention=True`, a tuple
            `(translations, scores, attention)` (without the part not asked
            for), scores and attention of the translations' structure.

        Raises:
            ValueError: on no texts, non-strings, `beam_width < 1`, or
                `num_results > beam_width`.
        """
        self._check_fitted()
        texts = self._check_texts(texts, name="texts")
        beam_width, num_results, length_penalty = self._check_decoding(
            beam_width, num_results, length_penalty
        )
        batch_size = validation.check_positive_int("batch_size", batch_size)
        self._warn_truncated(texts, name="texts")
        function = self._translate_function(beam_width, num_results, length_penalty)
        return_attention = validation.check_bool("return_attention", return_attention)
        translations, scores, attention = [], [], []
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            outputs = function(tf.constant(batch))
            translations.extend(outputs["translation"].numpy().tolist())
            scores.extend(outputs["score"].numpy().tolist())
            if return_attention:
                attention.extend(
                    self._attention_of(batch, outputs["token_ids"].numpy())
                )
        translations = tf.nest.map_structure(
            lambda item: item.decode("utf-8"), translations
        )
        results = (translations,)
        if return_scores:
            results += (scores,)
        if return_attention:
            results += (attention,)
        return results if len(results) > 1 else translations

    def _attention_of(self, texts, token_ids):
        """Attention weights of generated `token_ids` `(batch, [n,] length)`."""
        n_best = token_ids.ndim == 3
        count = token_ids.shape[1] if n_best else 1
        token_ids = token_ids.reshape(-1, token_ids.shape[-1])
        sources = [text for text in texts for _ in range(count)]
        inputs = self.preprocessor(tf.constant(sources, tf.string))
        start = np.full((len(token_ids), 1), self.model.start_id, "int32")
        decoder_inputs = np.concatenate([start, token_ids[:, :-1]], axis=1)
        weights = keras.ops.convert_to_numpy(
            self.model.attention_weights(
                inputs["source_ids"], inputs["source_padding_mask"], decoder_inputs
            )
        )
        source_lengths = np.sum(inputs["source_padding_mask"].numpy(), axis=1)
        matrices = []
        for row, ids in enumerate(token_ids):
            # Up to [END] included, or to the padding of a missing n-best.
            stops = np.flatnonzero((ids == self.model.end_id) | (ids == 0))
            length = len(ids)
            if stops.size:
                length = stops[0] + int(ids[stops[0]] == self.model.end_id)
            matrices.append(
                weights[row, :length, : source_lengths[row]].astype("float32")
            )
        if n_best:
            return [matrices[i : i + count] for i in range(0, len(matrices), count)]
        return matrices

    def attention(self, text: str, beam_width: int | None = None) -> dict:
        """Translates one text and returns its attention weights, by token.

        Args:
            text: The source text.
            beam_width: As for `translate`. Defaults to `None` (the setting).

        Returns:
            A dict: `"translation"` (str), `"source_tokens"` (the text's
            tokens after truncation to `source_length`), `"output_tokens"`
            (the generated tokens, `"[END]"` last when it was generated) and
            `"weights"`, float32 `(len(output_tokens), len(source_tokens))`.
        """
        self._check_fitted()
        if not isinstance(text, str):
            raise ValueError(
                f"`text` must be a string, received: {text!r} of type "
                f"{type(text).__name__}"
            )
        function = self._translate_function(*self._check_decoding(beam_width, 1, None))
        outputs = function(tf.constant([text]))
        ids = outputs["token_ids"].numpy()
        (weights,) = self._attention_of([text], ids)
        ids = ids[0, : len(weights)]
        vocabulary = self.target_tokenizer.vocabulary
        output_tokens = [t.decode("utf-8") for t in vocabulary.id_to_token(ids).numpy()]
        source_tokens = [t.decode("utf-8") for t in self.tokenizer.split(text).numpy()]
        return {
            "translation": outputs["translation"].numpy()[0].decode("utf-8"),
            "source_tokens": source_tokens[: weights.shape[1]],
            "output_tokens": output_tokens,
            "weights": weights,
        }

    def plot_attention(
        self,
        text: str,
        path,
        beam_width: int | None = None,
        title: str | None = None,
    ) -> str:
        """Writes the attention heatmap of one translation to a PNG.

        Columns are the source tokens, rows the output tokens (see
        `attention`); needs matplotlib (`kerasseq[plot]`).

        Args:
            text: The source text (with at least one token).
            path: The PNG file to write.
            beam_width: As for `translate`. Defaults to `None` (the setting).
            title: Optional title. Defaults to `"text → translation"`.

        Returns:
            The path written.
        """
        from kerasseq.plotting import plot_attention

        result = self.attention(text, beam_width=beam_width)
        if title is None:
            title = f"{text} → {result['translation']}"
        # A space (a character-level token) is shown as "␣".
        source_tokens = [
            token if token.strip() else "␣" for token in result["source_tokens"]
        ]
        return plot_attention(
            result["weights"],
            source_tokens,
            result["output_tokens"],
            path,
            title=title,
        )

    def predict(self, x, batch_size: int = 64, verbose=0):
        """The translations of `x` with the default decoding settings."""
        return self.translate(x, batch_size=batch_size)

    def _normalize(self, texts):
        """Texts as the target tokenizer sees them (split, then joined)."""
        tokenizer = self.target_tokenizer
        joined = tokenizer.detokenize(tokenizer.split(tf.constant(texts, tf.string)))
        return [text.decode("utf-8") for text in joined.numpy().tolist()]

    def evaluate(
        self,
        sources,
        references=None,
        beam_width: int | None = None,
        batch_size: int = 64,
        verbose=0,
    ) -> dict:
        """Scores the translations of `sources` against `references`.

        The references are normalised as the target tokenizer splits them
        (lower-cased, punctuation split off for words) before comparison.

        Returns:
            A dict of floats: `"exact_match"` (fraction of translations equal
            to their reference), `"bleu"` (`sacrebleu.corpus_bleu`, 0-100,
            on the tokenized texts; character n-grams for a character-level
            target), and the teacher-forced `"loss"` (mean cross-entropy per
            target token, `[END]` included) and `"token_accuracy"` (fraction
            of target tokens predicted right from the true prefix).
        """
        import sacrebleu

        self._check_fitted()
        sources, references = self._texts_and_labels(sources, references)
        sources = self._check_texts(sources, name="sources")
        references = self._check_labels(sources, references, name="references")
        translations = self.translate(
            sources, beam_width=beam_width, batch_size=batch_size
        )
        normalized = self._normalize(references)
        exact = np.mean([t == r for t, r in zip(translations, normalized)])
        character_level = self._kinds()[1] == "char"
        # The texts are tokenized on purpose: `force` keeps sacrebleu from
        # warning that they look tokenized.
        bleu = sacrebleu.corpus_bleu(
            translations,
            [normalized],
            tokenize="char" if character_level else "none",
            force=True,
        )
        total_loss = correct = count = 0.0
        dataset = self._to_dataset(sources, references, batch_size=batch_size)
        for inputs, labels, weights in dataset:
            logits = self.model(inputs, training=False)
            losses = keras.losses.sparse_categorical_crossentropy(
                labels, logits, from_logits=True
            )
            hits = tf.cast(
                tf.argmax(logits, axis=-1, output_type=tf.int32) == labels, tf.float32
            )
            total_loss += float(tf.reduce_sum(losses * weights))
            correct += float(tf.reduce_sum(hits * weights))
            count += float(tf.reduce_sum(weights))
        return {
            "exact_match": float(exact),
            "token_accuracy": correct / count,
            "loss": total_loss / count,
            "bleu": float(bleu.score),
        }

    # === Export ===

    def export(
        self,
        directory,
        check_texts=None,
        beam_width: int | None = None,
        overwrite: bool = False,
    ) -> None:
        """Exports a SavedModel that translates raw strings, and checks it.

        Signatures, each taking `texts`, `tf.string` `[None]`, and returning
        `{"translation": tf.string [None], "score": float32 [None]}`:
        `translate` (beam search of `beam_width`, greedy for 1) and its alias
        `serving_default`, and `greedy`. Tokenization, decoding and
        detokenization run in the graph with core TensorFlow ops, so it
        serves in a process that never imports kerasseq (checked in a fresh
        process against `translate` on `check_texts` before the folder is
        renamed into place; see `Pipeline.export`).

        Args:
            directory: The SavedModel folder to create.
            check_texts: Optional texts for the check. Defaults to a few
                fixed ones (an empty one included).
            beam_width: Beam width of `translate`. Defaults to `None` (the
                `beam_width` setting).
            overwrite: Whether to replace an existing `directory`.

        Raises:
            RuntimeError: when the reloaded SavedModel fails or answers
                differently from `translate`.
        """
        self._check_fitted()
        beam_width, _, length_penalty = self._check_decoding(beam_width, 1, None)
        self._export(
            directory,
            check_texts,
            overwrite,
            beam_width=beam_width,
            length_penalty=length_penalty,
        )

    def _serving_endpoints(self, beam_width, length_penalty):
        return {
            "translate": self._serving_function(beam_width, 1, length_penalty),
            "greedy": self._serving_function(1, 1, 0.0),
        }

    def _expected_serving_outputs(self, texts, beam_width, length_penalty):
        translations, scores = self.translate(
            texts,
            beam_width=beam_width,
            length_penalty=length_penalty,
            return_scores=True,
        )
        return {
            "translation": np.array(translations, dtype=object),
            "score": np.array(scores, dtype="float32"),
        }
