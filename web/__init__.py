"""The pages: jinja2 shells per role, small ES modules that follow the read models over Socket.IO,
CSS and the translation catalogs (Indonesian first). Reads the application layer, never server/."""
