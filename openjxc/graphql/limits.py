"""Query protection: every request is sized up before a resolver runs (API.md "Protection").

A GraphQL endpoint lets the client choose how much work the server does, so each document
is measured first and refused with a GraphQL error carrying a stable ``extensions.code``:

========================  ===============================================================
``TOO_MANY_TOKENS``       more lexical tokens (or comments) than ``Settings.max_tokens``;
                          the parser stops counting there, so a huge document costs little
``QUERY_TOO_LARGE``       a document longer than ``Settings.max_body_bytes`` characters
``QUERY_TOO_DEEP``        fields nested deeper than ``Settings.max_depth``
``TOO_MANY_ALIASES``      more aliases than ``Settings.max_aliases`` (aliases repeat fields)
``PAGE_SIZE_TOO_LARGE``   ``first``/``last`` above ``Settings.max_page_size``
``QUERY_TOO_COMPLEX``     an estimated cost above ``Settings.max_cost``
``INTROSPECTION_DISABLED``  ``__schema``/``__type`` while ``Settings.introspection`` is off
``NUL_CHARACTER``         a string argument or variable holding ``\\u0000``: no text the
                          product stores or looks up may contain it (PostgreSQL cannot
                          store it at all), so it is refused here, once for every field
``BAD_REQUEST``           a variable holding a lone UTF-16 surrogate (``"\\ud800"`` in
                          JSON): not Unicode text, which no database stores or compares
========================  ===============================================================

Every message is in the caller's language (``zh_CN``, ``en``); the codes never change.

The cost counts list sizes, because rows are what cost: every field costs 1, and a field
with ``first``/``last`` arguments (a connection) multiplies the cost of its sub-selection
by the page it asks for, or by ``Settings.default_page_size`` when it asks for none.  A
list field without page arguments multiplies by the length of a list argument
(``nodes(ids: [...])``), else by 1 (its size is bounded by the page of its parent).
Fragments count once per spread; introspection costs nothing and has no depth, so GraphiQL
works while a query of the data stays bounded.  The measures are computed once per named
fragment, so a document of fragments spreading fragments cannot make the check itself
exponential.

The body-size limit is HTTP's business and answers 413 before anything is parsed:
:class:`BodySizeLimit`.

Wiring: ``protection_extensions(settings)`` are strawberry schema extensions (classes, so
strawberry makes one per request).  They run in the validation phase, so a refused query
never reaches a resolver, a DataLoader or the database.  The same extension keeps each
schema's recent documents parsed and validated by graphql-core's standard rules
(:class:`DocumentCache`: those depend on the text alone), while the limits above, which
depend on the variables, are measured on every request.  :func:`protection_rule` is the
same measure as a graphql-core validation rule, for use without strawberry.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, cast

from cross_web import HTTPException
from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    Visitor,
    get_named_type,
    get_nullable_type,
    visit,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from openjxc.core.config import Settings
from openjxc.core.i18n import KernelMessages, negotiate_locale, translate
from openjxc.core.locales import DEFAULT_LOCALE

TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
PAGE_SIZE_TOO_LARGE = "PAGE_SIZE_TOO_LARGE"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
NUL_CHARACTER = "NUL_CHARACTER"
BAD_REQUEST = "BAD_REQUEST"

PAGE_ARGUMENTS = ("first", "last")
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
#: The fields of ``__Type`` listing other types' parts.  Nested below one another they
#: multiply (every type's fields' types' fields …: seconds of CPU for one request within
#: every other limit), and no introspection client nests them: GraphiQL's, Apollo's and
#: graphql-codegen's queries expand each type once.
TYPE_LIST_FIELDS = frozenset({"fields", "inputFields", "interfaces", "possibleTypes"})


# -- measuring a document ------------------------------------------------------------------

@dataclass
class Measure:
    """What a selection set asks for: its cost, its depth below the parent and its aliases."""

    cost: int = 0
    depth: int = 0
    aliases: int = 0


@dataclass
class _Walk:
    """One operation's walk: the schema, the variables and the per-fragment memo."""

    schema: GraphQLSchema
    settings: Settings
    variables: Mapping[str, Any]
    fragments: Mapping[str, FragmentDefinitionNode]
    locale: str | None = None
    errors: list[GraphQLError] = field(default_factory=list)
    _memo: dict[str, Measure] = field(default_factory=dict)
    _introspection_memo: dict[str, tuple[int, int]] = field(default_factory=dict)
    _types_lists: int = 0
    _introspection_refused: bool = False
    _active: set[str] = field(default_factory=set)
    _reported: set[int] = field(default_factory=set)

    def selection_set(self, node: SelectionSetNode | None, parent: Any) -> Measure:
        total = Measure()
        if node is None:
            return total
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                part = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                part = self.selection_set(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                part = self.fragment(selection.name.value)
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            total.cost += part.cost
            total.depth = max(total.depth, part.depth)
            total.aliases += part.aliases
        return total

    def fragment(self, name: str) -> Measure:
        if name in self._memo:
            return self._memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._active:
            return Measure()  # unknown fragments and cycles are refused by graphql-core
        self._active.add(name)
        target = self.schema.get_type(definition.type_condition.name.value)
        measure = self.selection_set(definition.selection_set, target)
        self._active.discard(name)
        self._memo[name] = measure
        return measure

    def field(self, node: FieldNode, parent: Any) -> Measure:
        name = node.name.value
        aliases = 1 if node.alias else 0
        if name.startswith("__"):
            if name in INTROSPECTION_FIELDS and not self.settings.introspection:
                self.report(node, INTROSPECTION_DISABLED,
                            translate(KernelMessages.INTROSPECTION_DISABLED.msgid,
                                      self.locale))
            if name in INTROSPECTION_FIELDS:
                self.check_introspection(node)
            inner = self.selection_set(node.selection_set, None)
            return Measure(cost=0, depth=0, aliases=aliases + inner.aliases)
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        target = get_named_type(definition.type) if definition is not None else None
        inner = self.selection_set(node.selection_set, target)
        size = self.list_size(node, definition) if definition is not None else 1
        return Measure(cost=1 + size * inner.cost, depth=1 + inner.depth,
                       aliases=aliases + inner.aliases)

    def check_introspection(self, node: FieldNode) -> None:
        """Introspection costs nothing, so its shape is bounded instead: the schema's types
        are listed at most once per operation, and a type's fields (inputs, interfaces,
        possible types) are expanded one level deep, as every introspection client asks."""
        types, nesting = self.introspection_shape(node.selection_set)
        self._types_lists += types
        if (self._types_lists > 1 or nesting > 1) and not self._introspection_refused:
            self._introspection_refused = True  # one error says it for the operation
            self.report(node, QUERY_TOO_COMPLEX,
                        translate(KernelMessages.INTROSPECTION_TOO_COMPLEX.msgid, self.locale))

    def introspection_shape(self, node: SelectionSetNode | None) -> tuple[int, int]:
        """(how many ``types`` lists, how deeply ``__Type`` lists nest) below ``node``;
        each named fragment is walked once (a fragment bomb stays linear)."""
        types = nesting = 0
        for selection in node.selections if node is not None else ():
            if isinstance(selection, FieldNode):
                inner_types, inner_nesting = self.introspection_shape(selection.selection_set)
                name = selection.name.value
                types += inner_types + (1 if name == "types" else 0)
                nesting = max(nesting, inner_nesting + (1 if name in TYPE_LIST_FIELDS else 0))
            elif isinstance(selection, InlineFragmentNode):
                inner_types, inner_nesting = self.introspection_shape(selection.selection_set)
                types += inner_types
                nesting = max(nesting, inner_nesting)
            elif isinstance(selection, FragmentSpreadNode):
                inner_types, inner_nesting = self.introspection_fragment(selection.name.value)
                types += inner_types
                nesting = max(nesting, inner_nesting)
        return types, nesting

    def introspection_fragment(self, name: str) -> tuple[int, int]:
        if name in self._introspection_memo:
            return self._introspection_memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._active:
            return 0, 0  # unknown fragments and cycles are refused by graphql-core
        self._active.add(name)
        shape = self.introspection_shape(definition.selection_set)
        self._active.discard(name)
        self._introspection_memo[name] = shape
        return shape

    def list_size(self, node: FieldNode, definition: Any) -> int:
        """How many items of its sub-selection a field asks for."""
        given = {arg.name.value: arg.value for arg in node.arguments or ()}
        if any(name in definition.args for name in PAGE_ARGUMENTS):
            sizes = [self.int_value(given[name]) for name in PAGE_ARGUMENTS if name in given]
            requested = [s for s in sizes if s is not None]
            if not requested:
                return self.settings.default_page_size
            largest = max(requested)
            if largest > self.settings.max_page_size:
                self.report(
                    node, PAGE_SIZE_TOO_LARGE,
                    translate(KernelMessages.PAGE_SIZE_TOO_LARGE.msgid, self.locale,
                              size=largest, field=node.name.value,
                              limit=self.settings.max_page_size),
                    requested=largest, maxPageSize=self.settings.max_page_size,
                )
            return max(largest, 0)
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            lengths = [self.list_length(value) for value in given.values()]
            return max([n for n in lengths if n is not None], default=1)
        return 1

    def value(self, node: Node) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        return node

    def int_value(self, node: Node) -> int | None:
        value = self.value(node)
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return None

    def list_length(self, node: Node) -> int | None:
        value = self.value(node)
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, list):
            return len(value)
        return None

    def report(self, node: Node, code: str, message: str, **details: Any) -> None:
        if id(node) in self._reported:  # a fragment spread twice is one mistake
            return
        self._reported.add(id(node))
        self.errors.append(GraphQLError(message, node, extensions={"code": code, **details}))


