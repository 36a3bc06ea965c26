"""Tests for the CSV, TSV and JSON Lines readers, on real and malformed files."""

import gzip
import json
import os

import pytest

from kerasseq.data.tabular import read_csv
from kerasseq.data.tabular import read_jsonl
from kerasseq.data.tabular import read_table
from kerasseq.data.tabular import read_tsv
from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import TextDecodeError
from tests.test_case import TestCase
from tests.test_case import data_dir


class CSVTest(TestCase):
    def write(self, name, content, mode="w"):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, mode, **({} if "b" in mode else {"newline": ""})) as file:
            file.write(content)
        return path

    def test_header_quotes_and_extra_columns(self):
        path = self.write(
            "reviews.csv",
            'id,text,label\r\n1,"Good, really good",pos\r\n'
            '2,"two\nlines, ""quoted""", neg \r\n\r\n',
        )
        data = read_csv(path, extra_columns=["id"])
        self.assertEqual(data.texts, ["Good, really good", 'two\nlines, "quoted"'])
        self.assertEqual(data.labels, ["pos", "neg"])
        self.assertEqual(data.extras, {"id": ["1", "2"]})

    def test_unlabelled_and_columns_by_index(self):
        path = self.write("texts.csv", "text,score\nhello,1\nbye,2\n")
        data = read_csv(path, label_column=None)
        self.assertEqual((data.texts, data.labels), (["hello", "bye"], None))
        data = read_csv(path, text_column=0, label_column=1)
        self.assertEqual(data.labels, ["1", "2"])

    def test_tsv(self):
        path = self.write("data.tsv", "label\ttext\npos\ta, b, c\n")
        data = read_tsv(path)
        self.assertEqual((data.texts, data.labels), (["a, b, c"], ["pos"]))
        self.assertEqual(read_table(path).texts, ["a, b, c"])

    def test_latin1_and_decode_errors(self):
        path = self.write("latin.csv", b"text,label\ncaf\xe9,pos\n", mode="wb")
        self.assertEqual(read_csv(path, encoding="latin-1").texts, ["café"])
        self.assertEqual(read_csv(path, errors="replace").texts, ["caf\ufffd"])
        with self.assertRaisesRegex(TextDecodeError, r"latin.csv, line 2.*encoding="):
            read_csv(path)

    def test_missing_column_names_the_column_and_the_columns_found(self):
        path = self.write("reviews.csv", "review,sentiment\nok,pos\n")
        with self.assertRaises(DataFormatError) as context:
            read_csv(path)
        message = str(context.exception)
        self.assertIn("column 'text' not found", message)
        self.assertIn("['review', 'sentiment']", message)
        self.assertIn("reviews.csv, line 1", message)
        with self.assertRaisesRegex(DataFormatError, "column 5 not found"):
            read_csv(path, text_column=5)

    def test_short_row_empty_label_and_syntax_errors_name_the_line(self):
        path = self.write("short.csv", "text,label\na,pos\nb\n")
        with self.assertRaisesRegex(
            DataFormatError, r"short.csv, line 3: the row has 1 field\(s\)"
        ):
            read_csv(path)
        path = self.write("nolabel.csv", "a,0\nb, \n")
        with self.assertRaisesRegex(DataFormatError, "nolabel.csv, line 2.*empty"):
            read_csv(path, text_column=0, label_column=1, header=False)
        path = self.write("quote.csv", 'text,label\nok,1\n"unclosed,1\nx,2\n')
        with self.assertRaisesRegex(
            DataFormatError, "quote.csv, line 3: CSV error.*unclosed quote"
        ):
            read_csv(path)
        path = self.write("multi.csv", 'text,label\n"two\nlines"\n')
        with self.assertRaisesRegex(DataFormatError, "multi.csv, line 2: the row"):
            read_csv(path)
        path = self.write("empty.csv", "")
        with self.assertRaisesRegex(DataFormatError, "empty"):
            read_csv(path)

    def test_bad_arguments(self):
        path = self.write("a.csv", "a,b\n")
        with self.assertRaisesRegex(ValueError, "0-based index"):
            read_csv(path, header=False)
        with self.assertRaisesRegex(ValueError, "delimiter"):
            read_csv(path, delimiter=";;")
        with self.assertRaisesRegex(ValueError, "0 or more"):
            read_csv(path, text_column=-1, header=False)
        with self.assertRaisesRegex(ValueError, r"must end in one of"):
            read_table("reviews.parquet")

    def test_emojify_csv_without_header(self):
        # Real file: no header, CRLF, trailing empty columns in the training set.
        folder = data_dir() / "emojify"
        train = read_csv(
            folder / "train_emoji.csv", text_column=0, label_column=1, header=False
        )
        self.assertLen(train, 132)
        self.assertEqual(train.label_names, ["0", "1", "2", "3", "4"])
        self.assertEqual(train.texts[0], "never talk to me again")
        self.assertEqual(train.labels[:3], ["3", "2", "3"])
        test = read_table(
            folder / "tesss.csv", text_column=0, label_column=1, header=False
        )
        self.assertLen(test, 56)
        self.assertEqual(test.labels[:2], ["4", "3"])


