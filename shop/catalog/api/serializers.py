"""Shapes of the catalog's API responses (also the OpenAPI schema's source)."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from shop.catalog.attributes import effective_schema
from shop.catalog.models import Brand, Category, Product, ProductImage, Sku
from shop.catalog.queries import breadcrumbs, variant_options


def image_url(product_id: int, position: int = 0) -> str:
    return reverse("catalog:image", args=[product_id, position])


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "name", "slug"]


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class CategoryNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    product_count = serializers.IntegerField()
    children = serializers.ListField(child=serializers.DictField())


class CategoryDetailSerializer(serializers.ModelSerializer):
    ancestors = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    attribute_schema = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description", "ancestors", "children", "attribute_schema"]

    def get_ancestors(self, category: Category) -> list[dict[str, Any]]:
        return CategoryRefSerializer(Category.objects.get_ancestors(category), many=True).data

    def get_children(self, category: Category) -> list[dict[str, Any]]:
        children = Category.objects.get_children(category).filter(is_active=True)
        return CategoryRefSerializer(children, many=True).data

    def get_attribute_schema(self, category: Category) -> dict[str, Any]:
        return effective_schema(category)


@extend_schema_field(
    inline_serializer("Rating", {"average": serializers.CharField(), "count": serializers.IntegerField()})
)
class RatingField(serializers.Field):
    def to_representation(self, product: Product) -> dict[str, Any]:
        return {"average": str(product.rating_avg), "count": product.rating_count}


class ProductListItemSerializer(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.name", default="")
    rating = RatingField(source="*")
    image = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "brand",
            "price",
            "list_price",
            "currency",
            "rating",
            "fast_delivery",
            "availability",
            "image",
        ]

    def get_image(self, product: Product) -> str:
        return image_url(product.id)


class SkuSerializer(serializers.ModelSerializer):
    variant = serializers.JSONField(source="variant_attributes")
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    dimensions_mm = serializers.SerializerMethodField()

    class Meta:
        model = Sku
        fields = ["id", "code", "variant", "price", "weight_grams", "dimensions_mm"]

    def get_dimensions_mm(self, sku: Sku) -> list[int]:
        return [sku.length_mm, sku.width_mm, sku.height_mm]


class ImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["url", "alt_text", "position"]

    def get_url(self, image: ProductImage) -> str:
        return image_url(image.product_id, image.position)


class ProductDetailSerializer(serializers.ModelSerializer):
    brand = BrandSerializer(allow_null=True)
    category = CategoryRefSerializer()
    breadcrumbs = serializers.SerializerMethodField()
    rating = RatingField(source="*")
    skus = SkuSerializer(many=True)
    images = serializers.SerializerMethodField()
    variant_options = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "brand",
            "category",
            "breadcrumbs",
            "price",
            "list_price",
            "currency",
            "attributes",
            "fast_delivery",
            "availability",
            "rating",
            "images",
            "skus",
            "variant_options",
            "created_at",
            "updated_at",
        ]

    def get_breadcrumbs(self, product: Product) -> list[dict[str, Any]]:
        return CategoryRefSerializer(breadcrumbs(product.category), many=True).data

    def get_images(self, product: Product) -> list[dict[str, Any]]:
        images = list(product.images.all())
        if not images:
            return [{"url": image_url(product.id), "alt_text": product.name, "position": 0}]
        return ImageSerializer(images, many=True).data

    def get_variant_options(self, product: Product) -> dict[str, list[str]]:
        return variant_options(list(product.skus.all()))