def measure_document(
    schema: GraphQLSchema,
    operations: Sequence[OperationDefinitionNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    settings: Settings,
    variables: Mapping[str, Any] | None = None,
    locale: str | None = None,
) -> list[GraphQLError]:
    """The protection errors of a parsed document (empty when it is within every limit),
    worded in ``locale``."""
    errors: list[GraphQLError] = []
    for operation in operations:
        walk = _Walk(schema, settings, _operation_variables(operation, variables or {}),
                     fragments, locale)
        root = schema.get_root_type(operation.operation)
        measure = walk.selection_set(operation.selection_set, root)
        errors.extend(walk.errors)
        if measure.depth > settings.max_depth:
            errors.append(GraphQLError(
                translate(KernelMessages.QUERY_TOO_DEEP.msgid, locale, depth=measure.depth,
                          limit=settings.max_depth),
                operation, extensions={"code": QUERY_TOO_DEEP, "depth": measure.depth,
                                       "maxDepth": settings.max_depth}))
        if measure.aliases > settings.max_aliases:
            errors.append(GraphQLError(
                translate(KernelMessages.TOO_MANY_ALIASES.msgid, locale,
                          aliases=measure.aliases, limit=settings.max_aliases),
                operation, extensions={"code": TOO_MANY_ALIASES, "aliases": measure.aliases,
                                       "maxAliases": settings.max_aliases}))
        if measure.cost > settings.max_cost:
            errors.append(GraphQLError(
                translate(KernelMessages.QUERY_TOO_COMPLEX.msgid, locale, cost=measure.cost,
                          limit=settings.max_cost),
                operation, extensions={"code": QUERY_TOO_COMPLEX, "cost": measure.cost,
                                       "maxCost": settings.max_cost}))
    return errors


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


def nul_errors(query: str | None, document: DocumentNode,
               variables: Mapping[str, Any] | None, locale: str | None = None,
               ) -> list[GraphQLError]:
    """A refusal for each string literal, and one for the variables, holding ``\\u0000``.

    The document's literals are visited only when its text has an escape at all (a raw NUL
    is not valid GraphQL source, so ``\\u`` must be there), which keeps ordinary requests
    at a substring test."""
    message = KernelMessages.NUL_IN_TEXT.resolve(locale)
    errors: list[GraphQLError] = []
    if query is None or "\\u" in query:
        class Literals(Visitor):
            def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
                if "\x00" in node.value:
                    errors.append(GraphQLError(message, node,
                                               extensions={"code": NUL_CHARACTER}))

        visit(document, Literals())
    if variables and _holds_nul(variables):
        errors.append(GraphQLError(message, extensions={"code": NUL_CHARACTER}))
    return errors


#: A UTF-16 surrogate alone: JSON's ``"\\ud800"`` decodes to one, and it is not Unicode text.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string (or key) with a lone surrogate."""
    if isinstance(value, str):
        return not value.isascii() and _SURROGATE.search(value) is not None
    if isinstance(value, Mapping):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_lone_surrogate(v) for v in value)
    return False


