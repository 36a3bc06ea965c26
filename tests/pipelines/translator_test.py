import json
import os
import textwrap
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasseq.data import SentencePairs
from kerasseq.data.dates import generate_dates
from kerasseq.data.dates import split_dates
from kerasseq.pipelines import TextClassifier
from kerasseq.pipelines.translator import Translator
from kerasseq.pipelines.translator import TranslatorConfig
from kerasseq.samplers import BeamSampler
from tests.test_case import TestCase
from tests.test_case import run_python

# Reloads a SavedModel with TensorFlow alone and prints what its signatures
# answer: argv[1] the folder, argv[2] the texts as JSON.
RELOAD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    revived = tf.saved_model.load(sys.argv[1])
    texts = tf.constant(json.loads(sys.argv[2]), tf.string)
    result = {}
    for name in ("serving_default", "translate", "greedy"):
        outputs = revived.signatures[name](texts=texts)
        result[name] = {
            "translation": [t.decode("utf-8") for t in outputs["translation"].numpy()],
            "score": outputs["score"].numpy().tolist(),
        }
    result["imported"] = sorted(
        name for name in ("kerasseq", "tensorflow_text") if name in sys.modules
    )
    print(json.dumps(result))
    """
)

_FITTED = {}


def fitted_dates_translator():
    """A tiny character-level date translator, trained once per process."""
    if "dates" not in _FITTED:
        pairs = generate_dates(300, seed=3)
        translator = Translator(
            tokenizer="char",
            units=16,
            embedding_dim=8,
            seed=1,
            learning_rate=1e-2,
            beam_width=3,
        )
        translator.fit(pairs, epochs=2, batch_size=32, verbose=0)
        _FITTED["dates"] = (translator, pairs)
    return _FITTED["dates"]


class TranslatorTest(TestCase):
    @pytest.mark.slow
    def test_dates_reach_a_floor(self):
        # Measured: 4 epochs give held-out token accuracy 0.88, exact match
        # 0.27 and character BLEU 71 (about 30 s on 2 loaded cores).
        train, held_out = split_dates(generate_dates(2000, seed=0), held_out=0.1)
        translator = Translator(
            tokenizer="char", units=32, embedding_dim=16, seed=1, learning_rate=1e-2
        )
        history = translator.fit(
            train,
            validation_data=held_out,
            epochs=4,
            batch_size=64,
            verbose=0,
        )
        self.assertEqual(
            sorted(history.history),
            ["loss", "token_accuracy", "val_loss", "val_token_accuracy"],
        )
        self.assertLess(history.history["loss"][-1], history.history["loss"][0])
        scores = translator.evaluate(held_out.sources, held_out.targets)
        self.assertEqual(
            sorted(scores), ["bleu", "exact_match", "loss", "token_accuracy"]
        )
        # Chance is about 1/14 per character.
        self.assertGreaterEqual(scores["token_accuracy"], 0.75)
        self.assertGreaterEqual(scores["exact_match"], 0.1)
        self.assertGreaterEqual(scores["bleu"], 50.0)
        self.assertAllClose(scores["loss"], history.history["val_loss"][-1], rtol=1e-3)
        self.assertAllClose(
            scores["token_accuracy"],
            history.history["val_token_accuracy"][-1],
            rtol=1e-3,
        )

    def test_translate_outputs(self):
        translator, pairs = fitted_dates_translator()
        texts = pairs.sources[:5]
        translations = translator.translate(texts)  # The default beam of 3.
        self.assertLen(translations, 5)
        self.assertTrue(all(isinstance(t, str) for t in translations))
        # Characters are joined without spaces.
        self.assertFalse(any(" " in t for t in translations))
        translations, scores = translator.translate(
            texts, beam_width=1, return_scores=True
        )
        self.assertLen(scores, 5)
        self.assertTrue(all(s <= 0 for s in scores))
        self.assertEqual(translator.predict(texts), translator.translate(texts))
        # Batches of 2 give what one batch gives.
        self.assertEqual(
            translator.translate(texts, batch_size=2), translator.translate(texts)
        )

    def test_beam_width_one_equals_greedy(self):
        translator, pairs = fitted_dates_translator()
        texts = pairs.sources[:20]
        greedy, greedy_scores = translator.translate(
            texts, beam_width=1, return_scores=True
        )
        inputs = translator.preprocessor(tf.constant(texts))
        token_ids, scores = translator.model.generate(
            inputs["source_ids"],
            inputs["source_padding_mask"],
            BeamSampler(beam_width=1),
            translator.max_output_length,
        )
        beam = [
            t.decode() for t in translator.preprocessor.detokenize(token_ids).numpy()
        ]
        self.assertEqual(greedy, beam)
        self.assertAllClose(greedy_scores, scores, atol=1e-5)

    def test_n_best_sorted_and_distinct(self):
        translator, pairs = fitted_dates_translator()
        texts = pairs.sources[:6]
        n_best, scores = translator.translate(
            texts, beam_width=4, num_results=3, return_scores=True
        )
        best = translator.translate(texts, beam_width=4)
        for row in range(6):
            self.assertLen(n_best[row], 3)
            self.assertLen(set(n_best[row]), 3)
            self.assertEqual(scores[row], sorted(scores[row], reverse=True))
            self.assertEqual(n_best[row][0], best[row])

    def test_attention(self):
        translator, pairs = fitted_dates_translator()
        texts = ["25th of June, 2009", "1/2/03", ""]
        translations, attention = translator.translate(
            texts, beam_width=1, return_attention=True
        )
        self.assertEqual(translations, translator.translate(texts, beam_width=1))
        for text, translation, weights in zip(texts, translations, attention):
            self.assertEqual(weights.dtype, np.float32)
            # Rows: the characters, then [END] (if generated); columns: the
            # source characters.
            self.assertIn(weights.shape[0], (len(translation), len(translation) + 1))
            self.assertEqual(weights.shape[1], len(text))
            if text:
                self.assertAllClose(weights.sum(axis=1), np.ones(len(weights)))
        n_best, scores, attention = translator.translate(
            texts[:2],
            beam_width=3,
            num_results=2,
            return_scores=True,
            return_attention=True,
        )
        self.assertEqual([len(row) for row in attention], [2, 2])
        self.assertEqual(attention[1][0].shape[1], len(texts[1]))

        result = translator.attention(texts[0])
        self.assertEqual(result["translation"], translator.translate(texts[:1])[0])
        self.assertEqual(result["source_tokens"], list(texts[0].lower()))
        self.assertEqual(
            result["weights"].shape,
            (len(result["output_tokens"]), len(result["source_tokens"])),
        )
        generated = "".join(t for t in result["output_tokens"] if t != "[END]")
        self.assertEqual(generated, result["translation"])
        path = translator.plot_attention(
            texts[0], os.path.join(self.get_temp_dir(), "attention.png")
        )
        with open(path, "rb") as file:
            self.assertEqual(file.read(8), b"\x89PNG\r\n\x1a\n")
        with self.assertRaisesRegex(ValueError, "`text` must be a string"):
            translator.attention(["1/2/03"])

    def test_evaluate_against_own_translations(self):
        translator, pairs = fitted_dates_translator()
        texts = pairs.sources[:10]
        own = translator.translate(texts)
        scores = translator.evaluate(texts, own)
        self.assertEqual(scores["exact_match"], 1.0)
        self.assertAllClose(scores["bleu"], 100.0)
        scores = translator.evaluate(SentencePairs(texts, pairs.targets[:10]))
        self.assertGreaterEqual(scores["loss"], 0.0)
        self.assertBetween(scores["token_accuracy"], 0.0, 1.0)

    def test_save_and_load(self):
        translator, pairs = fitted_dates_translator()
        directory = os.path.join(self.get_temp_dir(), "saved")
        translator.save(directory)
        self.assertTrue(
            os.path.isfile(os.path.join(directory, "target_vocabulary.txt"))
        )
        with open(os.path.join(directory, "config.toml"), encoding="utf-8") as file:
            self.assertEqual(file.readline(), 'pipeline = "translator"\n')
        with self.assertRaisesRegex(ValueError, "holds a saved 'translator' pipeline"):
            TextClassifier.load(directory)
        loaded = Translator.load(directory)
        self.assertEqual(loaded.get_config(), translator.get_config())
        self.assertEqual(loaded.max_output_length, translator.max_output_length)
        texts = pairs.sources[:8]
        for beam_width in (1, 3):
            self.assertEqual(
                loaded.translate(texts, beam_width=beam_width, return_scores=True)[0],
                translator.translate(texts, beam_width=beam_width),
            )
        # The loaded pipeline keeps training (optimizer, loss and metric).
        history = loaded.fit(pairs, epochs=1, batch_size=64, verbose=0)
        self.assertEqual(sorted(history.history), ["loss", "token_accuracy"])

    @pytest.mark.slow
    def test_export_reloads_without_kerasseq(self):
        translator, pairs = fitted_dates_translator()
        directory = os.path.join(self.get_temp_dir(), "exported", "1")
        texts = pairs.sources[:6] + ["25th of June, 2009", "2009년 6월 25일 목요일", ""]
        translator.export(directory, check_texts=texts)
        result = run_python(
            [
                "-c",
                RELOAD_SCRIPT,
                directory,
                json.dumps(texts),
            ],
            cwd=directory,
        )
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        answers = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(answers["imported"], [])
        beam, beam_scores = translator.translate(
            texts, beam_width=3, return_scores=True
        )
        greedy, greedy_scores = translator.translate(
            texts, beam_width=1, return_scores=True
        )
        for name in ("serving_default", "translate"):
            self.assertEqual(answers[name]["translation"], beam)
            self.assertAllClose(answers[name]["score"], beam_scores, atol=1e-4)
        self.assertEqual(answers["greedy"]["translation"], greedy)
        self.assertAllClose(answers["greedy"]["score"], greedy_scores, atol=1e-4)
        assets = sorted(os.listdir(os.path.join(directory, "assets")))
        self.assertEqual(
            assets,
            [
                "config.toml",
                "target_vocabulary.txt",
                "translator.json",
                "vocabulary.txt",
            ],
        )

    def test_word_level(self):
        sources = ["Hola, mundo.", "Adiós, mundo.", "Hola."] * 6
        targets = ["Hello, world.", "Goodbye, world.", "Hello."] * 6
        translator = Translator(units=8, embedding_dim=8, seed=2, encoder_layers=2)
        translator.fit(sources, targets, epochs=1, verbose=0)
        self.assertEqual(
            translator.target_tokenizer.vocabulary.tokens[:4],
            ["[PAD]", "[UNK]", "[START]", "[END]"],
        )
        vocabulary = set(translator.target_tokenizer.vocabulary.tokens)
        vocabulary -= {"[PAD]", "[START]", "[END]"}
        for translation in translator.translate(sources[:3], beam_width=2):
            # Words (or [UNK]) joined by single spaces.
            if translation:
                self.assertLessEqual(set(translation.split(" ")), vocabulary)
        # References are compared as the target tokenizer splits them.
        self.assertEqual(translator._normalize(["Hello, World!"]), ["hello , world !"])

    def test_pretrained_target_embeddings(self):
        sources = ["hola mundo", "adiós mundo", "hola"] * 4
        targets = ["hello world", "goodbye world", "hello"] * 4
        path = os.path.join(self.get_temp_dir(), "vectors.txt")
        rng = np.random.default_rng(0)
        vectors = {word: rng.normal(size=6) for word in ["hello", "world", "the"]}
        with open(path, "w", encoding="utf-8") as file:
            for word, vector in vectors.items():
                file.write(word + " " + " ".join(f"{v:.4f}" for v in vector) + "\n")
        translator = Translator(
            units=8,
            embedding_dim=8,
            seed=1,
            target_embeddings=path,
            trainable_embeddings="partial",
        )
        with self.assertRaisesRegex(ValueError, "embedding_dim=8.*6 dimensions"):
            translator.fit(sources, targets, epochs=1, verbose=0)
        translator = Translator(
            units=8,
            embedding_dim=6,
            seed=1,
            target_embeddings=path,
            trainable_embeddings="partial",
            learning_rate=0.05,
        )
        translator.fit(sources, targets, epochs=2, verbose=0)
        model = translator.model
        self.assertEqual(model.target_embedding_dim, 6)
        self.assertEqual(model.source_trainability, "all")
        self.assertEqual(model.target_trainability, "partial")
        tokens = translator.target_tokenizer.vocabulary.tokens
        matrix = keras.ops.convert_to_numpy(
            model.target_embedding(np.arange(len(tokens)))
        )
        # Pretrained rows stay frozen; the others ([UNK], [START], ...) train.
        for word in ("hello", "world"):
            self.assertAllClose(matrix[tokens.index(word)], vectors[word], atol=1e-4)
        self.assertEqual(
            [tokens[row] for row in model.target_trainable_rows],
            ["[UNK]", "[START]", "[END]", "goodbye"],
        )
        directory = os.path.join(self.get_temp_dir(), "pretrained")
        translator.save(directory)
        loaded = Translator.load(directory)
        self.assertEqual(
            loaded.translate(sources[:3], beam_width=2),
            translator.translate(sources[:3], beam_width=2),
        )
        with self.assertRaisesRegex(ValueError, "needs pretrained"):
            Translator(trainable_embeddings="none")

    def test_source_length_truncates_with_a_warning(self):
        pairs = generate_dates(60, seed=5)
        translator = Translator(
            tokenizer="char", units=4, embedding_dim=4, seed=1, source_length=6
        )
        with self.assertWarnsRegex(UserWarning, "truncated to their first 6"):
            translator.fit(pairs, epochs=1, verbose=0)
        long = "Thursday, June 25th, 2009"
        with self.assertWarnsRegex(UserWarning, "1 of the 2 texts have more than"):
            translations = translator.translate([long, "1/2/03"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            self.assertEqual(translations[0], translator.translate([long[:6]])[0])

    def test_bad_input(self):
        translator, pairs = fitted_dates_translator()
        with self.assertRaisesRegex(ValueError, "at least one text, received: \\[\\]"):
            translator.translate([])
        with self.assertRaisesRegex(ValueError, "not one string"):
            translator.translate("25th of June, 2009")
        with self.assertRaisesRegex(ValueError, "beam_width=0"):
            translator.translate(["1/2/03"], beam_width=0)
        with self.assertRaisesRegex(ValueError, "num_results=3"):
            translator.translate(["1/2/03"], beam_width=2, num_results=3)
        with self.assertRaisesRegex(ValueError, "same length"):
            translator.evaluate(["1/2/03"], ["2003-01-02", "2003-01-03"])
        with self.assertRaisesRegex(
            ValueError,
            "`attention` must be one of 'bahdanau', 'luong', received: attention='dot'",
        ):
            Translator(attention="dot")
        with self.assertRaisesRegex(
            ValueError,
            "`tokenizer` must be one of 'word', 'char', received: tokenizer='bytes'",
        ):
            Translator(tokenizer="bytes")
        with self.assertRaisesRegex(
            ValueError,
            "`target_tokenizer` must be one of 'word', 'char' or None, received: "
            "target_tokenizer='bytes'",
        ):
            TranslatorConfig(target_tokenizer="bytes")
        with self.assertRaisesRegex(
            ValueError,
            "`target_tokenizer` must be one of 'word', 'char' or None, received: "
            "target_tokenizer='bytes' [(]str[)]",
        ):
            Translator(target_tokenizer="bytes")  # typed by `config` first
        with self.assertRaisesRegex(ValueError, "beam_width"):
            Translator(beam_width=0)
        unfitted = Translator()
        with self.assertRaisesRegex(ValueError, "not fitted yet"):
            unfitted.translate(["a"])
        with self.assertRaisesRegex(ValueError, "at least one text"):
            unfitted.fit([], [])
        with self.assertRaisesRegex(ValueError, "target strings"):
            unfitted.fit(["a", "b"], ["x", 3])

    def test_config(self):
        translator = Translator.from_config(
            {"pipeline": "translator", "model": {"units": 8, "tokenizer": "char"}}
        )
        self.assertEqual(translator.settings.units, 8)
        self.assertEqual(
            Translator.from_config(translator.get_config()).get_config(),
            translator.get_config(),
        )
        self.assertIsInstance(translator.settings, TranslatorConfig)
        with self.assertRaisesRegex(ValueError, "text_classifier"):
            Translator.from_config({"pipeline": "text_classifier", "model": {}})
        np.testing.assert_equal(Translator.name, "translator")
        with self.assertRaisesRegex(ValueError, "learning_rate=0.0"):
            Translator(learning_rate=0.0)
        with self.assertRaisesRegex(ValueError, "clipnorm=-1.0"):
            Translator(clipnorm=-1.0)
