import reflex as rx

from mfa_app.origins import AllowedOrigins

config = rx.Config(
    app_name="mfa_app",
    frontend_port=3000,
    backend_port=8000,
    # CORS and the websocket accept the app's own origin only (MFA_ALLOWED_ORIGINS, or the
    # origin of REFLEX_DEPLOY_URL), not Reflex's default "*".
    cors_allowed_origins=AllowedOrigins(),
    telemetry_enabled=False,
    # No db_url: the app manages its own database (MFA_DATABASE_URL, see mfa_app/settings.py).
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