def unicode_errors(variables: Mapping[str, Any] | None,
                   locale: str | None = None) -> list[GraphQLError]:
    """A refusal (``BAD_REQUEST``) when a variable holds a lone surrogate: no database
    stores or compares it (PostgreSQL's driver cannot even encode it).  Literals need no
    check: graphql-core's lexer refuses a lone surrogate in a GraphQL string."""
    if variables and has_lone_surrogate(variables):
        return [GraphQLError(translate(KernelMessages.INVALID_UNICODE.msgid, locale),
                             extensions={"code": BAD_REQUEST})]
    return []


#: How deeply a request's JSON may nest arrays and objects: far more than any input type of
#: the schema needs, far less than what would exhaust Python's recursion.
MAX_JSON_DEPTH = 64


def decode_request_json(data: str | bytes) -> Any:
    """A request body (or a GET parameter) read as JSON, refusing what no resolver may see:
    bytes that are not UTF-8 (overlong forms and encoded surrogates included), a lone
    ``\\ud800`` escape, and nesting deeper than :data:`MAX_JSON_DEPTH`.

    ``json.loads`` alone lets UTF-8-encoded surrogates through (it decodes bytes with
    ``surrogatepass``) and fails with ``UnicodeDecodeError`` or ``RecursionError`` where a
    client's mistake deserves a 400: these raise ``HTTPException(400)`` with a localised
    message (the current locale's), and unreadable JSON stays ``json.JSONDecodeError``,
    which strawberry answers 400 too.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(400, str(KernelMessages.INVALID_UNICODE)) from None
    else:
        text = data
    try:
        value = json.loads(text)
    except RecursionError:
        raise HTTPException(400, translate(KernelMessages.JSON_TOO_DEEP.msgid,
                                           limit=MAX_JSON_DEPTH)) from None
    if (text.count("[") + text.count("{") > MAX_JSON_DEPTH
            and _json_depth(value) > MAX_JSON_DEPTH):
        raise HTTPException(400, translate(KernelMessages.JSON_TOO_DEEP.msgid,
                                           limit=MAX_JSON_DEPTH))
    if ("\\u" in text or not text.isascii()) and has_lone_surrogate(value):
        raise HTTPException(400, str(KernelMessages.INVALID_UNICODE))
    return value


def decode_message_json(data: str | bytes) -> Any:
    """:func:`decode_request_json` for a WebSocket message: what a body would be refused
    for raises ``json.JSONDecodeError``, so the socket closes as for unreadable JSON."""
    try:
        return decode_request_json(data)
    except HTTPException as exc:
        raise json.JSONDecodeError(exc.reason, "", 0) from None


def _json_depth(value: Any) -> int:
    """How deeply ``value`` nests lists and dicts (without recursion: it may be deep)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return depth
            deepest = max(deepest, depth)
            pending.extend((child, depth) for child in item
                           if isinstance(child, list | dict))
    return deepest


