"""Tests for `make_batches`, `bucket_boundaries` and `token_lengths`."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.data.batching import bucket_boundaries
from kerasseq.data.batching import make_batches
from kerasseq.data.batching import token_lengths
from kerasseq.data.labelled_texts import LabelledTexts
from tests.test_case import TestCase


def number_tokenizer(texts):
    """`"5 7 9"` → `[5, 7, 9]`: texts that spell their own token ids."""
    return tf.strings.to_number(tf.strings.split(texts), tf.int32)


def make_examples(count=400, max_len=60, seed=0):
    """Texts of known ids (1..999, never the pad id 0) and long-tailed lengths."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.lognormal(2.5, 0.7, size=count).astype(int) + 1, max_len)
    ids = [rng.integers(1, 1000, size=length).tolist() for length in lengths]
    texts = [" ".join(map(str, row)) for row in ids]
    return texts, ids


def dataset_of(texts, with_labels=True):
    if not with_labels:
        return tf.data.Dataset.from_tensor_slices(texts)
    return tf.data.Dataset.from_tensor_slices((texts, np.arange(len(texts))))


def collect(batches):
    """[(token_ids, labels)] as NumPy arrays."""
    return [(ids.numpy(), labels.numpy()) for ids, labels in batches]


class BucketBoundariesTest(TestCase):
    def test_quantiles_of_known_distributions(self):
        self.assertEqual(bucket_boundaries(range(1, 101), num_buckets=4), [26, 51, 76])
        self.assertEqual(bucket_boundaries(range(1, 101), num_buckets=2), [51])
        self.assertEqual(bucket_boundaries(range(1, 101), num_buckets=1), [])
        # Ties merge: 90 % of the lengths are 1.
        self.assertEqual(bucket_boundaries([1] * 90 + [100] * 10, 10), [2])
        self.assertEqual(bucket_boundaries([7] * 50, 8), [])
        # Clipping to max_length: 40 of 100 lengths become 60.
        self.assertEqual(
            bucket_boundaries(range(1, 101), num_buckets=4, max_length=60), [26, 51]
        )

    def test_buckets_hold_equal_shares_of_a_long_tailed_distribution(self):
        lengths = np.random.default_rng(0).lognormal(5.0, 0.8, size=20_000).astype(int)
        boundaries = bucket_boundaries(lengths, num_buckets=8)
        self.assertLen(boundaries, 7)
        counts = np.bincount(np.searchsorted(boundaries, lengths, side="right"))
        self.assertAllInRange(counts, 0.95 * 2500, 1.05 * 2500)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "num_buckets=0"):
            bucket_boundaries([1, 2], num_buckets=0)
        with self.assertRaisesRegex(ValueError, "non-empty 1-D"):
            bucket_boundaries([])
        with self.assertRaisesRegex(ValueError, "non-negative integers"):
            bucket_boundaries([1.5, 2.0])
        with self.assertRaisesRegex(ValueError, "non-negative integers"):
            bucket_boundaries([-1, 2])


class MakeBatchesTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.texts, self.ids = make_examples()
        self.lengths = np.array([len(row) for row in self.ids])

    def check_epoch(self, batches, max_length=None, pad_id=0):
        """Each example exactly once, its ids right-padded with pad_id."""
        seen = []
        for token_ids, labels in batches:
            self.assertEqual(token_ids.dtype, np.int32)
            self.assertEqual(token_ids.shape[0], labels.shape[0])
            for row, label in zip(token_ids, labels):
                expected = self.ids[label][:max_length]
                self.assertEqual(row[: len(expected)].tolist(), expected)
                self.assertTrue(np.all(row[len(expected) :] == pad_id))
            seen.extend(labels.tolist())
        self.assertEqual(sorted(seen), list(range(len(self.texts))))

    @parameterized.named_parameters(
        ("auto", {"batch_size": 16}),
        ("explicit", {"batch_size": 16, "bucket_boundaries": [5, 10, 20]}),
        ("no_buckets", {"batch_size": 16, "bucket_boundaries": None}),
        ("budget", {"batch_tokens": 256}),
        ("budget_boundary", {"batch_tokens": 256, "pad_to_bucket_boundary": True}),
        ("truncate", {"batch_size": 16, "max_length": 12}),
        (
            "pad_to_max",
            {
                "batch_size": 16,
                "bucket_boundaries": None,
                "pad_to_bucket_boundary": True,
                "max_length": 40,
            },
        ),
        ("pad_id", {"batch_size": 16, "pad_id": -1}),
        ("no_shuffle", {"batch_size": 16, "shuffle_buffer": None}),
    )
    def test_every_example_once_per_epoch_right_padded(self, kwargs):
        batches = make_batches(
            dataset_of(self.texts), number_tokenizer, seed=1, **kwargs
        )
        for _ in range(2):  # a second epoch is reshuffled and complete again
            epoch = collect(batches)
            self.check_epoch(epoch, kwargs.get("max_length"), kwargs.get("pad_id", 0))
        # The number of batches is known unless boundaries were given.
        if kwargs.get("bucket_boundaries", "auto") in ("auto", None):
            self.assertEqual(int(batches.cardinality()), len(epoch))
        else:
            self.assertEqual(batches.cardinality(), tf.data.UNKNOWN_CARDINALITY)

    def test_lengths_within_a_bucket_respect_the_boundaries(self):
        boundaries = [5, 10, 20]
        for pad in (False, True):
            batches = make_batches(
                dataset_of(self.texts),
                number_tokenizer,
                batch_size=8,
                bucket_boundaries=boundaries,
                pad_to_bucket_boundary=pad,
                max_length=50,
            )
            seen_buckets = set()
            for token_ids, labels in collect(batches):
                lengths = np.minimum(self.lengths[labels], 50)
                buckets = set(np.searchsorted(boundaries, lengths, side="right"))
                self.assertLen(buckets, 1)
                bucket = buckets.pop()
                if pad:
                    # Padded to the bucket's largest length: 4, 9, 19, then 50.
                    self.assertEqual(token_ids.shape[1], ([4, 9, 19, 50])[bucket])
                else:
                    self.assertEqual(token_ids.shape[1], lengths.max())
                seen_buckets.add(bucket)
            self.assertEqual(seen_buckets, {0, 1, 2, 3})

    def test_auto_boundaries_come_from_the_length_quantiles(self):
        expected = bucket_boundaries(self.lengths, num_buckets=4)
        edges = [0, *expected, self.lengths.max() + 1]
        batches = make_batches(
            dataset_of(self.texts),
            number_tokenizer,
            batch_size=1000,
            num_buckets=4,
            pad_to_bucket_boundary=True,
        )
        widths = sorted(ids.shape[1] for ids, _ in collect(batches))
        self.assertEqual(widths, [edge - 1 for edge in edges[1:]])
        np.testing.assert_array_equal(
            token_lengths(dataset_of(self.texts), number_tokenizer), self.lengths
        )

    def test_token_budget_is_respected(self):
        budget = 200
        batches = collect(
            make_batches(
                dataset_of(self.texts),
                number_tokenizer,
                batch_tokens=budget,
                bucket_boundaries=[8, 16, 32],
                max_length=60,
            )
        )
        sizes = {}
        for token_ids, labels in batches:
            self.assertLessEqual(token_ids.size, budget)
            bucket = np.searchsorted([8, 16, 32], self.lengths[labels[0]], "right")
            sizes.setdefault(bucket, []).append(len(labels))
        # Full batches: budget // largest length of the bucket (7, 15, 31, 60).
        self.assertEqual(
            {bucket: max(s) for bucket, s in sizes.items()},
            {0: 200 // 7, 1: 200 // 15, 2: 200 // 31, 3: 200 // 60},
        )

    def test_drop_remainder_keeps_full_batches_only(self):
        for boundaries in ("auto", None):
            batches = make_batches(
                dataset_of(self.texts),
                number_tokenizer,
                batch_size=16,
                bucket_boundaries=boundaries,
                drop_remainder=True,
            )
            epoch = collect(batches)
            self.assertEqual({len(labels) for _, labels in epoch}, {16})
            self.assertEqual(int(batches.cardinality()), len(epoch))
            self.assertLen(
                set(np.concatenate([labels for _, labels in epoch])), 16 * len(epoch)
            )

    def test_max_length_truncates(self):
        batches = collect(
            make_batches(
                dataset_of(self.texts), number_tokenizer, batch_size=32, max_length=5
            )
        )
        self.assertEqual(max(ids.shape[1] for ids, _ in batches), 5)
        self.check_epoch(batches, max_length=5)

    def test_deterministic_with_a_seed(self):
        def run(seed):
            batches = make_batches(
                dataset_of(self.texts), number_tokenizer, batch_size=16, seed=seed
            )
            return [labels.tolist() for _, labels in collect(batches)]

        self.assertEqual(run(3), run(3))
        self.assertNotEqual(run(3), run(4))

    def test_texts_without_labels(self):
        batches = make_batches(
            dataset_of(self.texts, with_labels=False),
            number_tokenizer,
            batch_size=64,
            shuffle_buffer=None,
        )
        rows = [row for ids in batches for row in ids.numpy()]
        self.assertLen(rows, len(self.texts))
        self.assertEqual(
            sorted(tuple(row[row != 0]) for row in rows),
            sorted(tuple(row) for row in self.ids),
        )

    def test_labels_of_any_shape_and_dtype(self):
        dataset = tf.data.Dataset.from_tensor_slices(
            (["1 2", "3", "4 5 6"], np.eye(3, dtype="float32"))
        )
        ids, labels = next(
            iter(
                make_batches(
                    dataset,
                    number_tokenizer,
                    batch_size=3,
                    bucket_boundaries=None,
                    shuffle_buffer=0,
                )
            )
        )
        self.assertAllEqual(labels, np.eye(3))
        self.assertEqual(labels.dtype, tf.float32)
        self.assertAllEqual(ids, [[1, 2, 0], [3, 0, 0], [4, 5, 6]])

    def test_keras_text_vectorization_and_a_lookup_table(self):
        data = LabelledTexts(
            ["the film was great", "dull", "the plot was dull and long", "great"],
            ["pos", "neg", "neg", "pos"],
        )
        vectorizer = keras.layers.TextVectorization(ragged=True)
        vectorizer.adapt(data.texts)
        vocabulary = vectorizer.get_vocabulary()
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                vocabulary, tf.range(len(vocabulary), dtype=tf.int64)
            ),
            default_value=1,
        )
        tokenizers = {
            "text_vectorization": vectorizer,
            "table": lambda texts: table.lookup(tf.strings.split(texts)),
            "dense": keras.layers.TextVectorization(
                vocabulary=vocabulary[2:], output_sequence_length=8
            ),
        }
        for name, tokenizer in tokenizers.items():
            batches = make_batches(
                data.to_dataset(), tokenizer, batch_size=2, num_buckets=2, seed=0
            )
            decoded = {}
            for ids, labels in batches:
                self.assertEqual(ids.dtype, tf.int32, msg=name)
                for row, label in zip(ids.numpy(), labels.numpy()):
                    words = " ".join(vocabulary[i] for i in row if i != 0)
                    decoded[words] = data.label_names[label]
            self.assertEqual(decoded, dict(zip(data.texts, data.labels)), msg=name)

    def test_keras_fit_reads_the_batches_for_several_epochs(self):
        labels = (self.lengths > np.median(self.lengths)).astype("float32")
        dataset = tf.data.Dataset.from_tensor_slices((self.texts, labels))
        batches = make_batches(dataset, number_tokenizer, batch_size=32, seed=0)
        model = keras.Sequential(
            [
                keras.Input((None,), dtype="int32"),
                keras.layers.Embedding(1000, 4, mask_zero=True),
                keras.layers.GlobalAveragePooling1D(),
                keras.layers.Dense(1),
            ]
        )
        model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
        history = model.fit(batches, epochs=2, shuffle=False, verbose=0)
        self.assertLen(history.history["loss"], 2)

    def test_bad_arguments(self):
        dataset = dataset_of(self.texts)
        cases = [
            ({"batch_size": 8, "batch_tokens": 100}, "exactly one of"),
            ({}, "exactly one of"),
            ({"batch_size": 0}, "`batch_size` must be a positive integer"),
            ({"batch_tokens": -5}, "batch_tokens=-5"),
            ({"batch_size": 8, "max_length": 0}, "max_length=0"),
            ({"batch_size": 8, "num_buckets": 0}, "num_buckets=0"),
            ({"batch_size": 8, "bucket_boundaries": [5, 3]}, "strictly increasing"),
            ({"batch_size": 8, "bucket_boundaries": [0, 3]}, "positive integers"),
            ({"batch_size": 8, "bucket_boundaries": "quantile"}, "'quantile'"),
            ({"batch_size": 8, "shuffle_buffer": -1}, "shuffle_buffer=-1"),
            ({"batch_size": 8, "pad_id": 1.5}, "pad_id=1.5"),
            ({"batch_size": 8, "tokenize_batch_size": 0}, "tokenize_batch_size"),
            ({"batch_tokens": 10}, r"at least the longest sequence \(60 tokens\)"),
            (
                {"batch_tokens": 100, "bucket_boundaries": [5]},
                "`batch_tokens` needs the longest length",
            ),
            (
                {
                    "batch_size": 8,
                    "bucket_boundaries": [5],
                    "pad_to_bucket_boundary": True,
                },
                "`pad_to_bucket_boundary=True` needs",
            ),
        ]
        for kwargs, expected in cases:
            with self.assertRaisesRegex(ValueError, expected, msg=kwargs):
                make_batches(dataset, number_tokenizer, **kwargs)

    def test_bad_datasets_and_tokenizers(self):
        with self.assertRaisesRegex(ValueError, "infinite"):
            make_batches(
                dataset_of(self.texts).repeat(), number_tokenizer, batch_size=8
            )
        with self.assertRaisesRegex(ValueError, "scalar strings or \\(text, label\\)"):
            make_batches(
                tf.data.Dataset.from_tensor_slices([1, 2]),
                number_tokenizer,
                batch_size=8,
            )
        with self.assertRaisesRegex(ValueError, "2-D RaggedTensor of integer ids"):
            make_batches(
                dataset_of(self.texts),
                tf.strings.length,
                batch_size=8,
                bucket_boundaries=None,
            )
        with self.assertRaisesRegex(ValueError, "`tokenizer` must be callable"):
            make_batches(dataset_of(self.texts), "words", batch_size=8)
        with self.assertRaisesRegex(ValueError, "empty"):
            make_batches(
                dataset_of(tf.constant([], tf.string)), number_tokenizer, batch_size=8
            )
