"""End-to-end pipelines: raw text in, labels out, with save, load and export."""

from kerasseq.pipelines.pipeline import Pipeline
from kerasseq.pipelines.text_classifier import TextClassifier
from kerasseq.pipelines.text_classifier import TextClassifierConfig
from kerasseq.pipelines.translator import Translator
from kerasseq.pipelines.translator import TranslatorConfig

__all__ = [
    "Pipeline",
    "TextClassifier",
    "TextClassifierConfig",
    "Translator",
    "TranslatorConfig",
]
