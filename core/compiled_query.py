"""A read (or an update) the ORM compiles once per database, then runs with other values.

A hot read (a page of the invoice list) is the same statement on every request with other
values in it: the organization, today's date. Building the queryset, resolving its
lookups and compiling it cost the web worker more CPU than the database spends answering.
`CompiledQuery` has the ORM build and compile the queryset once per database, with
recognisable stand-in values for the parameters, and remembers which of the compiled
statement's parameters are which. Later calls prepare the real values as the fields
prepare them, run the same SQL and convert the rows with the ORM's own converters. So the
statement is always the one the ORM writes for that queryset, never SQL written by hand.

The queryset must depend on its parameters only through their values (equality, ordering
comparisons, `__in` of a fixed list); a parameter the builder drops, or one that shapes
the statement (`None` turning `=` into `IS NULL`), is refused or must not be used here.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connections, router, transaction
from django.db.models.query import ModelIterable
from django.db.models.sql import UpdateQuery

# Stand-in values, far from real ones and of the type the database gets, so a compiled
# parameter equal to one (same type, same value) can only come from that parameter.
_INTEGERS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}


def _stand_in(field, number, connection):
    target = getattr(field, "target_field", field)
    kind = target.get_internal_type()
    if kind in _INTEGERS:
        # Within the column's range: the ORM compiles an out-of-range value to no rows.
        low, high = connection.ops.integer_field_range(kind)
        value = -(987_654_321 + number)
        return value if low is None or low <= value else high - 1000 - number
    if kind == "DateField":
        return date(1234, 5, 6) + timedelta(days=number)
    if kind in ("CharField", "TextField"):
        return f"\x1fcompiled-query-parameter-{number}\x1f"
    raise TypeError(f"{field}: no stand-in value for a {kind} parameter")


# A value `CompiledUpdate` leaves to the ORM (an expression).
_ORM = object()


@dataclass(frozen=True)
class _Constant:
    value: object


@dataclass(frozen=True)
class _Plan:
    sql: str
    slots: tuple  # per compiled parameter: a parameter's name, or a _Constant
    converters: tuple  # (column index, column expression, converter functions)
    width: int | None  # columns the caller asked for, when the ORM selects more
    fields: tuple | None  # a queryset of model instances: its columns' attnames


class CompiledQuery:
    """`CompiledQuery(Invoice, build, organization=<field>, today=<field>)`: `build(**values)`
    returns the queryset, each named value prepared for the database by its field.
    `rows(limit=, offset=, **values)` is `list(build(**values)[offset:offset + limit])` of
    a `values_list` queryset; `objects(...)` the same of a plain one (instances, without
    `select_related` or annotations); `count(**values)` is `build(**values).count()`."""

    def __init__(self, model, build, **parameters):
        self.model = model
        self.build = build
        self.parameters = parameters
        self._plans = {}

    def rows(self, *, limit=None, offset=0, **values) -> list[tuple]:
        return self._run(values, limit, offset)[1]

    def objects(self, *, limit=None, offset=0, **values) -> list:
        plan, rows, alias = self._run(values, limit, offset)
        if plan.fields is None:
            raise TypeError("objects() needs a queryset of one model's instances")
        return [self.model.from_db(alias, plan.fields, row) for row in rows]

    def count(self, **values) -> int:
        connection, plan, params = self._bound(values)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({plan.sql}) counted", params)  # noqa: S608 - the ORM's own statement
            return cursor.fetchone()[0]

    def statement(self, **values) -> tuple[str, list]:
        """The SQL and parameters `rows` runs (without its LIMIT), for tests to compare with
        what the ORM compiles for the same queryset."""
        _, plan, params = self._bound(values)
        return plan.sql, params

    def _run(self, values, limit, offset):
        connection, plan, params = self._bound(values)
        sql = plan.sql
        # LIMIT and OFFSET written into the statement, not passed as parameters: PostgreSQL
        # prices a prepared statement's generic plan above a custom one when it cannot know
        # the row count, and planned such a read afresh on every run (planning cost more
        # than running it).
        if limit is not None:
            sql = f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        rows = converted(rows, plan.converters, connection, width=plan.width)
        return plan, rows, connection.alias

    def _bound(self, values):
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        plan = self._plans.get(alias) or self._plans.setdefault(alias, self._plan(alias))
        return connection, plan, _bind(self.parameters, plan.slots, values, connection)

    def _plan(self, alias) -> _Plan:
        connection = connections[alias]
        stand_ins = _stand_ins(self.parameters, connection)
        queryset = self.build(**stand_ins)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = _slots(params, self.parameters, stand_ins, connection)
        width = compiler.col_count
        columns = [column for column, _, _ in compiler.select[:width]]
        converters = tuple(
            (index, column, tuple(functions))
            for index, (functions, column) in compiler.get_converters(columns).items()
        )
        extra = len(compiler.select) > width
        return _Plan(sql, slots, converters, width if extra else None, _fields(queryset, compiler))


class CompiledUpdate:
    """`CompiledUpdate(Invoice, build, pk=<field>, version=<field>)`: `build(**where)`
    returns the queryset of the rows to change; `update(where, {"status": ..., ...})` is
    `build(**where).update(status=..., ...)` and returns the row count. The statement is
    the one the ORM compiles, once per database and shape (the columns set, and which of
    them are set to NULL or by a placeholder of their field's own, which the ORM writes
    into the SQL); a value that is an expression runs through the ORM instead."""

    def __init__(self, model, build, **parameters):
        self.model = model
        self.build = build
        self.parameters = parameters
        self._plans = {}

    def update(self, where: dict, values: dict, *, using=None) -> int:
        alias, triples, prepared = self._set_values(values, using)
        if _ORM in prepared:
            return self.build(**where).using(alias).update(**values)
        sql, params = self._bound(alias, where, triples, prepared)
        connection = connections[alias]
        with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def statement(self, where: dict, values: dict, *, using=None) -> tuple[str, list]:
        """The SQL and parameters `update` runs, for tests to compare with the ORM's."""
        alias, triples, prepared = self._set_values(values, using)
        return self._bound(alias, where, triples, prepared)

    def _set_values(self, values, using):
        alias = using or router.db_for_write(self.model)
        connection = connections[alias]
        meta = self.model._meta
        triples = [(meta.get_field(name), None, value) for name, value in values.items()]
        prepared = [
            _save_value(field, value, connection)
            if field.concrete
            and not field.many_to_many
            and field.model._meta.concrete_model is meta.concrete_model
            else _ORM  # a column of a parent table, or no column: the ORM's own answer
            for field, _, value in triples
        ]
        return alias, triples, prepared

    def _bound(self, alias, where, values, prepared):
        connection = connections[alias]
        # The shape: the columns, and for each its placeholder or NULL (as_sql writes both).
        shape = tuple(
            None
            if value is None
            else field.get_placeholder(value, None, connection)
            if hasattr(field, "get_placeholder")
            else "%s"
            for (field, _, _), value in zip(values, prepared, strict=True)
        )
        key = (alias, tuple(field for field, _, _ in values), shape)
        plan = self._plans.get(key) or self._plans.setdefault(
            key, self._plan(alias, values, prepared)
        )
        params = [value for value in prepared if value is not None]
        return plan.sql, params + _bind(self.parameters, plan.slots, where, connection)

    def _plan(self, alias, values, prepared_values) -> _Plan:
        connection = connections[alias]
        stand_ins = _stand_ins(self.parameters, connection)
        query = self.build(**stand_ins).query.chain(UpdateQuery)
        query.add_update_fields(values)
        sql, params = query.get_compiler(using=alias).as_sql()
        # The ORM puts the SET values first (a NULL is written into the SQL), then the
        # WHERE clause's (SQLUpdateCompiler.as_sql).
        set_count = sum(value is not None for value in prepared_values)
        slots = _slots(params[set_count:], self.parameters, stand_ins, connection)
        return _Plan(sql, slots, (), None, None)


