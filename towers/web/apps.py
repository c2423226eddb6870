from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "towers.web"
    label = "web"
    verbose_name = "User interface"
