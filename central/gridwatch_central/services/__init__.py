"""Read-side services behind the HTTP API: rows from the repository in, response models out."""
