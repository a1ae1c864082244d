"""The environment database: RDS for PostgreSQL, its secrets, backups and alarms."""
