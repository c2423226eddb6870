"""Pages of the reporting app: the monthly service review pack with its PDF and XLSX downloads, and exit packs."""

from django.urls import URLPattern, URLResolver, include, path

from towers.reporting import views, views_dashboard, views_delivery, views_export, views_records

urlpatterns: list[URLPattern | URLResolver] = [
    path("reviews/", views.review_index, name="review_index"),
    path("reviews/subscriptions/", views_delivery.review_subscribe, name="review_subscribe"),
    path("reviews/subscriptions/<uuid:pk>/stop/", views_delivery.review_unsubscribe, name="review_unsubscribe"),
    path("reviews/dashboard/", views_dashboard.review_dashboard, name="review_dashboard"),  # before <month>
    path("reviews/<str:month>/", views.review_estate, name="review_estate"),
    path("reviews/<str:month>/pack.pdf", views_export.pack_pdf, name="review_estate_pdf"),
    path("reviews/<str:month>/pack.xlsx", views_export.pack_xlsx, name="review_estate_xlsx"),
    # The records behind a pack's figures; before <supplier_code>, which would take "clocks" as a supplier.
    path("reviews/<str:month>/clocks/", views_records.review_clocks, name="review_clocks"),
    path("reviews/<str:month>/handoffs/", views_records.review_handoffs, name="review_handoffs"),
    path("reviews/<str:month>/changes/", views_records.review_changes, name="review_changes"),
    path("reviews/<str:month>/security/", views_records.review_security, name="review_security"),
    path("reviews/<str:month>/towers/<slug:tower_code>/", views.review_tower, name="review_tower"),
    path("reviews/<str:month>/towers/<slug:tower_code>/pack.pdf", views_export.pack_pdf, name="review_tower_pdf"),
    path("reviews/<str:month>/towers/<slug:tower_code>/pack.xlsx", views_export.pack_xlsx, name="review_tower_xlsx"),
    path("reviews/<str:month>/<slug:supplier_code>/", views.review_supplier, name="review_supplier"),
    path("reviews/<str:month>/<slug:supplier_code>/pack.pdf", views_export.pack_pdf, name="review_supplier_pdf"),
    path("reviews/<str:month>/<slug:supplier_code>/pack.xlsx", views_export.pack_xlsx, name="review_supplier_xlsx"),
    path("", include("towers.reporting.urls_exit")),  # exit data packs (another module of this app)
]
