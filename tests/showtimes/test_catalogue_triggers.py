"""The catalogue version's triggers on showtimes (showtimes/migrations/0008) cover
every column except the booking side's seat columns."""

import importlib

from showtimes.models import Showtime

triggers = importlib.import_module(
    "showtimes.migrations.0008_catalogue_version_triggers"
)


def test_every_column_but_the_seat_columns_bumps_the_catalogue_version():
    columns = {field.column for field in Showtime._meta.concrete_fields}
    assert set(triggers.SEAT_COLUMNS) <= columns
    assert set(triggers.CATALOGUE_COLUMNS) == columns - set(triggers.SEAT_COLUMNS)
