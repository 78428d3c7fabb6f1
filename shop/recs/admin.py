"""Staff tools: consumable categories (a rule staff own), model versions (inspect, roll back), the log (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from shop.catalog import services as catalog
from shop.recs import publishing
from shop.recs.models import ConsumableCategory, Interaction, ModelVersion


class ConsumableCategoryForm(forms.ModelForm):
    class Meta:
        model = ConsumableCategory
        fields = ["category_id", "note"]

    def clean_category_id(self) -> int:
        category_id = self.cleaned_data["category_id"]
        if not catalog.subtree_category_ids(category_id):
            raise forms.ValidationError("There is no category with this id.")
        return category_id


def _rebuild_cards_on_commit() -> None:
    from shop.recs.tasks import rebuild_cards

    transaction.on_commit(rebuild_cards.delay)


@admin.register(ConsumableCategory)
class ConsumableCategoryAdmin(admin.ModelAdmin):
    """Changes re-project every product card, so lookups apply the new rule within minutes."""

    form = ConsumableCategoryForm
    list_display = ["category_id", "note", "created_at"]
    search_fields = ["note"]

    def save_model(self, request: HttpRequest, obj: ConsumableCategory, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _rebuild_cards_on_commit()

    def delete_model(self, request: HttpRequest, obj: ConsumableCategory) -> None:
        super().delete_model(request, obj)
        _rebuild_cards_on_commit()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ConsumableCategory]) -> None:
        super().delete_queryset(request, queryset)
        _rebuild_cards_on_commit()


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "trained_at", "activated_at", "data_until"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ["activate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Serve this version (roll back or forward)")
    def activate(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version.", messages.ERROR)
            return
        version = queryset.get()
        try:
            publishing.activate(version.id)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Now serving v{version.id}.", messages.SUCCESS)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    """Append-only: staff can look, not edit."""

    list_display = ["id", "kind", "product_id", "user_id", "session_id", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["=product_id", "=user_id", "=session_id"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