def _operation_variables(operation: OperationDefinitionNode,
                         given: Mapping[str, Any]) -> dict[str, Any]:
    """The variables as the operation will see them: given values, else literal defaults
    (kept as AST nodes, which :class:`_Walk` reads like literals)."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            values[name] = definition.default_value
    return values


def protection_rule(settings: Settings,
                    variables: Mapping[str, Any] | None = None) -> type[ValidationRule]:
    """A graphql-core validation rule enforcing depth, aliases, page sizes, cost and
    introspection for one request (the variables decide ``first: $n``)."""
    bound_variables = dict(variables or {})

    class ProtectionRule(ValidationRule):
        def enter_document(self, node: Any, *_args: Any) -> None:
            context: ValidationContext = self.context
            operations = [d for d in node.definitions if isinstance(d, OperationDefinitionNode)]
            fragments = {d.name.value: d for d in node.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            for error in measure_document(context.schema, operations, fragments, settings,
                                          bound_variables):
                context.report_error(error)

    return ProtectionRule


# -- strawberry wiring ---------------------------------------------------------------------

#: Documents longer than this are parsed and validated on every request, never cached.
MAX_CACHED_DOCUMENT = 20_000
#: How many distinct documents each schema remembers (least recently used go first).
DOCUMENT_CACHE_SIZE = 512


@dataclass
class _Prepared:
    """A parsed document and, once known, graphql-core's verdict on it."""

    document: DocumentNode
    rules: tuple[type[ASTValidationRule], ...] | None = None
    errors: tuple[GraphQLError, ...] = ()


