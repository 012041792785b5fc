"""A test addon that declares permissions and a role template, through the real door."""

from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate


@hookimpl
def register_permissions():
    return [
        Permission("widget.item.read", "See widgets"),
        Permission("widget.item.create", "Create widgets"),
        Permission("widget.cost.read", "See what widgets cost"),
    ]


@hookimpl
def register_roles():
    return [RoleTemplate("widget_clerk", ("widget.item.read", "widget.item.create"),
                         "Keeps the widgets")]
