"""simple-history's `Model.history` manager without a new class on every access.

`simple_history.manager.HistoryDescriptor.__get__` calls
`HistoryManager.from_queryset(HistoricalQuerySet)` each time `Model.history` or
`instance.history` is read, and every history row written reads it
(`HistoricalRecords.create_historical_record`). That builds a class with
`inspect.getmembers` over the queryset class: about a tenth of a payment's CPU for its two
history rows. The class depends only on the two classes, so it is built once per pair;
the manager instance is still new on each access, bound to its model and instance, as the
library makes it. Installed by `CoreConfig.ready`.
"""

from functools import cache

from simple_history.manager import HistoryDescriptor


@cache
def manager_class(manager, queryset):
    return manager.from_queryset(queryset)


def history_manager(descriptor, instance, owner):
    return manager_class(descriptor.manager_class, descriptor.queryset_class)(
        descriptor.model, instance
    )


def install() -> None:
    HistoryDescriptor.__get__ = history_manager
