"""Pages of the SOC: the alert queue and security cases (each case step at its own address)."""

from django.urls import path

from towers.soc import urls_intel, urls_rules, views, views_attack

urlpatterns = [
    path("alerts/", views.alert_queue, name="soc_alert_queue"),
    path("alerts/bulk/", views.alert_bulk, name="soc_alert_bulk"),
    path("attack/", views_attack.attack_matrix, name="soc_attack"),
    path("security-cases/", views.case_list, name="soc_case_list"),
    path("security-cases/<uuid:pk>/", views.case_detail, name="soc_case_detail"),
    *[
        path(f"security-cases/<uuid:pk>/{step}/", views.case_step, {"step": step}, name=f"soc_case_{step}")
        for step in views.STEP_FORMS
    ],
    *[
        path(
            f"security-cases/<uuid:pk>/tasks/<uuid:task_pk>/{change}/",
            views.case_task_change,
            {"change": change},
            name=f"soc_case_task_{change}",
        )
        for change in views.TASK_CHANGES
    ],
    *urls_rules.urlpatterns,
    *urls_intel.urlpatterns,
]
