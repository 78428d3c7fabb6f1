from django import forms

from shop.reviews import services

STAR_CHOICES = [(stars, f"{stars} star{'s' if stars > 1 else ''}") for stars in range(5, 0, -1)]


class ReviewForm(forms.Form):
    """The page's form; the service checks the content again and its errors land on these fields."""

    rating = forms.TypedChoiceField(choices=STAR_CHOICES, coerce=int, widget=forms.RadioSelect, label="Your rating")
    title = forms.CharField(max_length=services.TITLE_MAX_LENGTH, label="Title")
    body = forms.CharField(
        max_length=services.BODY_MAX_LENGTH,
        label="Your review",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"Up to {services.BODY_MAX_LENGTH:,} characters.",
    )
