"""Full-text search: GIN expression indexes on PostgreSQL; FTS5 tables kept in step by triggers on SQLite.

RunPython rather than AddIndex so the migration state holds no index the models do not declare, and
so each backend builds only its own kind (the SQL is in towers.servicedesk.search, beside the queries
that must match it; ensure_search_indexes runs it again after later migrations).
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from towers.servicedesk.search import install_search_indexes

    install_search_indexes(schema_editor.connection, apps)


def backwards(apps, schema_editor):
    from towers.servicedesk.search import remove_search_indexes

    remove_search_indexes(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
