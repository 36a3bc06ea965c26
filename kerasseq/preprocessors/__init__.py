"""Preprocessors: raw task data to model inputs, in the TensorFlow graph."""

from kerasseq.preprocessors.text_classifier_preprocessor import (
    TextClassifierPreprocessor,
)

__all__ = ["TextClassifierPreprocessor"]
