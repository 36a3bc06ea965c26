"""Reader of the aclImdb folder layout: `pos/` and `neg/` of `ID_RATING.txt`."""

import os
import re
from collections.abc import Sequence

from kerasseq.data.labelled_texts import LabelledTexts
from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import PathLike
from kerasseq.data.text_file import check_encoding
from kerasseq.data.text_file import read_text

_REVIEW_NAME = re.compile(r"(\d+)_(\d+)\.txt")


def read_aclimdb(
    directory: PathLike,
    split: str | None = None,
    *,
    labels: Sequence[str] = ("neg", "pos"),
    encoding: str = "utf-8",
    errors: str = "strict",
) -> LabelledTexts:
    """Reads reviews stored as the Large Movie Review Dataset publishes them.

    The layout (Maas et al. 2011) is `aclImdb/{train,test}/{pos,neg}/` with
    one review a file named `ID_RATING.txt` (`200_8.txt`: review 200, rated
    8/10). Texts are returned unchanged, `<br />` included. Other files
    (`urls_*.txt`, `*.feat`, `imdb.vocab`) are ignored, and so is `unsup/`
    unless named in `labels`.

    Args:
        directory: The `aclImdb` folder (then give `split`) or a split folder
            holding the label folders.
        split: Optional sub-folder of `directory` to read, e.g. `"train"` or
            `"test"`. Defaults to `None` (read `directory` itself).
        labels: The label folders to read, in this order. Defaults to
            `("neg", "pos")`, so `neg` has id 0 and `pos` id 1; add `"unsup"`
            to read the unlabelled reviews (their rating is 0).
        encoding: Text encoding of the reviews. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) raises on undecodable bytes naming the
            file and line; `"replace"` substitutes U+FFFD.

    Returns:
        A `LabelledTexts` with the label folders as `label_names` (in the order
        of `labels`), the reviews ordered by label then numeric id, and
        `extras={"id": [...], "rating": [...]}` (integers from the names).

    Raises:
        FileNotFoundError: A label folder is missing (the message lists the
            folders found).
        DataFormatError: A `.txt` file whose name is not `ID_RATING.txt`.
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for name, text in [("pos/0_9.txt", "Loved it."), ("neg/1_2.txt", "No.")]:
    ...     os.makedirs(os.path.join(root, "train", os.path.dirname(name)),
    ...                 exist_ok=True)
    ...     with open(os.path.join(root, "train", name), "w") as f:
    ...         _ = f.write(text)
    >>> from kerasseq.data import read_aclimdb
    >>> data = read_aclimdb(root, "train")
    >>> data.texts, data.labels, data.extras["rating"]
    (['No.', 'Loved it.'], ['neg', 'pos'], [2, 9])
    """
    check_encoding(encoding, errors)
    if isinstance(labels, str) or not labels:
        raise ValueError(
            "`labels` must be a non-empty list of folder names, received: "
            f"labels={labels!r}"
        )
    folder = os.fspath(directory)
    if split is not None:
        folder = os.path.join(folder, split)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"No folder {folder!r} to read reviews from.")
    texts, names, ids, ratings = [], [], [], []
    for label in labels:
        label_folder = os.path.join(folder, label)
        if not os.path.isdir(label_folder):
            found = sorted(entry.name for entry in os.scandir(folder) if entry.is_dir())
            raise FileNotFoundError(
                f"No {label!r} folder in {folder!r}; folders found: {found}. "
                "Pass the folder that holds the label folders, or the aclImdb "
                "folder with split='train' or 'test'."
            )
        reviews = []
        for entry in os.scandir(label_folder):
            if not entry.name.endswith(".txt"):
                continue
            match = _REVIEW_NAME.fullmatch(entry.name)
            if match is None:
                raise DataFormatError(
                    f"{entry.path}: expected a review file named ID_RATING.txt "
                    "(e.g. 200_8.txt)"
                )
            reviews.append((int(match.group(1)), int(match.group(2)), entry.path))
        for review_id, rating, path in sorted(reviews):
            texts.append(read_text(path, encoding, errors))
            names.append(label)
            ids.append(review_id)
            ratings.append(rating)
    return LabelledTexts(
        texts=texts,
        labels=names,
        label_names=list(labels),
        extras={"id": ids, "rating": ratings},
    )
