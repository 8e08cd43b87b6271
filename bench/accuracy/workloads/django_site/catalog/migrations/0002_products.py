"""200 products in 10 categories, for the page to list."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def products(apps: Any, schema_editor: Any) -> None:
    category = apps.get_model("catalog", "Category")
    product = apps.get_model("catalog", "Product")
    kinds = [category.objects.create(name=f"category {i}") for i in range(10)]
    product.objects.bulk_create(
        product(category=kinds[i % 10], name=f"product number {i}", price=i + 0.99) for i in range(200)
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]  # noqa: RUF012 (Django reads the class attribute)
    operations = [migrations.RunPython(products, migrations.RunPython.noop)]  # noqa: RUF012 (likewise)
