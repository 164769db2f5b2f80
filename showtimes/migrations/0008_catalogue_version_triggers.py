"""The showtime list's bytes read showtimes, their screens and theaters (and movies,
whose triggers are in movies/migrations/0003): every write to those tables bumps the
catalogue version row, whatever wrote it (the API, the admin, bulk_create, update(),
raw SQL), so the fast path's copies of the list are keyed by it.

On showtimes_showtime only INSERT, DELETE and an UPDATE OF a catalogue column fire:
the booking transaction's UPDATE of the seat columns (reservations.services.audit
.bump_seats_version) must not write the one version row, or every booking would
queue on it. The seat columns key the list through their own per-day aggregate
(movie_api/fastpath.py). tests/showtimes/test_catalogue_triggers.py checks that every
other column of the model is in CATALOGUE_COLUMNS.
"""

from django.db import migrations

SEAT_COLUMNS = (
    "seats_version",
    "seats_claimed",
    "hold_deadlines",
    "holds_lapse_at",
    "has_claims",
)
CATALOGUE_COLUMNS = (
    "id",
    "movie_id",
    "screen_id",
    "starts_at",
    "ends_at",
    "prices",
    "price_table",
    "is_cancelled",
    "business_date",
    "format",
    "audio_language",
    "subtitles",
    "has_closed_captions",
    "has_audio_description",
    "is_relaxed",
    "created_at",
)
BUMP = "UPDATE movies_catalogueversion SET version = version + 1 WHERE id = 1;"
_OF = ", ".join(CATALOGUE_COLUMNS)
# (trigger name, table, SQLite event)
_SQLITE_TRIGGERS = [
    ("showtimes_catalogue_bump_insert", "showtimes_showtime", "INSERT"),
    ("showtimes_catalogue_bump_delete", "showtimes_showtime", "DELETE"),
    ("showtimes_catalogue_bump_update", "showtimes_showtime", f"UPDATE OF {_OF}"),
    *(
        (f"{table}_catalogue_bump_{event.lower()}", table, event)
        for table in ("theaters_screen", "theaters_theater")
        for event in ("INSERT", "UPDATE", "DELETE")
    ),
]
SQLITE = [
    f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP} END"
    for name, table, event in _SQLITE_TRIGGERS
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name, _t, _e in _SQLITE_TRIGGERS]
_PG_TRIGGERS = [
    (
        "showtimes_catalogue_bump",
        "showtimes_showtime",
        f"INSERT OR DELETE OR TRUNCATE OR UPDATE OF {_OF}",
    ),
    (
        "screens_catalogue_bump",
        "theaters_screen",
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    ),
    (
        "theaters_catalogue_bump",
        "theaters_theater",
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    ),
]
# movies_catalogue_bump() is the function movies/migrations/0003 created.
POSTGRES = [
    f"CREATE TRIGGER {name} AFTER {events} ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION movies_catalogue_bump()"
    for name, table, events in _PG_TRIGGERS
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, _e in _PG_TRIGGERS
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("showtimes", "0007_showtime_seat_counts"),
        ("movies", "0003_catalogue_version"),
        ("theaters", "0005_seat_features"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
