import reflex as rx

from mfa_app.origins import AllowedOrigins

# The development frontend (Vite, under `make run` and the tests) listens on loopback only:
# Reflex starts it with `react-router dev --host`, which listens on every interface.
rx.constants.PackageJson.Commands.DEV = "react-router dev --host 127.0.0.1"

config = rx.Config(
    app_name="mfa_app",
    frontend_port=3000,
    backend_port=8000,
    # Loopback only unless told otherwise (--backend-host, REFLEX_BACKEND_HOST): in production
    # a reverse proxy on the same machine passes the requests on (see docs/deployment.md).
    backend_host="127.0.0.1",
    # CORS and the websocket accept the app's own origin only (MFA_ALLOWED_ORIGINS, or the
    # origin of REFLEX_DEPLOY_URL), not Reflex's default "*".
    cors_allowed_origins=AllowedOrigins(),
    telemetry_enabled=False,
    # No db_url: the app manages its own database (MFA_DATABASE_URL, see mfa_app/settings.py).
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
