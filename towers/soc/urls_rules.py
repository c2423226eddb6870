"""Pages of the SOC's detection rules (each tuning step at its own address)."""

from django.urls import URLPattern, path

from towers.soc import views_rules

urlpatterns: list[URLPattern] = [
    path("detection-rules/", views_rules.rule_list, name="soc_rule_list"),
    path("detection-rules/new/", views_rules.rule_new, name="soc_rule_new"),
    path("detection-rules/<uuid:pk>/", views_rules.rule_detail_page, name="soc_rule_detail"),
    path("detection-rules/<uuid:pk>/edit/", views_rules.rule_edit, name="soc_rule_edit"),
    *[
        path(f"detection-rules/<uuid:pk>/{step}/", views_rules.rule_step, {"step": step}, name=f"soc_rule_{step}")
        for step in views_rules.STEP_FORMS
    ],
]
