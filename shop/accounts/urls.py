from django.urls import path

from shop.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/", views.account, name="account"),
    path("accounts/profile/", views.profile_form, name="profile"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password"),
    path("accounts/addresses/", views.addresses, name="addresses"),
    path("accounts/addresses/new/", views.address_form, name="address-new"),
    path("accounts/addresses/<id:address_id>/", views.address_form, name="address-edit"),
    path("accounts/addresses/<id:address_id>/delete/", views.address_delete, name="address-delete"),
]
