import reflex as rx

from mfa_app.origins import AllowedOrigins

# The development frontend listens on loopback only (Reflex's default listens on every interface).
rx.constants.PackageJson.Commands.DEV = "react-router dev --host 127.0.0.1"

config = rx.Config(
    app_name="clerk_host",
    frontend_port=3000,
    backend_port=8000,
    backend_host="127.0.0.1",
    # mfa_app's pages, websocket and cookie routes answer the app's own origin only.
    cors_allowed_origins=AllowedOrigins(),
    telemetry_enabled=False,
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="violet"))],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
