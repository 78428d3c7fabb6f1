"""Staff tools for the catalog. Saves go through the catalog services so every
change publishes its event (the admin runs each save in one transaction)."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from shop.catalog import services
from shop.catalog.models import Brand, Category, Product, ProductImage, Sku


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "is_active", "updated_at"]
    list_filter = ["is_active", "depth"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Category, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.record_category_change(obj)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class SkuInline(admin.TabularInline):
    model = Sku
    extra = 0
    fields = [
        "code",
        "variant_attributes",
        "price_override",
        "weight_grams",
        "length_mm",
        "width_mm",
        "height_mm",
        "is_active",
        "position",
    ]


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["source_url", "alt_text", "position"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "brand",
        "category",
        "price",
        "currency",
        "is_active",
        "fast_delivery",
        "rating_avg",
        "updated_at",
    ]
    list_filter = ["is_active", "availability", "fast_delivery", "currency"]
    list_select_related = ["brand", "category"]
    search_fields = ["name", "external_id", "skus__code", "brand__name"]
    autocomplete_fields = ["brand"]
    raw_id_fields = ["category"]
    readonly_fields = ["availability", "rating_avg", "rating_count", "created_at", "updated_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SkuInline, ProductImageInline]
    list_per_page = 50
    show_full_result_count = False  # COUNT(*) over a big table on every page is wasted work

    # The admin instance is shared by every request, so what one save learned
    # travels on the request, never on self.
    def save_model(self, request: HttpRequest, obj: Product, form: ModelForm, change: bool) -> None:
        request.catalog_change = {
            "old_price": form.initial.get("price") if change else None,
            "fields": list(form.changed_data),
        }
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool) -> None:
        old_overrides = (
            {sku.pk: sku.price_override for sku in Sku.objects.filter(product=form.instance)}
            if formset.model is Sku
            else {}
        )
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            request.catalog_change["fields"].append(formset.model._meta.verbose_name_plural.replace(" ", "_"))
        for sku in getattr(formset, "new_objects", []) + [obj for obj, _ in getattr(formset, "changed_objects", [])]:
            if isinstance(sku, Sku):
                services.record_sku_price_change(sku, old_overrides.get(sku.pk))

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        product = form.instance
        if not change:
            services.record_product_created(product)
        else:
            change_info = request.catalog_change
            services.record_product_change(product, change_info["fields"], old_price=change_info["old_price"])
