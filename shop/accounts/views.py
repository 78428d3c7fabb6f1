"""Account pages: sign up, sign in, sign out, the profile (name, email, password) and the address book.

Signing in (or up) folds the guest's cart into the customer's through
``shop.cart.services.merge_guest_cart``; then the guest cookie is dropped.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shop.accounts import services
from shop.accounts.forms import AddressForm, LoginForm, ProfileForm, SignUpForm
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


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own view: checks the old password, runs the validators, keeps this session signed in."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        messages.success(self.request, "Your password is changed.")
        return super().form_valid(form)


def _next_url(request: HttpRequest) -> str:
    """Where to go after signing up: the page that sent the shopper here (checkout, say), if it is ours."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure())
    return candidate if safe else ""


def signup(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url or "accounts:account")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend="shop.accounts.backends.EmailOrUsernameBackend")
        messages.success(request, "Welcome! Your account is ready.")
        return _adopt_guest_cart(request, redirect(next_url or "accounts:account"))
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {"profile": services.user_info(request.user)})


@login_required
def profile_form(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"name": user.get_full_name(), "email": user.email}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(user.pk, form.cleaned_data["name"], form.cleaned_data["email"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:account")
    return render(request, "accounts/profile_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def addresses(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/addresses.html", {"addresses": services.list_addresses(request.user.pk)})


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
            return redirect("accounts:addresses")
    return render(request, "accounts/address_form.html", {"form": form, "editing": instance is not None})


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    if not services.delete_address(request.user.pk, address_id):
        raise Http404("No such address")
    messages.success(request, "Address deleted.")
    return redirect("accounts:addresses")


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
