from web import create_app

# Web workers never migrate (`consultkb serve` upgrades the database first): no Flask-Migrate, no Alembic in memory.
app = create_app({"MIGRATIONS_ENABLED": False})
