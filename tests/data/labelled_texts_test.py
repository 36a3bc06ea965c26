"""Tests for `LabelledTexts` and `sorted_labels`."""

import numpy as np

from kerasseq.data.labelled_texts import LabelledTexts
from kerasseq.data.labelled_texts import sorted_labels
from tests.test_case import TestCase


class SortedLabelsTest(TestCase):
    def test_strings_sort_alphabetically_and_integers_numerically(self):
        self.assertEqual(sorted_labels(["pos", "neg", "pos"]), ["neg", "pos"])
        self.assertEqual(sorted_labels(["10", "2", "1", "2"]), ["1", "2", "10"])
        self.assertEqual(sorted_labels(["10", "b", "2"]), ["10", "2", "b"])


class LabelledTextsTest(TestCase):
    def setUp(self):
        super().setUp()
        self.data = LabelledTexts(
            ["good", "bad", "fine", "meh"],
            ["pos", "neg", "pos", "neutral"],
            extras={"id": [10, 11, 12, 13]},
        )

    def test_label_names_and_ids(self):
        self.assertLen(self.data, 4)
        self.assertEqual(self.data.label_names, ["neg", "neutral", "pos"])
        ids = self.data.label_ids()
        self.assertEqual(ids.dtype, np.int32)
        self.assertEqual(ids.tolist(), [2, 0, 2, 1])

    def test_given_label_names_fix_the_ids(self):
        data = LabelledTexts(["a", "b"], ["pos", "neg"], label_names=["pos", "neg"])
        self.assertEqual(data.label_ids().tolist(), [0, 1])

    def test_to_dataset_with_ids_and_with_strings(self):
        self.assertEqual(
            [(t.numpy(), y.numpy()) for t, y in self.data.to_dataset()],
            [(b"good", 2), (b"bad", 0), (b"fine", 2), (b"meh", 1)],
        )
        texts, labels = next(iter(self.data.to_dataset(encode_labels=False)))
        self.assertEqual((texts.numpy(), labels.numpy()), (b"good", b"pos"))

    def test_unlabelled_texts(self):
        data = LabelledTexts(["a", "b"])
        self.assertIsNone(data.label_names)
        self.assertEqual([t.numpy() for t in data.to_dataset()], [b"a", b"b"])
        with self.assertRaisesRegex(ValueError, "no labels"):
            data.label_ids()

    def test_empty(self):
        data = LabelledTexts([], [])
        self.assertEqual(data.label_names, [])
        self.assertEqual(len(list(data.to_dataset())), 0)

    def test_select_keeps_classes_and_extras(self):
        subset = self.data.select([3, 0])
        self.assertEqual(subset.texts, ["meh", "good"])
        self.assertEqual(subset.labels, ["neutral", "pos"])
        self.assertEqual(subset.label_names, self.data.label_names)
        self.assertEqual(subset.extras, {"id": [13, 10]})

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "received 1 labels for 2 texts"):
            LabelledTexts(["a", "b"], ["x"])
        with self.assertRaisesRegex(ValueError, r"\['z'\] are not in `label_names`"):
            LabelledTexts(["a", "b"], ["x", "z"], label_names=["x", "y"])
        with self.assertRaisesRegex(ValueError, "must not repeat"):
            LabelledTexts(["a"], ["x"], label_names=["x", "x"])
        with self.assertRaisesRegex(ValueError, r"`extras\['id'\]`.*1 entries for 2"):
            LabelledTexts(["a", "b"], extras={"id": [1]})
