"""Make the canonical username required and unique (a migration of its own, so
the schema change does not share a PostgreSQL transaction with 0004's updates)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_username_canonical")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="username_canonical",
            field=models.TextField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_canonical",),
                name="uniq_user_username_canonical",
                violation_error_message="A user with that username already exists.",
            ),
        ),
    ]
