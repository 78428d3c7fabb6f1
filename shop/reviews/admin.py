"""Staff tools: the moderation queue, every review, the fraud policy and model versions.

Decisions go through ``services.moderate`` so the rating summaries, the catalog
and the caches follow. Customers' text is read-only here, and escaped.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from shop.reviews import services
from shop.reviews.fraud import registry
from shop.reviews.models import FraudModel, FraudPolicy, ModerationItem, Review, ReviewStatus


class ModerationActionForm(ActionForm):
    reason = forms.CharField(required=False, max_length=500, label="Reason (kept for staff)")


REVIEW_FIELDS = [
    "title",
    "body",
    "rating",
    "product_id",
    "user_id",
    "author_name",
    "verified_purchase",
    "status",
    "helpful_count",
    "revision",
    "fraud_score",
    "text_score",
    "why",
    "decision_reason",
    "decided_by",
    "model_version",
    "submitted_at",
    "decided_at",
    "published_at",
    "created_at",
]


class ReviewAdminBase(admin.ModelAdmin):
    action_form = ModerationActionForm
    actions = ["approve", "reject"]
    list_display = [
        "title",
        "rating",
        "product_id",
        "status",
        "score",
        "text_score",
        "verified_purchase",
        "submitted_at",
    ]
    list_filter = ["status", "verified_purchase", "decided_by"]
    search_fields = ["title", "=product_id", "=user_id"]
    fields = REVIEW_FIELDS
    readonly_fields = REVIEW_FIELDS
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Review | None = None) -> bool:
        return False  # reject instead: deleting would skip the summary and the events

    @admin.display(description="score", ordering="fraud_score")
    def score(self, review: Review) -> str:
        return "—" if review.fraud_score is None else f"{review.fraud_score:.3f}"

    @admin.display(description="Why this score")
    def why(self, review: Review) -> SafeString:
        signals = review.fraud_signals or {}
        contributions = signals.get("contributions", {})
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (name, signals.get("signals", {}).get(name, "—"), f"{value:+.2f}")
                for name, value in sorted(contributions.items(), key=lambda item: -abs(item[1]))
            ),
        )
        ngrams = format_html_join(
            "", "<li>{} ({})</li>", ((ngram, f"{weight:+.2f}") for ngram, weight in signals.get("top_ngrams", []))
        )
        behaviour = format_html_join(
            "", "<li>{}: {}</li>", ((name, value) for name, value in signals.get("behaviour", {}).items())
        )
        return format_html(
            "<table><thead><tr><th>signal</th><th>value (0-1)</th><th>adds to log-odds</th></tr></thead>"
            "<tbody>{}</tbody></table><p>Text n-grams that moved the text model:</p><ul>{}</ul>"
            "<p>Behaviour:</p><ul>{}</ul>",
            rows,
            ngrams or format_html("<li>{}</li>", "none (no model)"),
            behaviour,
        )

    @admin.action(description="Approve (publish) the selected reviews")
    def approve(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, approve=True)

    @admin.action(description="Reject the selected reviews")
    def reject(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        self._moderate(request, queryset, approve=False)

    def _moderate(self, request: HttpRequest, queryset: QuerySet[Review], *, approve: bool) -> None:
        reason = request.POST.get("reason", "").strip() or ("Approved by staff" if approve else "Rejected by staff")
        changed = services.moderate(
            queryset.values_list("id", flat=True), approve=approve, staff_id=request.user.id, reason=reason
        )
        self.message_user(
            request, f"{changed} review{'s' if changed != 1 else ''} {'published' if approve else 'rejected'}."
        )


@admin.register(ModerationItem)
class ModerationQueueAdmin(ReviewAdminBase):
    """Held reviews, riskiest first."""

    list_filter = ["verified_purchase"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return (
            super()
            .get_queryset(request)
            .filter(status=ReviewStatus.HELD)
            .order_by(F("fraud_score").desc(nulls_last=True), "submitted_at")
        )


@admin.register(Review)
class ReviewAdmin(ReviewAdminBase):
    date_hierarchy = "created_at"


@admin.register(FraudPolicy)
class FraudPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not FraudPolicy.objects.exists()  # one policy row

    def has_delete_permission(self, request: HttpRequest, obj: FraudPolicy | None = None) -> bool:
        return False


@admin.register(FraudModel)
class FraudModelAdmin(admin.ModelAdmin):
    list_display = ["version", "is_current", "train_rows", "auc", "created_at"]
    readonly_fields = ["version", "sha256", "is_current", "trained_on", "train_rows", "metrics", "created_at"]
    actions = ["make_current"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `manage.py train_review_model` creates versions

    @admin.display(description="AUC (Salminen held out)")
    def auc(self, row: FraudModel) -> Any:
        return row.metrics.get("salminen_test", {}).get("auc", "—")

    @admin.action(description="Make the selected version current")
    def make_current(self, request: HttpRequest, queryset: QuerySet[FraudModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", level=messages.ERROR)
            return
        version = queryset.get().version
        if not registry.model_path(version).exists():
            self.message_user(request, f"The file for {version} is missing.", level=messages.ERROR)
            return
        registry.make_current(version)
        self.message_user(request, f"{version} is now the current model.")
