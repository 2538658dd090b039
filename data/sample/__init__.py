"""The bundled sample pages (*.html beside this file), shipped as the package search_web.sample (see pyproject.toml)."""
