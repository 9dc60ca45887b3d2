"""One row of a model with its forward foreign keys, by a statement built once per database.

For the read every API request makes (the authenticated user with its membership and
organization): the ORM builds, resolves and compiles the same joined query on each
request, which costs the web worker more CPU than the database spends answering it. Here
the statement is written once per database from the models' own metadata (every concrete
column, so a field added later is read too), the parameters are prepared by their fields
as the ORM's lookups prepare them, the values go through the converters the ORM applies
(`connection.ops.get_db_converters` and the fields' own), and the instances are built
with `Model.from_db` and linked as `select_related` links them. The statement runs on the
database the router names for reads, through Django's cursor (query logs and counts see
it).
"""

from dataclasses import dataclass

from django.db import connections, router

from core.compiled_query import converted


@dataclass(frozen=True)
class Plan:
    sql: str
    where_fields: tuple
    converters: tuple  # (column index, column expression, converter functions)
    shapes: tuple  # (relation name or None, model, attnames, first column, end column)


class JoinedRead:
    """`JoinedRead(Membership, related=("user", "organization"), where=(("user", "id"),
    (None, "organization")))`: `.first(user_id, organization_id)` is the membership with
    its user and organization loaded, or None. Each `where` entry is (relation or None for
    the model itself, field name), compared for equality; at most one row is expected
    (the caller's `where` names a unique key)."""

    def __init__(self, model, *, related, where):
        self.model = model
        self.related = tuple(related)
        self.where = tuple(where)
        self._plans = {}

    def first(self, *values):
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        plan = self._plans.get(alias) or self._plans.setdefault(alias, self._plan(connection))
        params = [
            field.get_db_prep_value(value, connection, prepared=False)
            for field, value in zip(plan.where_fields, values, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        (row,) = converted([row], plan.converters, connection)
        instances = {
            relation: model.from_db(alias, attnames, row[start:end])
            for relation, model, attnames, start, end in plan.shapes
        }
        base = instances.pop(None)
        for relation, instance in instances.items():
            self.model._meta.get_field(relation).set_cached_value(base, instance)
        return base

    def _plan(self, connection) -> Plan:
        quote = connection.ops.quote_name
        tables = {None: (self.model, "t0")}
        joins = []
        for number, relation in enumerate(self.related, 1):
            field = self.model._meta.get_field(relation)
            if field.null or not field.many_to_one:
                raise ValueError(f"{relation}: only non-null foreign keys join here")
            target = field.related_model
            tables[relation] = (target, f"t{number}")
            joins.append(
                f"INNER JOIN {quote(target._meta.db_table)} t{number} "
                f"ON t{number}.{quote(field.target_field.column)} = t0.{quote(field.column)}"
            )
        columns, converters, shapes = [], [], []
        for relation, (model, table) in tables.items():
            fields = model._meta.concrete_fields
            start = len(columns)
            for field in fields:
                column = field.get_col(table)
                functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                    connection
                )
                if functions:
                    converters.append((len(columns), column, tuple(functions)))
                columns.append(f"{table}.{quote(field.column)}")
            attnames = [field.attname for field in fields]
            shapes.append((relation, model, attnames, start, len(columns)))
        conditions, where_fields = [], []
        for relation, name in self.where:
            model, table = tables[relation]
            field = model._meta.get_field(name)
            conditions.append(f"{table}.{quote(field.column)} = %s")
            where_fields.append(field)
        # Names from the models' metadata, quoted; the values are parameters.
        table = quote(self.model._meta.db_table)
        select = f"SELECT {', '.join(columns)} FROM {table} t0 {' '.join(joins)}"  # noqa: S608 - quoted
        sql = f"{select} WHERE {' AND '.join(conditions)} LIMIT 1"
        return Plan(sql, tuple(where_fields), tuple(converters), tuple(shapes))


class ValuesIn:
    """`model.objects.filter(<key>__in=keys).order_by(*order).values_list(*columns)`, the
    statement built once per database and number of keys (as `JoinedRead` builds its own):
    `ValuesIn(InvoiceLine, key="invoice", columns=(...), order=(...)).rows(ids)`. Columns
    and order are field names (or attnames) of `model`, ascending."""

    def __init__(self, model, *, key, columns, order):
        self.model = model
        self.key = model._meta.get_field(key)
        self.columns = tuple(model._meta.get_field(name) for name in columns)
        self.order = tuple(model._meta.get_field(name) for name in order)
        self._plans = {}

    def rows(self, keys):
        keys = list(keys)
        if not keys:
            return []
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        plan = self._plans.get((alias, len(keys)))
        if plan is None:
            plan = self._plans.setdefault((alias, len(keys)), self._plan(connection, len(keys)))
        sql, converters = plan
        params = [self.key.get_db_prep_value(key, connection, prepared=False) for key in keys]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return converted(rows, converters, connection)

    def _plan(self, connection, count):
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        converters = []
        for index, field in enumerate(self.columns):
            column = field.get_col(self.model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(
                connection
            )
            if functions:
                converters.append((index, column, tuple(functions)))
        select = ", ".join(f"{table}.{quote(field.column)}" for field in self.columns)
        order = ", ".join(f"{table}.{quote(field.column)}" for field in self.order)
        placeholders = ", ".join(["%s"] * count)
        sql = (
            f"SELECT {select} FROM {table} "  # noqa: S608 - quoted names, values as parameters
            f"WHERE {table}.{quote(self.key.column)} IN ({placeholders}) ORDER BY {order}"
        )
        return sql, tuple(converters)
