"""Turn a text probability and behaviour signals into one score and a decision.

The score is a logistic combination: the text model's log-odds (learned from
labelled data) plus the staff-weighted behaviour signals (there is no labelled
behaviour data to learn them from), so each part's contribution to the log-odds
can be shown to a moderator as the reason for the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shop.reviews.fraud import registry
from shop.reviews.fraud.behaviour import observe
from shop.reviews.models import FraudPolicy, Review, ReviewStatus

PROBABILITY_FLOOR = 1e-4  # keeps one confident n-gram model from reaching infinite log-odds
NO_MODEL_REASON = "No fraud model is trained yet: held for a moderator."


@dataclass(frozen=True)
class Assessment:
    status: str
    score: float | None
    text_probability: float | None
    model_version: str
    reason: str
    signals: dict[str, Any]  # kept on the review for staff: values, contributions, top n-grams


def current_policy() -> FraudPolicy:
    """The staff-edited policy, or the defaults until someone saves one."""
    return FraudPolicy.objects.order_by("id").first() or FraudPolicy()


def _weights(policy: FraudPolicy) -> dict[str, float]:
    return {
        "new_account": policy.new_account_weight,
        "reviews_last_day": policy.reviews_last_day_weight,
        "unverified": policy.unverified_weight,
        "rating_deviation": policy.rating_deviation_weight,
        "near_duplicate": policy.near_duplicate_weight,
        "product_burst": policy.burst_weight,
    }


def _logit(probability: float) -> float:
    p = min(max(probability, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR)
    return math.log(p / (1 - p))


def assess(review: Review) -> Assessment:
    policy = current_policy()
    behaviour = observe(review, policy)
    values = behaviour.signals(policy)
    weights = _weights(policy)
    contributions = {name: round(weights[name] * value, 3) for name, value in values.items()}
    details: dict[str, Any] = {
        "behaviour": {
            "account_age_days": None if behaviour.account_age_days is None else round(behaviour.account_age_days, 1),
            "reviews_last_day": behaviour.reviews_last_day,
            "verified_purchase": behaviour.verified_purchase,
            "product_mean": behaviour.product_mean,
            "near_duplicate_of": behaviour.near_duplicate_of,
            "product_burst": behaviour.product_burst,
        },
        "signals": values,
        "contributions": contributions,
    }
    loaded = registry.current_model()
    if loaded is None:
        return Assessment(ReviewStatus.HELD, None, None, "", NO_MODEL_REASON, details)
    text = loaded.model.score(f"{review.title}\n{review.body}")
    contributions["text"] = round(policy.text_weight * _logit(text.probability), 3)
    details["top_ngrams"] = text.top_ngrams
    log_odds = policy.bias + sum(contributions.values())
    score = 1.0 / (1.0 + math.exp(-log_odds))
    if score >= policy.reject_threshold:
        status = ReviewStatus.REJECTED
        reason = f"Score {score:.3f} ≥ reject threshold {policy.reject_threshold}. {_strongest(contributions)}"
    elif score >= policy.hold_threshold:
        status = ReviewStatus.HELD
        reason = f"Score {score:.3f} ≥ hold threshold {policy.hold_threshold}. {_strongest(contributions)}"
    else:
        status, reason = ReviewStatus.PUBLISHED, ""
    return Assessment(status, round(score, 5), round(text.probability, 5), loaded.version, reason, details)


def _strongest(contributions: dict[str, float], top: int = 3) -> str:
    ranked = sorted((item for item in contributions.items() if item[1] > 0), key=lambda item: -item[1])[:top]
    return "Driven by: " + ", ".join(f"{name} +{value:.2f}" for name, value in ranked) if ranked else ""
