from rest_framework import serializers

from shop.reviews.services import RatingSummaryInfo


class ReviewSerializer(serializers.Serializer):
    """Serializes ``shop.reviews.services.ReviewInfo``. Text is returned as written:
    HTML clients must escape it (the storefront's templates do)."""

    id = serializers.IntegerField(source="review_id")
    product_id = serializers.IntegerField()
    author_name = serializers.CharField()
    rating = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    status = serializers.CharField()
    verified_purchase = serializers.BooleanField()
    helpful_count = serializers.IntegerField()
    edited = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ReviewInputSerializer(serializers.Serializer):
    """Types only; the content rules (lengths, 1-5 stars) are the service's, so the
    API and the pages give the same messages."""

    rating = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True, trim_whitespace=False)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


class SummarySerializer(serializers.Serializer):
    product_id = serializers.IntegerField()
    average = serializers.DecimalField(max_digits=3, decimal_places=2)
    count = serializers.IntegerField()
    histogram = serializers.SerializerMethodField()

    def get_histogram(self, summary: RatingSummaryInfo) -> dict[str, int]:
        return {str(stars): n for stars, n in summary.histogram.items()}
