"""Tests for `read_conll`, `iob1_to_iob2` and `TaggedSentences`."""

import collections
import os

from absl.testing import parameterized

from kerasseq.data.conll import TaggedSentences
from kerasseq.data.conll import iob1_to_iob2
from kerasseq.data.conll import read_conll
from kerasseq.data.conll import sorted_tags
from kerasseq.data.text_file import DataFormatError
from tests.test_case import TestCase
from tests.test_case import data_dir

# Entities per type in CoNLL-2003 English (Tjong Kim Sang & De Meulder 2003,
# table 2): LOC, MISC, ORG, PER.
PUBLISHED_ENTITIES = {
    "train": (14_041, 203_621, (7140, 3438, 6321, 6600)),
    "testa": (3_250, 51_362, (1837, 922, 1341, 1842)),
    "testb": (3_453, 46_435, (1668, 702, 1661, 1617)),
}


def iob2_violations(sentences):
    """Sentences where an I-X does not follow B-X or I-X of the same type."""
    bad = []
    for tags in sentences:
        previous = "O"
        for tag in tags:
            if tag.startswith("I-") and previous not in ("B-" + tag[2:], tag):
                bad.append(tags)
                break
            previous = tag
    return bad


class IOB1ToIOB2Test(TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("entity_at_start", ["I-PER", "I-PER", "O"], ["B-PER", "I-PER", "O"]),
        ("after_o", ["O", "I-LOC"], ["O", "B-LOC"]),
        ("type_change", ["I-ORG", "I-LOC", "I-LOC"], ["B-ORG", "B-LOC", "I-LOC"]),
        (
            "adjacent_same_type",
            ["I-MISC", "B-MISC", "I-MISC"],
            ["B-MISC"] * 2 + ["I-MISC"],
        ),
        (
            "already_iob2",
            ["B-PER", "I-PER", "O", "B-LOC"],
            ["B-PER", "I-PER", "O", "B-LOC"],
        ),
        ("all_o", ["O", "O"], ["O", "O"]),
        ("empty", [], []),
        ("dashed_type", ["I-B-X", "I-B-X"], ["B-B-X", "I-B-X"]),
    )
    def test_conversion(self, tags, expected):
        self.assertEqual(iob1_to_iob2(tags), expected)
        # Converting twice changes nothing more.
        self.assertEqual(iob1_to_iob2(expected), expected)

    def test_rejects_non_iob_tags(self):
        for tag in ("PER", "E-PER", "I-", "X-PER"):
            with self.assertRaisesRegex(ValueError, f"received: '{tag}'"):
                iob1_to_iob2(["O", tag])


