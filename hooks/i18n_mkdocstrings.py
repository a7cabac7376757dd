"""Give mkdocstrings the language of the page being rendered.

mkdocstrings reads ``theme.language`` once, in its ``on_config``, before
mkdocs-static-i18n switches the theme language for each edition. So the
English API page would get the Korean labels (or the reverse). Before each
page is rendered we hand mkdocstrings the language the i18n plugin has set.
"""

from __future__ import annotations


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    plugin = config.plugins.get("mkdocstrings")
    if plugin is None:
        return markdown
    handlers = plugin.handlers
    if not hasattr(handlers, "_locale"):
        raise RuntimeError(
            "mkdocstrings changed: Handlers._locale is gone; update hooks/i18n_mkdocstrings.py"
        )
    handlers._locale = str(config.theme.get("language") or "en").replace("_", "-")
    return markdown
