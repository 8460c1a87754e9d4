"""Reading and validating input tables (schema checks, rejects, checksums)."""