class ReadConllTest(TestCase):
    def write(self, content, name="eng.train"):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "w") as file:
            file.write(content)
        return path

    def test_docstart_blank_lines_and_columns(self):
        path = self.write(
            "-DOCSTART- -X- -X- O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n"
            "\n\n-DOCSTART- -X- -X- O\nPeter NNP I-NP I-PER\n"
            "Blackburn NNP I-NP I-PER\n"
        )
        data = read_conll(path)
        self.assertEqual(data.tokens, [["EU", "rejects"], ["Peter", "Blackburn"]])
        self.assertEqual(data.tags, [["I-ORG", "O"], ["I-PER", "I-PER"]])
        self.assertEqual(data.tag_names, ["O", "I-ORG", "I-PER"])
        self.assertEqual(read_conll(path, to_iob2=True).tags[1], ["B-PER", "I-PER"])
        self.assertEqual(read_conll(path, tag_column=1).tags[0], ["NNP", "VBZ"])
        self.assertEqual(read_conll(path, tag_column=2).tags[0], ["I-NP", "I-VP"])

    def test_language_prefix(self):
        path = self.write("en:R.H.\tB-ORG\nen:Saunders\tI-ORG\n\nen::\tO\n")
        self.assertEqual(read_conll(path).tokens, [["R.H.", "Saunders"], [":"]])
        self.assertEqual(read_conll(path, language_prefix="en:").tokens[1], [":"])
        self.assertEqual(read_conll(path, language_prefix=None).tokens[1], ["en::"])
        with self.assertRaisesRegex(DataFormatError, "line 1: token 'en:R.H.' lacks"):
            read_conll(path, language_prefix="de:")
        mixed = self.write("en:a\tO\nb\tO\n", name="mixed")
        with self.assertRaisesRegex(
            DataFormatError, "mixed, line 2: token 'b' lacks.*language_prefix=None"
        ):
            read_conll(mixed)
        # A colon later in a token of an unprefixed file is left alone.
        plain = self.write("10:30 O\nre:x O\n", name="plain")
        self.assertEqual(read_conll(plain).tokens, [["10:30", "re:x"]])

    def test_separator(self):
        path = self.write("New York\tB-LOC\nis\tO\n")
        self.assertEqual(read_conll(path, separator="\t").tokens, [["New York", "is"]])

    def test_malformed_lines_name_file_and_line(self):
        path = self.write("EU NNP I-NP I-ORG\nrejects VBZ I-VP O\ncall NN\n")
        with self.assertRaisesRegex(
            DataFormatError,
            "eng.train, line 3: found 2 column.*first token line has 4: 'call NN'",
        ):
            read_conll(path)
        path = self.write("EU\nrejects\n")
        with self.assertRaisesRegex(
            DataFormatError, "line 1: found 1 column.*at least 2"
        ):
            read_conll(path)
        path = self.write("a NN\n\nb NN O\n")
        with self.assertRaisesRegex(DataFormatError, "line 3: found 3 column"):
            read_conll(path)
        path = self.write("a X O\nb X I-PER\n\nc X PER\n")
        with self.assertRaisesRegex(
            DataFormatError, "line 4 \\(sentence starting here\\).*'PER'"
        ):
            read_conll(path, to_iob2=True)

    def test_bad_arguments(self):
        path = self.write("a O\n")
        for kwargs, name in (
            ({"tag_column": "ner"}, "tag_column"),
            ({"separator": ""}, "separator"),
            ({"language_prefix": ""}, "language_prefix"),
        ):
            with self.assertRaisesRegex(ValueError, name):
                read_conll(path, **kwargs)

    def test_conll2003_as_published(self):
        for split, (sentences, tokens, entities) in PUBLISHED_ENTITIES.items():
            iob1 = read_conll(data_dir() / "conll2003" / f"eng.{split}")
            # The files really are IOB1: entities after O start with I-.
            self.assertNotEqual(iob2_violations(iob1.tags), [])
            self.assertLen(iob1, sentences)
            self.assertEqual(sum(map(len, iob1.tokens)), tokens)
            data = read_conll(data_dir() / "conll2003" / f"eng.{split}", to_iob2=True)
            self.assertEqual(iob2_violations(data.tags), [])
            starts = collections.Counter(
                tag[2:] for tags in data.tags for tag in tags if tag.startswith("B-")
            )
            self.assertEqual(
                tuple(starts[kind] for kind in ("LOC", "MISC", "ORG", "PER")), entities
            )
        self.assertEqual(
            data.tag_names,
            [
                "O",
                "B-LOC",
                "I-LOC",
                "B-MISC",
                "I-MISC",
                "B-ORG",
                "I-ORG",
                "B-PER",
                "I-PER",
            ],
        )

    def test_wikiann_as_published(self):
        counts = {"train": 20_000, "dev": 10_000, "test": 10_000}
        for split, count in counts.items():
            data = read_conll(data_dir() / "wikiann-en" / split)
            self.assertLen(data, count)
            self.assertFalse(
                any(
                    token.startswith("en:")
                    for tokens in data.tokens
                    for token in tokens
                )
            )
            self.assertEqual(iob2_violations(data.tags), [])
        self.assertEqual(
            data.tag_names, ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
        )
        train = read_conll(data_dir() / "wikiann-en" / "train")
        self.assertEqual(train.tokens[0][:2], ["R.H.", "Saunders"])
        self.assertEqual(train.tags[0][:3], ["B-ORG", "I-ORG", "O"])


class TaggedSentencesTest(TestCase):
    def test_ids_dataset_and_errors(self):
        data = TaggedSentences(
            [["Peter", "runs"], [], ["in", "Paris"]],
            [["B-PER", "O"], [], ["O", "B-LOC"]],
        )
        self.assertEqual(data.tag_names, ["O", "B-LOC", "B-PER"])
        self.assertEqual([ids.tolist() for ids in data.tag_ids()], [[2, 0], [], [0, 1]])
        elements = [
            (x.numpy().tolist(), y.numpy().tolist()) for x, y in data.to_dataset()
        ]
        self.assertEqual(
            elements,
            [([b"Peter", b"runs"], [2, 0]), ([], []), ([b"in", b"Paris"], [0, 1])],
        )
        _, tags = next(iter(data.to_dataset(encode_tags=False)))
        self.assertEqual(tags.numpy().tolist(), [b"B-PER", b"O"])
        batch = next(iter(data.to_dataset().padded_batch(3)))
        self.assertEqual(batch[1].shape, (3, 2))
        with self.assertRaisesRegex(ValueError, "Sentence 0 has 1 tokens but 2 tags"):
            TaggedSentences([["a"]], [["O", "O"]])
        with self.assertRaisesRegex(ValueError, r"\['B-X'\] are not in `tag_names`"):
            TaggedSentences([["a"]], [["B-X"]], tag_names=["O"])

    def test_sorted_tags(self):
        self.assertEqual(
            sorted_tags(["I-PER", "O", "B-PER", "B-LOC", "NN", "I-LOC"]),
            ["O", "B-LOC", "I-LOC", "NN", "B-PER", "I-PER"],
        )
