"""Migration operations shared by the apps' migrations."""

from django.db import migrations


def relabel_content_type(model: str, *, old: str, new: str) -> migrations.RunPython:
    """Move `model`'s content type from app label `old` to `new` (and back on reverse).

    For a model that changed app but kept its table: its permissions, their group and user
    grants and the admin's log entries follow it instead of being left stale and recreated
    empty.
    """

    def move(apps, schema_editor, old=old, new=new):
        ContentType = apps.get_model("contenttypes", "ContentType")
        content_types = ContentType.objects.using(schema_editor.connection.alias)
        # A database where post_migrate already made the new one keeps it; nothing to move.
        if not content_types.filter(app_label=new, model=model).exists():
            content_types.filter(app_label=old, model=model).update(app_label=new)
        ContentType.objects.clear_cache()

    def move_back(apps, schema_editor):
        move(apps, schema_editor, old=new, new=old)

    return migrations.RunPython(move, move_back)
