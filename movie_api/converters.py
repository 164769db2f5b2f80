"""Path converters: ``<id:pk>`` is a primary key the database can hold.

Django's ``<int:...>`` matches any run of digits, and an id past 2**63 - 1 then
reached the database as an OverflowError (a 500 on SQLite) through lookups on a
foreign key. An id out of range names no row, so it matches no route: 404.
"""

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")  # no match: 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))
