"""Preprocessors: raw task data to model inputs, in the TensorFlow graph."""

from kerasseq.preprocessors.text_classifier_preprocessor import (
    TextClassifierPreprocessor,
)
from kerasseq.preprocessors.translator_preprocessor import TranslatorPreprocessor

__all__ = ["TextClassifierPreprocessor", "TranslatorPreprocessor"]
