"""Tests for `read_aclimdb`, on a folder built from real IMDB reviews."""

import os

from kerasseq.data.aclimdb import read_aclimdb
from kerasseq.data.tabular import read_jsonl
from kerasseq.data.text_file import DataFormatError
from tests.test_case import TestCase
from tests.test_case import data_dir

REVIEWS_PER_LABEL = 150


class ReadAclImdbTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 150 real positive and 150 real negative test reviews, written as
        # aclImdb/test/{pos,neg}/ID_RATING.txt.
        imdb = read_jsonl(
            data_dir() / "imdb" / "test.jsonl.gz", extra_columns=["id", "rating"]
        )
        cls.reviews = {"pos": [], "neg": []}
        for text, label, review_id, rating in zip(
            imdb.texts, imdb.labels, imdb.extras["id"], imdb.extras["rating"]
        ):
            if len(cls.reviews[label]) < REVIEWS_PER_LABEL:
                cls.reviews[label].append((review_id, rating, text))

    def make_folder(self):
        root = os.path.join(self.get_temp_dir(), "aclImdb")
        for label, reviews in self.reviews.items():
            folder = os.path.join(root, "test", label)
            os.makedirs(folder, exist_ok=True)
            for review_id, rating, text in reviews:
                name = os.path.join(folder, f"{review_id}_{rating}.txt")
                with open(name, "w", encoding="utf-8") as file:
                    file.write(text)
        with open(os.path.join(root, "test", "urls_pos.txt"), "w") as file:
            file.write("http://www.imdb.com/title/tt0000000/usercomments\n")
        with open(os.path.join(root, "test", "labeledBow.feat"), "w") as file:
            file.write("0 0:1\n")
        return root

    def test_reads_texts_labels_ids_and_ratings(self):
        root = self.make_folder()
        data = read_aclimdb(root, "test")
        self.assertLen(data, 2 * REVIEWS_PER_LABEL)
        self.assertEqual(data.label_names, ["neg", "pos"])
        expected = {
            (label, review_id, rating, text)
            for label, reviews in self.reviews.items()
            for review_id, rating, text in reviews
        }
        actual = set(
            zip(data.labels, data.extras["id"], data.extras["rating"], data.texts)
        )
        self.assertEqual(actual, expected)
        # Ordered by label, then numeric id.
        self.assertEqual(data.labels, ["neg"] * 150 + ["pos"] * 150)
        self.assertEqual(data.extras["id"][:150], sorted(data.extras["id"][:150]))
        for label, rating in zip(data.labels, data.extras["rating"]):
            self.assertTrue(rating >= 7 if label == "pos" else rating <= 4)
        # The split folder itself reads the same.
        same = read_aclimdb(os.path.join(root, "test"))
        self.assertEqual(same.texts, data.texts)

    def test_label_order_and_unsup(self):
        root = self.make_folder()
        unsup = os.path.join(root, "test", "unsup")
        os.makedirs(unsup)
        with open(os.path.join(unsup, "3_0.txt"), "w") as file:
            file.write("No rating.")
        data = read_aclimdb(root, "test", labels=("pos", "neg", "unsup"))
        self.assertEqual(data.label_names, ["pos", "neg", "unsup"])
        self.assertEqual(data.label_ids()[0], 0)
        self.assertEqual(data.texts[-1], "No rating.")
        self.assertEqual(data.extras["rating"][-1], 0)

    def test_missing_folders_and_bad_file_names(self):
        root = self.make_folder()
        with self.assertRaisesRegex(
            FileNotFoundError, r"No 'neg' folder .*folders found: \['test'\].*split="
        ):
            read_aclimdb(root)
        with self.assertRaisesRegex(FileNotFoundError, "No folder"):
            read_aclimdb(root, "train")
        with open(os.path.join(root, "test", "pos", "review.txt"), "w") as file:
            file.write("x")
        with self.assertRaisesRegex(
            DataFormatError, r"review.txt: expected.*ID_RATING"
        ):
            read_aclimdb(root, "test")
        with self.assertRaisesRegex(ValueError, "`labels`"):
            read_aclimdb(root, "test", labels="pos")