class DocumentCache:
    """The documents one schema was sent lately, parsed and validated (bounded LRU).

    Clients send the same few documents over and over, and graphql-core's standard
    validation of even ``{ me { username } }`` costs about a millisecond.  What it finds
    depends only on the schema and the text, so it is kept here per text; the protection
    limits depend on the variables too and are measured on every request
    (:class:`ProtectionExtension`).  Errors are handed out as copies (the error masking
    adds codes to the errors it is given).
    """

    def __init__(self, max_entries: int = DOCUMENT_CACHE_SIZE,
                 max_length: int = MAX_CACHED_DOCUMENT) -> None:
        self.max_entries = max_entries
        self.max_length = max_length
        self._entries: OrderedDict[str, _Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def document(self, text: str | None) -> DocumentNode | None:
        """The parsed document of ``text`` if it is remembered."""
        if not isinstance(text, str):
            return None
        with self._lock:
            entry = self._entries.get(text)
            if entry is None:
                return None
            self._entries.move_to_end(text)
            return entry.document

    def remember(self, text: str | None, document: DocumentNode) -> None:
        """Keep ``document``, parsed from ``text`` without error."""
        if not isinstance(text, str) or len(text) > self.max_length:
            return
        with self._lock:
            if text in self._entries:
                return
            self._entries[text] = _Prepared(document)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def validate(self, schema: GraphQLSchema, text: str | None, document: DocumentNode,
                 rules: tuple[type[ASTValidationRule], ...]) -> list[GraphQLError]:
        """graphql-core's (and strawberry's) validation of ``document`` with ``rules``:
        computed once per text and rules, copied out afterwards."""
        entry = self._entries.get(text) if isinstance(text, str) else None
        if entry is None or entry.document is not document:
            return validate_document(schema, document, rules)
        if entry.rules != rules:
            entry.errors = tuple(validate_document(schema, document, rules))
            entry.rules = rules
        return [_copy(error) for error in entry.errors]


def _copy(error: GraphQLError) -> GraphQLError:
    return GraphQLError(error.message, error.nodes, error.source, error.positions,
                        error.path, error.original_error,
                        dict(error.extensions) if error.extensions else None)


class ProtectionExtension(SchemaExtension):
    """Bounds the parser, caches parsing and graphql-core's validation per document text
    (:class:`DocumentCache`), and measures every request against the limits with its own
    variables (:func:`measure_document`) before anything executes.

    Use :func:`protection_extensions` rather than this class: it binds the settings.
    """

    settings: Settings = Settings()
    #: One :class:`DocumentCache` per schema (a bound class may serve several editions).
    caches: ClassVar[weakref.WeakKeyDictionary[Any, DocumentCache]] = (
        weakref.WeakKeyDictionary())

    def _cache(self) -> DocumentCache:
        schema = self.execution_context.schema
        cache = self.caches.get(schema)
        if cache is None:
            cache = self.caches.setdefault(schema, DocumentCache())
        return cache

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # strawberry's ParseOptions type lists only ``max_tokens`` (which graphql-core
        # deprecates); the options are handed to graphql-core's ``parse`` as they are.
        options = cast("dict[str, Any]", context.parse_options)
        options.update(
            max_lexical_tokens=self.settings.max_tokens,
            max_comments=self.settings.max_tokens,
            max_source_length=self.settings.max_body_bytes,
        )
        cache = self._cache()
        cached = None
        if context.graphql_document is None:
            # Only a document parsed within these limits is ever remembered.
            cached = context.graphql_document = cache.document(context.query)
        yield
        # graphql-core stops a too-long document with a plain syntax error; strawberry has
        # stored it (the same object it returns) by the time this hook resumes, so it gets
        # its stable code here.
        locale = getattr(context.context, "locale", None)
        for error in context.pre_execution_errors or ():
            tag_parser_limit(error, self.settings, locale)
        if (cached is None and context.graphql_document is not None
                and not context.pre_execution_errors):
            cache.remember(context.query, context.graphql_document)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operations = [d for d in document.definitions
                          if isinstance(d, OperationDefinitionNode)]
            fragments = {d.name.value: d for d in document.definitions
                         if isinstance(d, FragmentDefinitionNode)}
            locale = getattr(context.context, "locale", None)
            errors = measure_document(context.schema._schema, operations, fragments,
                                      self.settings, context.variables, locale)
            errors += nul_errors(context.query, document, context.variables, locale)
            errors += unicode_errors(context.variables, locale)
            if context.pre_execution_errors is not None:  # validated by someone else
                errors += context.pre_execution_errors
            elif rules := tuple(context.validation_rules):
                errors += self._cache().validate(context.schema._schema, context.query,
                                                 document, rules)
            # Set (even empty): strawberry then skips its own, uncached, validation.
            context.pre_execution_errors = errors
        yield


def tag_parser_limit(error: GraphQLError, settings: Settings | None = None,
                     locale: str | None = None) -> None:
    """Give graphql-core's "Parsing aborted" syntax errors a protection code and, with the
    settings, a message in ``locale``, in place."""
    if not isinstance(error, GraphQLSyntaxError) or "Parsing aborted" not in error.message:
        return
    too_long = "code points" in error.message
    code = QUERY_TOO_LARGE if too_long else TOO_MANY_TOKENS
    error.extensions = {**(error.extensions or {}), "code": code}
    if settings is not None:
        message = KernelMessages.QUERY_TOO_LARGE if too_long else KernelMessages.TOO_MANY_TOKENS
        limit = settings.max_body_bytes if too_long else settings.max_tokens
        error.message = translate(message.msgid, locale, limit=limit)


def protection_extensions(settings: Settings) -> list[type[SchemaExtension]]:
    """The schema extensions that enforce ``settings``' query limits (for ``build_schema``).

    Classes, not instances: strawberry then makes a fresh one per request, so concurrent
    requests never share state.  Equal settings give the same classes, so
    ``build_schema``'s cache (keyed by the extensions) is hit by a second app.
    """
    return [_bound_protection(settings)]


@lru_cache(maxsize=64)
def _bound_protection(settings: Settings) -> type[SchemaExtension]:
    return type("BoundProtectionExtension", (ProtectionExtension,),
                {"settings": settings, "caches": weakref.WeakKeyDictionary()})


# -- request body --------------------------------------------------------------------------

class BodySizeLimit:
    """ASGI middleware: a request body (or query string) above ``max_bytes`` gets 413.

    A declared ``Content-Length`` is refused before a byte is read (the HTTP server holds
    the body to that length).  A chunked body has no declared length: it is read here up to
    the limit and refused as soon as it passes it, so a client can never make the server
    buffer more than ``max_bytes``; a body within the limit is replayed to the app.
    The refusal is worded in the request's ``Accept-Language`` (else ``default_locale``).
    """

    def __init__(self, app: ASGIApp, max_bytes: int,
                 default_locale: str = DEFAULT_LOCALE) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.default_locale = default_locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        declared = headers.get(b"content-length")
        accept = headers.get(b"accept-language", b"").decode("latin-1")
        locale = negotiate_locale(None, accept, default=self.default_locale)
        if len(scope.get("query_string") or b"") > self.max_bytes:
            await self.refuse(send, locale)
            return
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit() or int(text) > self.max_bytes:
                await self.refuse(send, locale)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self.refuse(send, locale)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)

    async def refuse(self, send: Send, locale: str | None = None) -> None:
        message = translate(KernelMessages.REQUEST_TOO_LARGE.msgid,
                            locale or self.default_locale, limit=self.max_bytes)
        body = json.dumps({"errors": [{
            "message": message,
            "extensions": {"code": REQUEST_TOO_LARGE, "maxBytes": self.max_bytes},
        }]}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then defers to the real one."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
