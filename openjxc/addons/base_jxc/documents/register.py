"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``).

The documents are served at ``/reports/{name}/{id}.pdf`` (``quotation``, ``sales_order``,
``delivery_note``, ``purchase_order``); their templates are in base_jxc's ``templates/``
directory (``templates/documents/``), where the kernel looks for an addon's templates.
"""

from __future__ import annotations

from openjxc.core.reports import Report


def reports() -> list[Report]:
    from . import loaders

    return [
        Report("quotation", "documents/quotation.html", loaders.QUOTATION_READ,
               load=loaders.load_quotation, title="Quotation"),
        Report("sales_order", "documents/sales_order.html", loaders.SALES_ORDER_READ,
               load=loaders.load_sales_order, title="Sales Contract"),
        Report("delivery_note", "documents/delivery_note.html", loaders.SALES_ORDER_READ,
               load=loaders.load_delivery_note, title="Delivery Note"),
        Report("purchase_order", "documents/purchase_order.html", loaders.PURCHASE_ORDER_READ,
               load=loaders.load_purchase_order, title="Purchase Order"),
    ]
