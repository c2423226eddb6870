"""The shell's pages: home, sign-in and sign-out, switching organisation."""

from django.urls import path

from towers.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("switch-organisation/", views.switch_organisation, name="switch_organisation"),
]
