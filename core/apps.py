from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "FinTrack core"

    def ready(self):
        from core import history

        history.install()