class JSONLTest(TestCase):
    def write(self, name, lines):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "w") as file:
            file.write("".join(line + "\n" for line in lines))
        return path

    def test_reads_keys_integer_labels_and_gzip(self):
        records = [{"text": "a", "label": 3, "id": 7}, {"text": "b", "label": 10}]
        path = os.path.join(self.get_temp_dir(), "records.jsonl.gz")
        with gzip.open(path, "wt") as file:
            for record in records:
                file.write(json.dumps(record) + "\n\n")
        data = read_jsonl(path)
        self.assertEqual((data.texts, data.labels), (["a", "b"], ["3", "10"]))
        self.assertEqual(data.label_names, ["3", "10"])
        self.assertEqual(read_table(path).texts, ["a", "b"])

    def test_malformed_lines_name_the_line(self):
        cases = [
            (['{"text": "a", "label": "x"}', "{not json"], "line 2: invalid JSON"),
            (['["a", "x"]'], "line 1: expected a JSON object, found list"),
            (['{"text": 1, "label": "x"}'], "line 1: the text under 'text' must"),
            (['{"text": "a", "label": 1.5}'], "line 1: the label under 'label'"),
            (['{"text": "a", "label": null}'], "line 1: the label under 'label'"),
        ]
        for lines, expected in cases:
            with self.assertRaisesRegex(DataFormatError, expected):
                read_jsonl(self.write("bad.jsonl", lines))

    def test_missing_key_names_it_and_the_keys_found(self):
        path = self.write("bad.jsonl", ['{"text": "a", "label": "x"}', '{"text": "b"}'])
        with self.assertRaisesRegex(
            DataFormatError,
            r"bad.jsonl, line 2: column 'label' not found; columns found: \['text'\]",
        ):
            read_jsonl(path)
        with self.assertRaisesRegex(DataFormatError, "column 'review' not found"):
            read_jsonl(path, text_column="review")

    @pytest.mark.slow
    def test_imdb_jsonl_gz_as_published(self):
        # 25,000 + 25,000 reviews, half positive; ratings <= 4 are negative
        # and >= 7 positive (Maas et al. 2011).
        for split in ("train", "test"):
            data = read_jsonl(
                data_dir() / "imdb" / f"{split}.jsonl.gz",
                extra_columns=["id", "rating"],
            )
            self.assertLen(data, 25_000)
            self.assertEqual(data.label_names, ["neg", "pos"])
            self.assertEqual(int(data.label_ids().sum()), 12_500)
            for label, rating in zip(data.labels, data.extras["rating"]):
                self.assertTrue(rating >= 7 if label == "pos" else rating <= 4)
            self.assertIn("<br />", "".join(data.texts[:200]))
