import reflex as rx

config = rx.Config(
    app_name="mfa_app",
    frontend_port=3000,
    backend_port=8000,
    telemetry_enabled=False,
    # No db_url: the app manages its own database (MFA_DATABASE_URL, see mfa_app/settings.py).
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
