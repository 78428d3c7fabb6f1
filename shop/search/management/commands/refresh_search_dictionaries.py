"""``manage.py refresh_search_dictionaries``: rebuild the spelling vocabulary and autocomplete now."""

from typing import Any

from django.core.management.base import BaseCommand

from shop.search import dictionaries


class Command(BaseCommand):
    help = "Rebuild the spelling vocabulary and the autocomplete suggestions (beat does it every few minutes)."

    def handle(self, *args: Any, **options: Any) -> None:
        dictionaries.refresh()
        self.stdout.write(self.style.SUCCESS("Search dictionaries refreshed."))
