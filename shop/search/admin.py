"""Staff tools for search: price buckets and ranking models are editable; the
read model and logs are for looking, never for editing."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shop.search import ltr
from shop.search.models import PriceRange, RankerModel, SearchDocument, SearchQueryStat


@admin.register(PriceRange)
class PriceRangeAdmin(admin.ModelAdmin):
    list_display = ["currency", "position", "min_price", "max_price"]
    list_editable = ["position", "min_price", "max_price"]
    list_filter = ["currency"]


@admin.register(RankerModel)
class RankerModelAdmin(admin.ModelAdmin):
    list_display = ["version", "is_active", "source", "training_queries", "metrics", "trained_at", "file_name"]
    readonly_fields = [f.name for f in RankerModel._meta.fields]
    actions = ["activate", "deactivate_all"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # models come from `manage.py train_search_ranker`

    @admin.action(description="Make the selected model the active ranker")
    def activate(self, request: HttpRequest, queryset: QuerySet[RankerModel]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model.", messages.ERROR)
            return
        ltr.activate_version(queryset.get().version)
        self.message_user(request, "Activated; every search process picks it up on its next query.")

    @admin.action(description="Switch learning-to-rank off (base ranking)")
    def deactivate_all(self, request: HttpRequest, queryset: QuerySet[RankerModel]) -> None:
        ltr.activate_version(None)
        self.message_user(request, "Learning-to-rank is off.")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SearchDocument)
class SearchDocumentAdmin(ReadOnlyAdmin):
    list_display = ["product_id", "name", "brand", "price", "availability", "ctr", "popularity", "indexed_at"]
    search_fields = ["=product_id", "name"]
    show_full_result_count = False


@admin.register(SearchQueryStat)
class SearchQueryStatAdmin(ReadOnlyAdmin):
    list_display = ["normalized", "searches", "last_result_count", "last_searched_at"]
    search_fields = ["normalized"]
    ordering = ["-searches"]
    show_full_result_count = False
