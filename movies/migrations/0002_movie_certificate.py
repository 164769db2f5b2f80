from django.db import migrations, models

# What the old free-text rating usually held, and the age each certificate admits
# unaccompanied. Anything else is carried over as the certificate, unrestricted.
KNOWN = {
    # MPA
    "G": ("MPA", 0),
    "PG": ("MPA", 0),
    "PG-13": ("MPA", 0),
    "R": ("MPA", 17),
    "NC-17": ("MPA", 18),
    # BBFC
    "U": ("BBFC", 0),
    "12A": ("BBFC", 0),
    "12": ("BBFC", 12),
    "15": ("BBFC", 15),
    "18": ("BBFC", 18),
    "R18": ("BBFC", 18),
    # FSK
    "FSK 0": ("FSK", 0),
    "FSK 6": ("FSK", 6),
    "FSK 12": ("FSK", 12),
    "FSK 16": ("FSK", 16),
    "FSK 18": ("FSK", 18),
}


def rating_to_certificate(apps, schema_editor):
    Movie = apps.get_model("movies", "Movie")
    for movie in Movie.objects.exclude(rating="").only("pk", "rating").iterator():
        certificate = movie.rating.strip()
        system, min_age = KNOWN.get(certificate.upper(), ("", 0))
        Movie.objects.filter(pk=movie.pk).update(
            certificate=certificate, rating_system=system, min_age=min_age
        )


def certificate_to_rating(apps, schema_editor):
    Movie = apps.get_model("movies", "Movie")
    for movie in Movie.objects.exclude(certificate="").only("pk", "certificate"):
        Movie.objects.filter(pk=movie.pk).update(rating=movie.certificate[:10])


class Migration(migrations.Migration):
    dependencies = [
        ("movies", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="movie",
            name="rating_system",
            field=models.CharField(
                blank=True, help_text="MPA, BBFC, FSK, ... (free text)", max_length=20
            ),
        ),
        migrations.AddField(
            model_name="movie",
            name="certificate",
            field=models.CharField(
                blank=True, help_text="e.g. PG-13, 15, FSK 16", max_length=20
            ),
        ),
        migrations.AddField(
            model_name="movie",
            name="min_age",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="Youngest age the certificate admits (0 to 21)"
            ),
        ),
        migrations.RunPython(rating_to_certificate, certificate_to_rating),
        migrations.RemoveField(model_name="movie", name="rating"),
        migrations.AddConstraint(
            model_name="movie",
            constraint=models.CheckConstraint(
                condition=models.Q(min_age__lte=21), name="movie_min_age_0_21"
            ),
        ),
    ]
