"""Reports own no data; this model exists only to carry their permission."""

from django.db import models


class SalesReport(models.Model):
    """No table (``managed = False``): the content type the permission
    ``reports.view_sales_report`` hangs on, which the Catalogue managers role holds."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_sales_report", "Can read sales and occupancy reports")]

    def __str__(self) -> str:
        return "sales report"
