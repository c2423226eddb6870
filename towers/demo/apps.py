from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "towers.demo"
    label = "demo"
    verbose_name = "Demo estate"
