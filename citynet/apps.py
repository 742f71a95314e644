from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CitynetConfig(AppConfig):
    name = "citynet"
    verbose_name = "Citynet plumbing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from citynet import dataversion
        from citynet import replica  # noqa: F401 (registers its system check)

        # After every migrate, so a table a migration adds is covered at once.
        post_migrate.connect(dataversion.install_after_migrate, dispatch_uid="citynet.dataversion")
