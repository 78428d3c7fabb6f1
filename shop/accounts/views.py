"""Account pages: sign up, sign in, sign out, and the address book.

Signing in (or up) folds the guest's cart into the customer's through
``shop.cart.services.merge_guest_cart``; then the guest cookie is dropped.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shop.accounts import services
from shop.accounts.forms import AddressForm, LoginForm, SignUpForm
from shop.accounts.models import Address
from shop.cart import services as cart


def _adopt_guest_cart(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    cart.merge_guest_cart(cart.token_from_request(request), request.user.pk)
    cart.forget_guest_token(response)
    return response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:
        return _adopt_guest_cart(self.request, super().form_valid(form))


class LogoutView(auth_views.LogoutView):
    pass


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:account")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend="shop.accounts.backends.EmailOrUsernameBackend")
        messages.success(request, "Welcome! Your account is ready.")
        return _adopt_guest_cart(request, redirect("accounts:account"))
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {"addresses": services.list_addresses(request.user.pk)})


@login_required
def address_form(request: HttpRequest, address_id: int | None = None) -> HttpResponse:
    instance = None
    if address_id is not None:
        instance = Address.objects.filter(user_id=request.user.pk, pk=address_id).first()
        if instance is None:
            raise Http404("No such address")
    form = AddressForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in services.ADDRESS_FIELDS}
        try:
            services.save_address(request.user.pk, address_id, **fields)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Address saved.")
            return redirect("accounts:account")
    return render(request, "accounts/address_form.html", {"form": form, "editing": instance is not None})


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    if not services.delete_address(request.user.pk, address_id):
        raise Http404("No such address")
    messages.success(request, "Address deleted.")
    return redirect("accounts:account")


def _add_errors(form: AddressForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
