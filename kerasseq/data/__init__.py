"""Data readers into tf.data, and length-aware batching.

Readers return small dataclasses of Python lists with a `to_dataset()`:

- `LabelledTexts` (`texts`, `labels`, `label_names`, `extras`) from
  `read_csv`, `read_tsv`, `read_jsonl`, `read_table` (by suffix),
  `read_texts_and_labels` (labels in a second file), `read_fasttext`
  (`__label__` prefix), `read_texts_per_label` (one file per label) and
  `read_aclimdb` (the aclImdb folders);
- `TaggedSentences` (`tokens`, `tags`, `tag_names`) from `read_conll`, with
  `iob1_to_iob2`;
- `SentencePairs` (`sources`, `targets`) from `read_sentence_pairs`, and of
  human-readable dates → ISO `YYYY-MM-DD` from `generate_dates`
  (multilingual, Babel's CLDR formats), split with `split_dates`;
- plain strings from `read_plain_text` and `read_text_lines`.

Every reader takes `encoding=` and `errors=`, reads `.gz` files transparently,
and raises `DataFormatError` or `TextDecodeError` naming the file and line.
`make_batches` turns a dataset of texts into right-padded, length-bucketed
batches of token ids.
"""

from kerasseq.data.aclimdb import read_aclimdb
from kerasseq.data.batching import bucket_boundaries
from kerasseq.data.batching import make_batches
from kerasseq.data.batching import token_lengths
from kerasseq.data.conll import TaggedSentences
from kerasseq.data.conll import iob1_to_iob2
from kerasseq.data.conll import read_conll
from kerasseq.data.conll import sorted_tags
from kerasseq.data.dates import date_formats
from kerasseq.data.dates import generate_dates
from kerasseq.data.dates import render_date
from kerasseq.data.dates import split_dates
from kerasseq.data.labelled_lines import read_fasttext
from kerasseq.data.labelled_lines import read_texts_and_labels
from kerasseq.data.labelled_lines import read_texts_per_label
from kerasseq.data.labelled_texts import LabelledTexts
from kerasseq.data.labelled_texts import sorted_labels
from kerasseq.data.plain_text import read_plain_text
from kerasseq.data.plain_text import read_text_lines
from kerasseq.data.sentence_pairs import SentencePairs
from kerasseq.data.sentence_pairs import read_sentence_pairs
from kerasseq.data.tabular import read_csv
from kerasseq.data.tabular import read_jsonl
from kerasseq.data.tabular import read_table
from kerasseq.data.tabular import read_tsv
from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import TextDecodeError

__all__ = [
    "DataFormatError",
    "LabelledTexts",
    "SentencePairs",
    "TaggedSentences",
    "TextDecodeError",
    "bucket_boundaries",
    "date_formats",
    "generate_dates",
    "iob1_to_iob2",
    "make_batches",
    "read_aclimdb",
    "read_conll",
    "read_csv",
    "read_fasttext",
    "read_jsonl",
    "read_plain_text",
    "read_sentence_pairs",
    "read_table",
    "read_text_lines",
    "read_texts_and_labels",
    "read_texts_per_label",
    "read_tsv",
    "render_date",
    "sorted_labels",
    "sorted_tags",
    "split_dates",
    "token_lengths",
]
