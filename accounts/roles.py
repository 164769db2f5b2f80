"""The roles: groups holding model permissions, kept in sync after every migrate.

The data migration 0002 created them first; this post_migrate handler keeps them
present and complete afterwards, including after a test database flush (which
empties every table) and when a later app adds a permission to a role.
"""

from django.apps import apps as global_apps

# The role groups' names: created by migration 0002, kept complete below.
CATALOGUE_MANAGERS = "Catalogue managers"
BOX_OFFICE = "Box office"

ROLES: dict[str, list[tuple[str, str]]] = {
    CATALOGUE_MANAGERS: [
        (app_label, f"{action}_{model}")
        for app_label, model in (
            ("movies", "movie"),
            ("theaters", "theater"),
            ("theaters", "screen"),
            ("showtimes", "showtime"),
            ("pricing", "tickettype"),
            ("pricing", "pricecard"),
            ("pricing", "voucher"),
        )
        for action in ("add", "change", "delete", "view")
    ]
    + [("reports", "view_sales_report"), ("reservations", "block_seats")],
    BOX_OFFICE: [
        ("reservations", "view_all_reservations"),
        ("reservations", "check_in_ticket"),
        ("reservations", "view_reservation"),
        ("reservations", "view_reservedseat"),
        ("reservations", "view_ticket"),
        ("reservations", "issue_comp"),
        ("reservations", "book_groups"),
        ("reservations", "block_seats"),
        ("reservations", "refund_in_full"),
    ],
}


def ensure_roles(apps=global_apps, **kwargs) -> None:
    """Create missing role groups and give them the permissions that exist so far."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = Permission.objects.none()
        for app_label, codename in perms:
            wanted |= Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        group.permissions.add(*wanted)
