# Site search (networks/search.py) ranks names by trigram similarity on PostgreSQL, so that a
# misspelt name still finds; that needs the pg_trgm extension. Elsewhere this does nothing.

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("networks", "0007_coding_salience_unrated"),
    ]

    operations = [
        TrigramExtension(),
    ]
