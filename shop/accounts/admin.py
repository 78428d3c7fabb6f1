from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from shop.accounts.models import Address, User


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0


@admin.register(User)
class ShopUserAdmin(UserAdmin):
    inlines = [AddressInline]
