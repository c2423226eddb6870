from django.apps import AppConfig


class SocConfig(AppConfig):
    name = "towers.soc"
    label = "soc"
    verbose_name = "Security operations"
