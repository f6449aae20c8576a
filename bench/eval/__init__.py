"""Quality evaluations against gold data in ../shared (printed tables, floors live in tests)."""
