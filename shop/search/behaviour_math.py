"""How raw behaviour counts become ranking signals (shared by the log processor,
the base score and learning-to-rank features).

Counts are smoothed towards a prior so that one lucky click on a product shown
twice does not beat a steady seller: CTR = (clicks + 1) / (impressions + 20).
"""

from __future__ import annotations

import math

PRIOR_CTR = 0.05
PRIOR_CONVERSION = 0.02
CTR_PSEUDO_IMPRESSIONS = 20
CONVERSION_PSEUDO_CLICKS = 10


def ctr(impressions: int, clicks: int) -> float:
    return (clicks + PRIOR_CTR * CTR_PSEUDO_IMPRESSIONS) / (impressions + CTR_PSEUDO_IMPRESSIONS)


def conversion_rate(clicks: int, add_to_carts: int, purchases: int) -> float:
    """Purchases per click, with an add to cart worth half a purchase."""
    return (purchases + 0.5 * add_to_carts + PRIOR_CONVERSION * CONVERSION_PSEUDO_CLICKS) / (
        clicks + CONVERSION_PSEUDO_CLICKS
    )


def popularity(clicks: int, add_to_carts: int, purchases: int) -> float:
    return math.log1p(clicks + 3 * add_to_carts + 10 * purchases)


# The same signals as one SQL factor over a search document ``d`` (>= 0.5): the
# base ranking multiplies text relevance by it. Ratings use a Bayesian average
# (10 pseudo-votes of 3.5 stars) so a single 5-star review is not a top rating.
BEHAVIOUR_SQL = (
    f"GREATEST(0.5, 1 + 2 * (d.ctr - {PRIOR_CTR}) + 2 * (d.conversion_rate - {PRIOR_CONVERSION})"
    " + 0.05 * d.popularity + 0.2 * ((d.rating_avg * d.rating_count + 35) / (d.rating_count + 10) / 5 - 0.7))"
    " * (CASE WHEN d.in_stock THEN 1.0 ELSE 0.6 END)"
)
