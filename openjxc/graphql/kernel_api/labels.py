"""``enumLabels``: the words a screen shows for an enum's values, in the caller's language.

Enums travel as stable ``SCREAMING_SNAKE_CASE`` values (API.md); people read labels
("部分收货", "Partly received").  Each addon declares its labels on the enum
(``__labels__ = {"DRAFT": _("Draft")}``) and translates them in its catalogues; a
frontend fetches them once per enum and locale instead of keeping its own copy.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.types import Info
from strawberry.types.enum import StrawberryEnumDefinition

from openjxc.core.i18n import enum_label
from openjxc.graphql.errors import BadUserInput
from openjxc.graphql.fields import AUTHENTICATED, field


@strawberry.type(description="One value of an enum and its label in the caller's language.")
class EnumValueLabel:
    value: str
    label: str


def enum_labels(info: Info[Any, Any], enum: str) -> list[EnumValueLabel]:
    definition = info.schema.get_type_by_name(enum)
    if not isinstance(definition, StrawberryEnumDefinition):
        raise BadUserInput(f"{enum!r} is not an enum of this schema")
    wrapped = cast("type[Enum]", definition.wrapped_cls)
    locale = getattr(info.context, "locale", None)
    return [EnumValueLabel(value=member.name, label=enum_label(member, locale))
            for member in wrapped]


enum_labels_field = field(enum_labels, permission=AUTHENTICATED, name="enumLabels",
                          description="The labels of an enum's values, in the caller's "
                                      "language, for pickers and tables.")
