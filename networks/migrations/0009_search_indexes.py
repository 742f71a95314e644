# Indexes for site search (networks/search.py) on PostgreSQL. A place name is matched three ways:
# contained in the name, ignoring case (Django's icontains: UPPER(name::text) LIKE ...), the
# whole name (iexact), and a misspelling (pg_trgm's % operator). Without these, each of the
# five places the search reads names scans every place; with 14,000 places from ClimActor that
# was most of a search's time. Evidence is matched on what the reader may see of it, computed
# per row, which no index holds; the search first narrows it to items whose stored texts match
# (search._stored_candidates), which these indexes answer: with 650,000 synthetic items a search
# otherwise computes every item's text. Trigram indexes need pg_trgm (0008). Elsewhere (SQLite)
# this does nothing: there the search matches word by word.

from django.db import migrations

INDEXES = {
    # icontains, iexact and istartswith on a place name
    "cities_city_name_upper_trgm_idx": "ON cities_city USING gin ((UPPER(name::text)) gin_trgm_ops)",
    # a misspelt place name (name % query)
    "cities_city_name_trgm_idx": "ON cities_city USING gin (name gin_trgm_ops)",
    # evidence whose stored texts match the full-text query: search.STORED_DOCUMENT, as Django writes it
    "networks_evidence_stored_document_idx": (
        "ON networks_evidence USING gin (((to_tsvector('english'::regconfig, COALESCE(text, ''))"
        " || to_tsvector('english'::regconfig, COALESCE(public_paraphrase, '')))"
        " || to_tsvector('simple'::regconfig, COALESCE(original_text, ''))))"
    ),
    # evidence whose stored texts contain a word of the query (icontains)
    "networks_evidence_text_trgm_idx": "ON networks_evidence USING gin ((UPPER(text::text)) gin_trgm_ops)",
    "networks_evidence_paraphrase_trgm_idx": (
        "ON networks_evidence USING gin ((UPPER(public_paraphrase::text)) gin_trgm_ops)"
    ),
    "networks_evidence_original_trgm_idx": "ON networks_evidence USING gin ((UPPER(original_text::text)) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("networks", "0008_search_trigram"),
        ("cities", "0005_place_decisions"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
