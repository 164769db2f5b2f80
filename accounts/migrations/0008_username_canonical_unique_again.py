from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_username_confusables")]

    operations = [
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_canonical",),
                name="uniq_user_username_canonical",
                violation_error_message="A user with that username already exists.",
            ),
        ),
    ]