def _save_value(field, value, connection):
    """`value` for `field`'s column as SQLUpdateCompiler.as_sql prepares it, or _ORM where
    the ORM would compile SQL for it."""
    if hasattr(value, "resolve_expression"):
        return _ORM
    if hasattr(value, "prepare_database_save"):
        if not field.remote_field:
            return _ORM  # the ORM raises its own TypeError
        value = value.prepare_database_save(field)
    value = field.get_db_prep_save(value, connection=connection)
    return _ORM if hasattr(value, "as_sql") else value


def _stand_ins(parameters, connection) -> dict:
    return {
        name: _stand_in(field, number, connection)
        for number, (name, field) in enumerate(parameters.items())
    }


def _prepared_values(parameters, values, connection) -> dict:
    return {
        name: field.get_db_prep_value(values[name], connection, prepared=False)
        for name, field in parameters.items()
    }


def _bind(parameters, slots, values, connection) -> list:
    """The compiled statement's parameters for `values`, each prepared by its field."""
    prepared = _prepared_values(parameters, values, connection)
    return [slot.value if isinstance(slot, _Constant) else prepared[slot] for slot in slots]


def _slots(params, parameters, stand_ins, connection) -> tuple:
    """Which named parameter (by its prepared stand-in) each compiled parameter is; any
    other is a constant of the statement. Every named parameter must be used."""
    prepared = _prepared_values(parameters, stand_ins, connection)
    slots = []
    for param in params:
        names = [
            name
            for name, value in prepared.items()
            if type(value) is type(param) and value == param
        ]
        slots.append(names[0] if names else _Constant(param))
    missing = set(prepared) - set(slots)
    if missing:
        raise ValueError(f"the statement does not use {sorted(missing)}")
    return tuple(slots)


def _fields(queryset, compiler):
    """The attnames of the columns of a queryset of one model's instances (no related rows,
    no annotations), in order; None for any other shape."""
    info = compiler.klass_info
    if (
        queryset._iterable_class is not ModelIterable
        or info.get("related_klass_infos")
        or compiler.annotation_col_map
        or info["select_fields"] != list(range(compiler.col_count))
    ):
        return None
    return tuple(column.target.attname for column, _, _ in compiler.select[: compiler.col_count])


def converted(rows, converters, connection, *, width=None) -> list[tuple]:
    """`rows` as the ORM returns them: `converters` ((index, expression, functions), from
    the compiler or the fields) applied, each row cut to its first `width` columns."""
    if not converters and width is None:
        return rows  # PostgreSQL's rows for most reads: the driver's types are the ORM's
    result = []
    for row in rows:
        row = list(row[:width])
        for index, column, functions in converters:
            for convert in functions:
                row[index] = convert(row[index], column, connection)
        result.append(tuple(row))
    return result
