"""The text half of the fraud gate: TF-IDF word and character n-grams into a
logistic regression, trained on labelled fake/genuine reviews.

Training data: the Salminen et al. (2022) subset (GPT-2 generated vs genuine
Amazon reviews). The Ott et al. deceptive opinion spam corpus is licensed
CC BY-NC-SA (non-commercial), so it is used to *evaluate* only and never to train
a model the store ships.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score, recall_score, roc_auc_score
from sklearn.pipeline import FeatureUnion, Pipeline

SALMINEN_FILE = Path("fake_reviews_salminen_subset") / "fake_reviews_subset.csv.gz"
OTT_FILE = Path("deceptive_opinion_spam_ott") / "op_spam_v1.4.csv.gz"
DECISION_THRESHOLD = 0.5  # for the precision/recall figures of an evaluation


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[int]  # 1 = fake

    def __len__(self) -> int:
        return len(self.texts)


def _read_csv_gz(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_salminen(data_dir: Path | None = None) -> dict[str, LabelledTexts]:
    """The Salminen subset by its ``split`` column: ``dev`` trains, ``test`` is held out."""
    rows = _read_csv_gz((data_dir or settings.SHARED_DATA_DIR) / SALMINEN_FILE)
    splits: dict[str, LabelledTexts] = {}
    for name in ("dev", "test"):
        chosen = [row for row in rows if row["split"] == name]
        splits[name] = LabelledTexts([row["text"] for row in chosen], [int(row["label"] == "CG") for row in chosen])
    return splits


def load_ott(data_dir: Path | None = None) -> LabelledTexts:
    """All 1,600 Ott hotel reviews: evaluation only (non-commercial licence)."""
    rows = _read_csv_gz((data_dir or settings.SHARED_DATA_DIR) / OTT_FILE)
    return LabelledTexts([row["text"] for row in rows], [int(row["deceptive"] == "deceptive") for row in rows])


def build_pipeline() -> Pipeline:
    """Word 1-2-grams catch phrasing, character 2-5-grams catch style and misspellings.

    Vocabularies are capped so the model file stays around a megabyte and
    scoring a review takes a couple of milliseconds.
    """
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "word",
                            TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=30_000, sublinear_tf=True),
                        ),
                        (
                            "char",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 5),
                                min_df=2,
                                max_features=60_000,
                                sublinear_tf=True,
                                lowercase=False,
                            ),
                        ),
                    ]
                ),
            ),
            ("classifier", LogisticRegression(C=4.0, max_iter=2000)),
        ]
    )


def train(data: LabelledTexts) -> Pipeline:
    pipeline = build_pipeline()
    pipeline.fit(data.texts, data.labels)
    for _name, vectorizer in pipeline.named_steps["features"].transformer_list:
        vectorizer.stop_words_ = None  # the pruned vocabulary is only kept for inspection; it triples the file
    return pipeline


def evaluate(pipeline: Pipeline, data: LabelledTexts) -> dict[str, float]:
    """ROC AUC, and precision/recall of "fake" at the 0.5 probability cut."""
    probabilities = pipeline.predict_proba(data.texts)[:, 1]
    predicted = (probabilities >= DECISION_THRESHOLD).astype(int)
    return {
        "auc": round(float(roc_auc_score(data.labels, probabilities)), 4),
        "precision": round(float(precision_score(data.labels, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(data.labels, predicted, zero_division=0)), 4),
        "rows": len(data),
    }


@dataclass(frozen=True)
class TextScore:
    probability: float
    top_ngrams: list[tuple[str, float]]  # (n-gram, contribution to the log-odds), strongest first


class TextModel:
    """A fitted pipeline plus what explaining a score needs, loaded once per version."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.coefficients = pipeline.named_steps["classifier"].coef_[0]
        self.feature_names = pipeline.named_steps["features"].get_feature_names_out()

    def score(self, text: str, top: int = 6) -> TextScore:
        """The probability that ``text`` is fake and the n-grams that pushed it there."""
        vector = self.pipeline.named_steps["features"].transform([text]).tocsr()
        logit = float((vector @ self.coefficients)[0] + self.pipeline.named_steps["classifier"].intercept_[0])
        probability = float(1.0 / (1.0 + np.exp(-logit)))
        contributions = vector.data * self.coefficients[vector.indices]
        strongest = np.argsort(-np.abs(contributions))[:top]
        top_ngrams = [
            (_readable(self.feature_names[vector.indices[i]]), round(float(contributions[i]), 3)) for i in strongest
        ]
        return TextScore(probability, top_ngrams)


def _readable(feature_name: str) -> str:
    """``word__great product`` -> ``great product``; ``char__ gre`` -> ``char: " gre"``."""
    kind, _, ngram = feature_name.partition("__")
    return f'char: "{ngram}"' if kind == "char" else ngram
