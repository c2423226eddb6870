"""HTML pages of the CMDB: configuration items, their relationships, history, past states and impact.

Object pages are /<plural>/<uuid:pk>/…, the plural being the API's: the segment before an id names
the resource it identifies, which is how the segregation route walker finds an object to probe with.
"""

from django.urls import path

from towers.cmdb.views import detail, history, impact, items, relationships

urlpatterns = [
    path("configuration-items/", items.ci_list, name="ci_list"),
    path("configuration-items/new/", items.ci_create, name="ci_create"),
    path("configuration-items/impact/", impact.ci_impact, name="ci_impact"),
    path("configuration-items/<uuid:pk>/", detail.ci_detail, name="ci_detail"),
    path("configuration-items/<uuid:pk>/edit/", items.ci_edit, name="ci_edit"),
    path("configuration-items/<uuid:pk>/history/", history.ci_history, name="ci_history"),
    path("configuration-items/<uuid:pk>/as-of/", history.ci_as_of, name="ci_as_of"),
    path("configuration-items/<uuid:pk>/relationships/", relationships.ci_relationship_add, name="ci_relationship_add"),
    path(
        "configuration-items/<uuid:pk>/relationship-targets/",
        relationships.ci_relationship_targets,
        name="ci_relationship_targets",
    ),
    path("relationships/<uuid:pk>/delete/", relationships.relationship_delete, name="relationship_delete"),
]
