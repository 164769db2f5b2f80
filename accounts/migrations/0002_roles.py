"""Create the roles as groups holding model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Catalogue managers": [
        f"{action}_{model}"
        for model in ("movie", "theater", "screen", "showtime")
        for action in ("add", "change", "delete", "view")
    ],
    "Box office": ["view_reservation", "view_ticket", "view_reservedseat"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(codename__in=codenames))


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("movies", "0001_initial"),
        ("theaters", "0001_initial"),
        ("showtimes", "0001_initial"),
        ("reservations", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
